"""The database side of the clinical rules: load a clinic's rules and a client's health record
(the statements of clinical/sql.py, sent together in one round trip) and hand them, as plain
data, to the pure clinical/eligibility.py; every decision goes through `decide`.

For the same procedure and target (a category, a device or one treatment), or the same
condition and target, a clinic's own rule replaces its organisation's, which replaces the
installation's default; the pure function then prefers a treatment's own rules to its
category's. Rules and the vocabulary are read on every decision (with the record, in the
same round trip: booking_facts), never cached, so a rule or a word edited in the admin
governs the very next booking.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bookings.db import rows_together
from clinic.models import Client, Clinic, Treatment
from clinic.prepared import Prepared
from clinical import eligibility, prerequisites, sql, terms
from clinical.models import ContraindicationRule, WaitingRule
from clinical.vocabulary import CONDITION, PROCEDURE, Vocabulary


@dataclass(frozen=True)
class ClinicRules:
    """The rules in force at a clinic and the words of its organisation."""

    waiting: list[eligibility.WaitingRule]
    contraindications: list[eligibility.ContraindicationRule]
    words: Vocabulary


def clinic_rules(clinic: Clinic) -> ClinicRules:
    """The waiting and contraindication rules in force at `clinic`, with its organisation's
    vocabulary (one round trip, however many rules)."""
    params = {"clinic": clinic.pk, "organisation": clinic.organisation_id}
    return rules_of(*rows_together([sql.WAITING, sql.CONTRAINDICATIONS, sql.TERMS], params))


def rules_of(waiting_rows, contraindication_rows, term_rows) -> ClinicRules:
    """The ClinicRules of clinical/sql.py's WAITING, CONTRAINDICATIONS and TERMS rows, the
    most specific rule for each target kept."""
    waiting: dict[tuple, eligibility.WaitingRule] = {}
    for kind, category, treatment_id, min_days, recommended, message in waiting_rows:
        waiting.setdefault(
            (kind, category, treatment_id),
            eligibility.WaitingRule(
                injectable_kind=kind,
                treatment_category=category,
                min_days=min_days,
                recommended_days=recommended,
                message=message,
                treatment_id=treatment_id,
            ),
        )
    contraindications: dict[tuple, eligibility.ContraindicationRule] = {}
    for row in contraindication_rows:
        condition, category, resource_kind, treatment_id, action, message = row
        kind = resource_kind or ""
        contraindications.setdefault(
            (condition, category, kind, treatment_id),
            eligibility.ContraindicationRule(
                condition=condition,
                action=action,
                message=message,
                treatment_category=category,
                resource_kind=kind,
                treatment_id=treatment_id,
            ),
        )
    return ClinicRules(
        waiting=list(waiting.values()),
        contraindications=list(contraindications.values()),
        words=terms.vocabulary_of(term_rows),
    )


def treatments_with_own_rules(clinic: Clinic) -> set[int]:
    """The ids of `clinic`'s treatments that a rule names (two queries)."""
    return {
        *WaitingRule.objects.filter(clinic=clinic, treatment__isnull=False).values_list(
            "treatment_id", flat=True
        ),
        *ContraindicationRule.objects.filter(clinic=clinic, treatment__isnull=False).values_list(
            "treatment_id", flat=True
        ),
    }


def treatment_facts(treatment: Treatment, kinds=None) -> eligibility.TreatmentFacts:
    """What the rules know of `treatment`; `kinds`: the slugs of its kinds of resource when
    the caller read them (clinical/sql.py TREATMENT_KINDS), else read now."""
    if kinds is None:
        # .all() so a prefetch of required_resource_kinds serves it without a query.
        kinds = (kind.slug for kind in treatment.required_resource_kinds.all())
    return eligibility.TreatmentFacts(
        category=treatment.category, resource_kinds=frozenset(kinds), id=treatment.pk
    )


@dataclass
class Declared:
    """What a client declares while booking: injectables ({kind, date, areas}) and
    conditions. Evaluated with their record, and stored as client-declared records when the
    booking is made (clinical/services.py declared_store)."""

    injectables: list[dict] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)

    @property
    def declares_anything(self) -> bool:
        return bool(self.injectables or self.conditions)


@dataclass(frozen=True)
class Record:
    """A client's current health record, as the rule function reads it."""

    injections: tuple[eligibility.Injection, ...] = ()
    declarations: tuple[eligibility.Declaration, ...] = ()


def health_records(client_ids: Iterable[int]) -> dict[int, Record]:
    """The current injectables and declarations of several clients (one round trip; a
    client with none gets an empty Record). Records superseded by a correction no longer
    count."""
    client_ids = list(client_ids)
    if not client_ids:
        return {}
    injections, params = sql.for_clients(sql.INJECTIONS, client_ids)
    declarations, _ = sql.for_clients(sql.DECLARATIONS, client_ids)
    return records_of(client_ids, *rows_together([injections, declarations], params))


