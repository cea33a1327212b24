"""The database side of the clinical rules: load a clinic's rules and a client's health record
in a few queries and hand them, as plain data, to the pure bookings/eligibility.py.

A clinic's own WaitingRule or ContraindicationRule replaces the default (clinic-less) rule for
the same injectable and category, or the same condition and target. Rules are read on every
decision, never cached, so a rule edited in the admin governs the very next booking.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
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


def injection_of(record: InjectableRecord) -> eligibility.Injection:
    return eligibility.Injection(
        kind=record.kind, date=record.date, areas=tuple(record.areas or ())
    )


def health_records(
    client_ids: Iterable[int],
) -> tuple[dict[int, list[eligibility.Injection]], dict[int, list[eligibility.Declaration]]]:
    """Current injectables and declarations of several clients (two queries). Records
    superseded by a correction no longer count."""
    client_ids = list(client_ids)
    injections: dict[int, list] = defaultdict(list)
    declarations: dict[int, list] = defaultdict(list)
    if not client_ids:
        return injections, declarations
    for record in InjectableRecord.objects.filter(
        client_id__in=client_ids, superseded_at__isnull=True
    ).only("client_id", "kind", "date", "areas"):
        injections[record.client_id].append(injection_of(record))
    for client_id, condition, ended_on in HealthDeclaration.objects.filter(
        client_id__in=client_ids
    ).values_list("client_id", "condition", "ended_on"):
        declarations[client_id].append(
            eligibility.Declaration(condition=condition, ended_on=ended_on)
        )
    return injections, declarations


def declared_now(health) -> tuple[list[eligibility.Injection], list[eligibility.Declaration]]:
    """What a booking request declares (a services.HealthInput), marked as such."""
    if health is None:
        return [], []
    injections = [
        eligibility.Injection(
            kind=item["kind"],
            date=item["date"],
            areas=tuple(item.get("areas") or ()),
            declared_now=True,
        )
        for item in health.injectables
    ]
    declarations = [
        eligibility.Declaration(condition=condition, declared_now=True)
        for condition in health.conditions
    ]
    return injections, declarations


def client_decision(
    *, client: Client | None, treatment: Treatment, on: date, health=None
) -> eligibility.Decision:
    """May `client` have `treatment` on the clinic-local date `on`? Uses their record on
    file plus what this request declares (`health`); `client` may be None for a newcomer."""
    waiting, contraindications = clinic_rules(treatment.clinic)
    injections, declarations = ([], [])
    # A client created by this very booking has no record yet: nothing to read.
    if client is not None and client.pk is not None and not getattr(client, "is_new", False):
        on_file_injections, on_file_declarations = health_records([client.pk])
        injections = on_file_injections[client.pk]
        declarations = on_file_declarations[client.pk]
    now_injections, now_declarations = declared_now(health)
    return eligibility.evaluate(
        injections=[*injections, *now_injections],
        declarations=[*declarations, *now_declarations],
        waiting_rules=waiting,
        contraindication_rules=contraindications,
        treatment=treatment_facts(treatment),
        on=on,
    )


def decisions_for(appointments: list) -> dict[int, eligibility.Decision]:
    """The rules' decision for each appointment (by pk) from its client's record as it is
    now, in a fixed number of queries however many appointments there are. Its cautions
    are the practitioner's; its findings say what a rule would refuse or warn about."""
    if not appointments:
        return {}
    injections, declarations = health_records({a.client_id for a in appointments})
    rules_by_clinic: dict[int, tuple] = {}
    facts_by_treatment: dict[int, eligibility.TreatmentFacts] = {}
    decisions = {}
    for appointment in appointments:
        clinic = appointment.clinic
        if clinic.pk not in rules_by_clinic:
            rules_by_clinic[clinic.pk] = clinic_rules(clinic)
        if appointment.treatment_id not in facts_by_treatment:
            facts_by_treatment[appointment.treatment_id] = treatment_facts(appointment.treatment)
        waiting, contraindications = rules_by_clinic[clinic.pk]
        decisions[appointment.pk] = eligibility.evaluate(
            injections=injections[appointment.client_id],
            declarations=declarations[appointment.client_id],
            waiting_rules=waiting,
            contraindication_rules=contraindications,
            treatment=facts_by_treatment[appointment.treatment_id],
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
