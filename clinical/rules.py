"""The database side of the clinical rules: load a clinic's rules and a client's health record
in a few queries and hand them, as plain data, to the pure clinical/eligibility.py; every
decision goes through `decide`.

A clinic's own WaitingRule or ContraindicationRule replaces the default (clinic-less) rule for
the same injectable and category, or the same condition and target. Rules are read on every
decision, never cached, so a rule edited in the admin governs the very next booking.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F

from clinic.models import Client, Clinic, Treatment
from clinical import eligibility
from clinical.models import ContraindicationRule, HealthDeclaration, InjectableRecord, WaitingRule
from clinical.vocabulary import Condition, InjectableKind

# The clinic's own rows before the defaults (clinic NULL), so setdefault keeps the clinic's.
CLINIC_ROWS_FIRST = F("clinic_id").asc(nulls_last=True)


def clinic_rules(
    clinic: Clinic,
) -> tuple[list[eligibility.WaitingRule], list[eligibility.ContraindicationRule]]:
    """The waiting and contraindication rules in force at `clinic` (two queries)."""
    waiting: dict[tuple, eligibility.WaitingRule] = {}
    for kind, category, min_days, recommended_days, message in _waiting_rows(clinic.pk):
        waiting.setdefault(
            (kind, category),
            eligibility.WaitingRule(
                injectable_kind=kind,
                treatment_category=category,
                min_days=min_days,
                recommended_days=recommended_days,
                message=message,
            ),
        )
    contraindications: dict[tuple, eligibility.ContraindicationRule] = {}
    for condition, category, resource_kind, action, message in _contraindication_rows(clinic.pk):
        kind = resource_kind or ""
        contraindications.setdefault(
            (condition, category, kind),
            eligibility.ContraindicationRule(
                condition=condition,
                action=action,
                message=message,
                treatment_category=category,
                resource_kind=kind,
            ),
        )
    return list(waiting.values()), list(contraindications.values())


def _waiting_rows(clinic_id: int):
    return (
        WaitingRule.objects.filter_for(clinic_id)
        .order_by(CLINIC_ROWS_FIRST, "pk")
        .values_list(
            "injectable_kind", "treatment_category", "min_days", "recommended_days", "message"
        )
    )


def _contraindication_rows(clinic_id: int):
    return (
        ContraindicationRule.objects.filter_for(clinic_id)
        .order_by(CLINIC_ROWS_FIRST, "pk")
        .values_list("condition", "treatment_category", "resource_kind__slug", "action", "message")
    )


def treatment_facts(treatment: Treatment) -> eligibility.TreatmentFacts:
    return eligibility.TreatmentFacts(
        category=treatment.category,
        # .all() so a prefetch of required_resource_kinds serves it without a query.
        resource_kinds=frozenset(kind.slug for kind in treatment.required_resource_kinds.all()),
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
    """The current injectables and declarations of several clients (two queries; a client
    with none gets an empty Record). Records superseded by a correction no longer count."""
    client_ids = list(client_ids)
    injections: dict[int, list] = defaultdict(list)
    declarations: dict[int, list] = defaultdict(list)
    if client_ids:
        for client_id, kind, day, areas in InjectableRecord.objects.filter(
            client_id__in=client_ids, superseded_at__isnull=True
        ).values_list("client_id", "kind", "date", "areas"):
            injections[client_id].append(
                eligibility.Injection(kind=kind, date=day, areas=tuple(areas or ()))
            )
        for client_id, condition, ended_on in HealthDeclaration.objects.filter(
            client_id__in=client_ids
        ).values_list("client_id", "condition", "ended_on"):
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
    rules: tuple[list, list],
    treatment: Treatment,
    on: date,
    declared: Record = Record(),
) -> eligibility.Decision:
    """The one place the rule function is called: `record` on file plus what this request
    `declared`, under the clinic's `rules` (clinic_rules), for `treatment` on local date
    `on`."""
    waiting, contraindications = rules
    return eligibility.evaluate(
        injections=[*record.injections, *declared.injections],
        declarations=[*record.declarations, *declared.declarations],
        waiting_rules=waiting,
        contraindication_rules=contraindications,
        treatment=treatment_facts(treatment),
        on=on,
    )


def client_decision(
    *, client: Client | None, treatment: Treatment, on: date, declared: Declared | None = None
) -> eligibility.Decision:
    """May `client` have `treatment` on the clinic-local date `on`? Uses their record on
    file plus what this request declares; `client` may be None for a newcomer."""
    record = Record()
    if client is not None and client.pk is not None:
        record = health_records([client.pk])[client.pk]
    return decide(
        record=record,
        rules=clinic_rules(treatment.clinic),
        treatment=treatment,
        on=on,
        declared=declared_record(declared),
    )


def decisions_for(appointments: list) -> dict[int, eligibility.Decision]:
    """The rules' decision for each appointment (by pk) from its client's record as it is
    now, in a fixed number of queries however many appointments there are (their clinic
    and treatment, with its resource kinds, loaded). Its cautions are the practitioner's;
    its findings say what a rule would refuse or warn about."""
    if not appointments:
        return {}
    records = health_records({a.client_id for a in appointments})
    rules_by_clinic: dict[int, tuple] = {}
    decisions = {}
    for appointment in appointments:
        clinic = appointment.clinic
        if clinic.pk not in rules_by_clinic:
            rules_by_clinic[clinic.pk] = clinic_rules(clinic)
        decisions[appointment.pk] = decide(
            record=records[appointment.client_id],
            rules=rules_by_clinic[clinic.pk],
            treatment=appointment.treatment,
            on=clinic.local_date(appointment.start),
        )
    return decisions


def cautions_for(appointments: list) -> dict[int, tuple[str, ...]]:
    """Practitioner cautions for each appointment (by pk), from its client's record."""
    return {pk: decision.cautions for pk, decision in decisions_for(appointments).items()}


@dataclass(frozen=True)
class HealthQuestions:
    """What the booking form asks before `treatment`: the injectables a waiting rule ties to
    it, over how many weeks back they matter, and the conditions a contraindication rule
    names for it (its category or a device it uses)."""

    injectable_kinds: tuple[str, ...] = ()
    weeks: int = 0
    conditions: tuple[str, ...] = ()


def health_questions(treatment: Treatment) -> HealthQuestions:
    """The questions the clinic's rules in force make worth asking for `treatment`."""
    waiting, contraindications = clinic_rules(treatment.clinic)
    facts = treatment_facts(treatment)
    relevant = [rule for rule in waiting if rule.treatment_category == facts.category]
    kinds = {rule.injectable_kind for rule in relevant}
    conditions = {
        rule.condition for rule in contraindications if eligibility.applies_to(rule, facts)
    }
    longest = max((rule.recommended_days for rule in relevant), default=0)
    return HealthQuestions(
        injectable_kinds=tuple(kind for kind in InjectableKind.values if kind in kinds),
        weeks=-(-longest // 7),
        conditions=tuple(condition for condition in Condition.values if condition in conditions),
    )