def records_of(client_ids: list[int], injection_rows, declaration_rows) -> dict[int, Record]:
    """The Record of each client from clinical/sql.py's INJECTIONS and DECLARATIONS rows."""
    injections: dict[int, list] = defaultdict(list)
    declarations: dict[int, list] = defaultdict(list)
    for client_id, kind, day, areas in injection_rows:
        if isinstance(areas, str):  # JSON as the database gives it, without the model field
            areas = json.loads(areas)
        injections[client_id].append(
            eligibility.Injection(kind=kind, date=day, areas=tuple(areas or ()))
        )
    for client_id, condition, ended_on in declaration_rows:
        declarations[client_id].append(
            eligibility.Declaration(condition=condition, ended_on=ended_on)
        )
    return {pk: Record(tuple(injections[pk]), tuple(declarations[pk])) for pk in client_ids}


def declared_record(declared: Declared | None) -> Record:
    """What a booking request declares, marked as declared now (so the pure function can
    tell a caller about their own declaration and nothing else)."""
    if declared is None:
        return Record()
    return Record(
        injections=tuple(
            eligibility.Injection(
                kind=item["kind"],
                date=item["date"],
                areas=tuple(item.get("areas") or ()),
                declared_now=True,
            )
            for item in declared.injectables
        ),
        declarations=tuple(
            eligibility.Declaration(condition=condition, declared_now=True)
            for condition in declared.conditions
        ),
    )


def decide(
    *,
    record: Record,
    rules: ClinicRules,
    treatment: Treatment,
    on: date,
    declared: Record = Record(),
    facts: eligibility.TreatmentFacts | None = None,
) -> eligibility.Decision:
    """The one place the rule function is called: `record` on file plus what this request
    `declared`, under the clinic's `rules` (clinic_rules), for `treatment` (its `facts`
    when the caller has them) on local date `on`."""
    return eligibility.evaluate(
        injections=[*record.injections, *declared.injections],
        declarations=[*record.declarations, *declared.declarations],
        waiting_rules=rules.waiting,
        contraindication_rules=rules.contraindications,
        treatment=facts or treatment_facts(treatment),
        on=on,
        words=rules.words,
    )


@dataclass(frozen=True)
class BookingFacts:
    """Everything the rules ask about one booking, read together (booking_facts)."""

    record: Record
    rules: ClinicRules
    treatment: eligibility.TreatmentFacts
    prerequisites: prerequisites.Facts | None  # None: not asked for
    also: tuple[list[tuple], ...] = ()  # the rows of the caller's own statements (`also`)

    def decide(self, treatment: Treatment, *, on: date, declared: Declared | None = None):
        """The rules' decision on `treatment` on the clinic-local date `on`, with what this
        request `declared`."""
        return decide(
            record=self.record,
            rules=self.rules,
            treatment=treatment,
            on=on,
            declared=declared_record(declared),
            facts=self.treatment,
        )


def booking_facts(
    *,
    treatment: Treatment,
    client: Client | None,
    with_prerequisites: bool = False,
    also: Sequence[str | Prepared] = (),
    also_params: dict | None = None,
) -> BookingFacts:
    """The clinic's rules and words, the treatment's kinds of resource, `client`'s record
    (None: a newcomer, who has none) and, `with_prerequisites`, the prerequisite rules with
    the client's appointments that meet them: in one round trip (clinical/sql.py). `also`:
    the caller's own statements (reads taking the same named parameters: prerequisites.params)
    sent in that round trip after these, their rows in BookingFacts.also; `also_params`, the
    named parameters they take besides those (one named alike must have the same value)."""
    known = client is not None and client.pk is not None
    params = prerequisites.params(treatment=treatment, client=client)
    statements = [sql.WAITING, sql.CONTRAINDICATIONS, sql.TERMS, sql.TREATMENT_KINDS]
    if known:
        statements += [sql.INJECTIONS_OF_ONE, sql.DECLARATIONS_OF_ONE]
        params["client0"] = client.pk
    if with_prerequisites:
        statements.append(sql.PREREQUISITES)
    for name, value in (also_params or {}).items():
        if params.setdefault(name, value) != value:
            raise ValueError(f"The parameter {name!r} is the rules' own, with another value.")
    mine = len(statements)
    rows = rows_together([*statements, *also], params)
    also_rows, rows = tuple(rows[mine:]), rows[:mine]
    waiting, contraindications, words, kinds = rows[:4]
    record = records_of([client.pk], rows[4], rows[5])[client.pk] if known else Record()
    return BookingFacts(
        record=record,
        rules=rules_of(waiting, contraindications, words),
        treatment=treatment_facts(treatment, kinds=[slug for (slug,) in kinds]),
        prerequisites=(
            prerequisites.facts_of(rows[-1], tz=treatment.clinic.tzinfo)
            if with_prerequisites
            else None
        ),
        also=also_rows,
    )


def client_decision(
    *, client: Client | None, treatment: Treatment, on: date, declared: Declared | None = None
) -> eligibility.Decision:
    """May `client` have `treatment` on the clinic-local date `on`? Uses their record on
    file plus what this request declares; `client` may be None for a newcomer. One round
    trip (booking_facts)."""
    facts = booking_facts(treatment=treatment, client=client)
    return facts.decide(treatment, on=on, declared=declared)


def decisions_for(
    appointments: list, in_force: dict[int, ClinicRules] | None = None
) -> dict[int, eligibility.Decision]:
    """The rules' decision for each appointment (by pk) from its client's record as it is
    now, in a fixed number of queries however many appointments there are (their clinic
    and treatment, with its resource kinds, loaded). Its cautions are the practitioner's;
    its findings say what a rule would refuse or warn about. `in_force`: the clinics'
    rules by clinic pk, when the caller has read them already (clinic_rules).

    A decision depends only on the record, the clinic's rules, the treatment and the day,
    so it is made once for each distinct (record, clinic, treatment, day) and shared (a
    frozen Decision): most clients have no record, and a busy week's 250 appointments
    need some 70 decisions (issue 16)."""
    if not appointments:
        return {}
    records = health_records({a.client_id for a in appointments})
    rules_by_clinic: dict[int, ClinicRules] = dict(in_force or {})
    facts: dict[int, eligibility.TreatmentFacts] = {}
    made: dict[tuple, eligibility.Decision] = {}
    decisions = {}
    for appointment in appointments:
        clinic = appointment.clinic
        if clinic.pk not in rules_by_clinic:
            rules_by_clinic[clinic.pk] = clinic_rules(clinic)
        record = records[appointment.client_id]
        on = clinic.local_date(appointment.start)
        # Every empty record decides alike; a record on file is its client's own.
        whose = appointment.client_id if record.injections or record.declarations else None
        key = (whose, clinic.pk, appointment.treatment_id, on)
        decision = made.get(key)
        if decision is None:
            treatment = appointment.treatment
            if treatment.pk not in facts:
                facts[treatment.pk] = treatment_facts(treatment)
            decision = made[key] = decide(
                record=record,
                rules=rules_by_clinic[clinic.pk],
                treatment=treatment,
                on=on,
                facts=facts[treatment.pk],
            )
        decisions[appointment.pk] = decision
    return decisions


def cautions_for(appointments: list) -> dict[int, tuple[str, ...]]:
    """Practitioner cautions for each appointment (by pk), from its client's record."""
    return {pk: decision.cautions for pk, decision in decisions_for(appointments).items()}


@dataclass(frozen=True)
class HealthQuestions:
    """What the booking form asks before `treatment`: the injectables a waiting rule ties to
    it, over how many weeks back they matter, and the conditions a contraindication rule
    names for it (itself, its category or a device it uses); `words` say how to ask."""

    injectable_kinds: tuple[str, ...] = ()
    weeks: int = 0
    conditions: tuple[str, ...] = ()
    words: Vocabulary = Vocabulary()


def health_questions(treatment: Treatment, in_force: ClinicRules | None = None) -> HealthQuestions:
    """The questions the clinic's rules in force make worth asking for `treatment`, in the
    order of the organisation's vocabulary. `in_force`: its clinic's rules, when the caller
    has read them already (clinic_rules)."""
    rules = in_force or clinic_rules(treatment.clinic)
    facts = treatment_facts(treatment)
    relevant = eligibility.waiting_for(rules.waiting, facts)
    kinds = {rule.injectable_kind for rule in relevant}
    conditions = {
        rule.condition for rule in eligibility.contraindications_for(rules.contraindications, facts)
    }
    longest = max((rule.recommended_days for rule in relevant), default=0)
    return HealthQuestions(
        injectable_kinds=_in_order(kinds, rules.words.codes(PROCEDURE)),
        weeks=-(-longest // 7),
        conditions=_in_order(conditions, rules.words.codes(CONDITION)),
        words=rules.words,
    )


def _in_order(codes: set[str], order: tuple[str, ...]) -> tuple[str, ...]:
    """`codes` in the vocabulary's order; a code with no word left (deleted) last."""
    return (*(c for c in order if c in codes), *sorted(codes - set(order)))
