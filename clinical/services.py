"""Writes to a client's health record (injectables, declared conditions) and the re-check of
their upcoming appointments that every such write triggers, in the same transaction.

Whoever records health data (the staff API, the workspace, the admin, the booking path for
what a client declares) calls these functions, so no caller can forget the date check, the
re-check or the audit entry. A record is never edited: a correction is a new record that
supersedes the old one, which is kept.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from aftercare import planning
from bookings.history import appointment_flag
from bookings.models import Appointment
from bookings.signoff import signoff_sync
from clinic.audit import DECLARATIONS as AUDIT_DECLARATIONS
from clinic.audit import INJECTABLES as AUDIT_INJECTABLES
from clinic.audit import Origin, acting_user, audit_write
from clinic.models import AuditEntry, Client, Clinic
from clinical import eligibility, prerequisites, rules, terms
from clinical.models import HealthDeclaration, InjectableRecord, PrerequisiteRule
from clinical.vocabulary import AREA, CONDITION, PROCEDURE, RecordSource

FUTURE_DATE = "An injection date cannot be in the future."
APPROVAL_NEEDED = "A clinic rule asks for a practitioner's approval."


class InjectionDateInFuture(ValueError):
    """An injection given a date after the clinic's today. `index` is its place in a list
    of declared injections (None for a single record), so a form or an API can point at the
    field."""

    def __init__(self, index: int | None = None):
        super().__init__(FUTURE_DATE)
        self.index = index


def injection_date_check(day: date, *, clinic: Clinic, index: int | None = None) -> None:
    """An injection happened on or before today in the clinic's calendar."""
    if day > timezone.localdate(timezone=clinic.tzinfo):
        raise InjectionDateInFuture(index)


def declared_check(declared: "rules.Declared | None", *, clinic: Clinic) -> None:
    """Every injection a client declares while booking passes injection_date_check. (Its
    codes are checked where they come in: the booking page offers only the organisation's
    words, the API checks them with terms.declared_terms_check; a word deleted since a
    hold was asked for just matches no rule.)"""
    for index, item in enumerate(declared.injectables if declared else ()):
        injection_date_check(item["date"], clinic=clinic, index=index)


def injectable_record(
    *,
    client: Client,
    kind: str,
    date: date,
    areas: list[str] | tuple[str, ...] = (),
    product: str = "",
    lot_number: str = "",
    amount=None,
    amount_unit: str = "",
    given_here: bool = False,
    given_at: str = "",
    notes: str = "",
    source: str = RecordSource.STAFF,
    by=None,
    origin: Origin | None = None,
    corrects: InjectableRecord | None = None,
) -> tuple[InjectableRecord, list[Appointment]]:
    """Record an injectable for `client` (or correct an earlier record) and flag the client's
    upcoming appointments it now makes too early. Raises InjectionDateInFuture, or
    terms.UnknownTerm for a kind or an area that is no word of the organisation's. Returns
    the record and the flagged appointments."""
    injection_date_check(date, clinic=client.home_clinic)
    words = terms.vocabulary_for(client.organisation_id)
    terms.codes_check(words, PROCEDURE, [kind], field="kind")
    terms.codes_check(words, AREA, areas, field="areas")
    with transaction.atomic():
        record = InjectableRecord.objects.create(
            client=client,
            kind=kind,
            date=date,
            areas=list(areas),
            product=product,
            lot_number=lot_number,
            amount=amount,
            amount_unit=amount_unit,
            given_here=given_here,
            given_at=given_at,
            notes=notes,
            source=source,
            recorded_by=acting_user(by),
            corrects=corrects,
        )
        if corrects is not None:
            InjectableRecord.objects.filter(pk=corrects.pk, superseded_at__isnull=True).update(
                superseded_at=timezone.now()
            )
        flagged = appointments_recheck(client=client, by=by)
        _audit_recorded(by, origin, AUDIT_INJECTABLES, client, record)
    return record, flagged


def declaration_record(
    *,
    client: Client,
    condition: str,
    declared_on: date,
    source: str = RecordSource.STAFF,
    notes: str = "",
    by=None,
    origin: Origin | None = None,
) -> tuple[HealthDeclaration, list[Appointment]]:
    """Record a condition (pacemaker, pregnancy...) and flag upcoming appointments it rules
    out. Raises terms.UnknownTerm for a condition that is no word of the organisation's.
    Returns the declaration and the flagged appointments."""
    words = terms.vocabulary_for(client.organisation_id)
    terms.codes_check(words, CONDITION, [condition], field="condition")
    with transaction.atomic():
        declaration = HealthDeclaration.objects.create(
            client=client,
            condition=condition,
            declared_on=declared_on,
            source=source,
            notes=notes,
            recorded_by=acting_user(by),
        )
        flagged = appointments_recheck(client=client, by=by)
        _audit_recorded(by, origin, AUDIT_DECLARATIONS, client, declaration)
    return declaration, flagged


def _audit_recorded(by, origin, what: str, client: Client, record) -> None:
    """A person's record of health data joins the audit trail (a command's does not)."""
    if acting_user(by) is not None:
        audit_write(
            user=by,
            origin=origin,
            action=AuditEntry.Action.RECORD,
            what=what,
            clients=[client],
            id=record.pk,
        )


def declared_store(
    *, client: Client, declared: "rules.Declared", by=None, reference: str = ""
) -> None:
    """Keep what a client declared while booking as client-declared records, skipping what
    is already on file (the same injectable kind and date, a condition still in force)."""
    declared_check(declared, clinic=client.home_clinic)
    on_file = set(
        InjectableRecord.objects.filter(client=client, superseded_at__isnull=True).values_list(
            "kind", "date"
        )
    )
    note = f"Declared when booking {reference}." if reference else "Declared when booking."
    InjectableRecord.objects.bulk_create(
        InjectableRecord(
            client=client,
            kind=item["kind"],
            date=item["date"],
            areas=list(item.get("areas") or ()),
            source=RecordSource.CLIENT,
            recorded_by=acting_user(by),
            notes=note,
        )
        for item in _unique_injectables(declared.injectables)
        if (item["kind"], item["date"]) not in on_file
    )
    today = timezone.localdate(timezone=client.home_clinic.tzinfo)
    in_force = set(
        HealthDeclaration.objects.filter(client=client)
        .exclude(ended_on__lte=today)
        .values_list("condition", flat=True)
    )
    HealthDeclaration.objects.bulk_create(
        HealthDeclaration(
            client=client,
            condition=condition,
            declared_on=today,
            source=RecordSource.CLIENT,
            recorded_by=acting_user(by),
            notes=note,
        )
        for condition in dict.fromkeys(declared.conditions)
        if condition not in in_force
    )


def _unique_injectables(items: list[dict]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for item in items:
        seen.setdefault((item["kind"], item["date"]), item)
    return list(seen.values())


def appointments_recheck(
    *, client: Client, by=None, exclude_id: int | None = None
) -> list[Appointment]:
    """Evaluate the client's upcoming confirmed appointments against their record as it is
    now. Each one a rule now refuses is flagged for staff (with a line in its history), its
    reminder held and the clinic emailed about it (through the outbox); a flag that no
    longer applies (after a correction) is cleared and the reminder planned again. Each
    one's practitioner sign-off follows what the "needs approval" rules ask now
    (bookings/signoff.py). Returns those newly flagged.
    """
    upcoming = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(client=client, status=Appointment.Status.CONFIRMED, start__gte=timezone.now())
        .exclude(pk=exclude_id)
        .select_related("clinic", "treatment")
        .prefetch_related("treatment__required_resource_kinds")
        .order_by("start")
    )
    if not upcoming:
        return []
    decisions = rules.decisions_for(upcoming)
    missing = prerequisites_missing(upcoming, client=client)
    flagged = []
    for appointment in upcoming:
        decision = decisions[appointment.pk]
        signoff_sync(appointment, reasons=approval_reasons(decision))
        flag = " ".join([*decision.reasons, *missing.get(appointment.pk, ())])
        if not appointment_flag(
            appointment, flag=flag, by=by, earliest_date=decision.earliest_date
        ):
            continue
        if flag:
            flagged.append(appointment)
            planning.on_flagged(appointment, reason=flag)
        else:
            planning.on_flag_cleared(appointment)
    return flagged


def dependants_recheck(appointment: Appointment, *, by=None) -> list[Appointment]:
    """Re-check the client's other upcoming appointments after `appointment` was cancelled,
    marked a no-show or moved, when its treatment is a prerequisite of some rule (a patch
    test): a treatment booked on the strength of it is flagged for staff, as a record change
    flags one (`appointments_recheck`). Nothing is read beyond one query otherwise."""
    if appointment.client_id is None:
        return []
    is_prerequisite = PrerequisiteRule.objects.filter(
        organisation_id=appointment.clinic.organisation_id,
        required_treatments=appointment.treatment_id,
    ).exists()
    if not is_prerequisite:
        return []
    return appointments_recheck(client=appointment.client, by=by, exclude_id=appointment.pk)


def prerequisites_missing(upcoming: list[Appointment], *, client: Client) -> dict[int, list[str]]:
    """For each of `client`'s upcoming appointments (by pk) whose prerequisite no longer
    counts (the patch test cancelled, marked a no-show or moved after it), what is missing,
    in staff's words. One query per treatment among them. An appointment booked past a rule
    with a reason (`override_reason`) is not flagged for a prerequisite: the override is the
    clinic's decision about exactly that."""
    facts: dict[int, prerequisites.Facts] = {}
    missing = {}
    for appointment in upcoming:
        if appointment.override_reason:
            continue
        treatment = appointment.treatment
        if treatment.pk not in facts:
            facts[treatment.pk] = prerequisites.load(treatment=treatment, client=client)
        unmet = facts[treatment.pk].unmet_at(appointment.start)
        if unmet:
            missing[appointment.pk] = [
                _missing_words(u, clinic_id=appointment.clinic_id) for u in unmet
            ]
    return missing


def _missing_words(unmet: prerequisites.Unmet, *, clinic_id: int) -> str:
    offer = unmet.rule.offer(clinic_id)
    name = offer.name if offer else "required appointment"
    return f"{unmet.rule.message} No {name} on record counts for this date.".strip()


def approval_reasons(decision: eligibility.Decision) -> list[str]:
    """What a decision asks a practitioner to approve: the messages of the "needs
    practitioner approval" rules that match (empty when none does)."""
    if not decision.needs_approval:
        return []
    messages = [
        f.message
        for f in decision.findings
        if f.outcome == eligibility.WARN and f.code == eligibility.CONTRAINDICATED and f.message
    ]
    # A rule with no message still asks: the practitioner's caution line names the condition.
    return list(dict.fromkeys(messages or [APPROVAL_NEEDED]))


def health_records_erase(*, client: Client) -> tuple[int, int]:
    """Delete every injectable and declaration of `client` (anonymisation on request, see
    privacy/anonymise.py). Returns how many of each were removed. Their appointments keep
    any flag only as a redacted line (bookings/history.py appointments_redact)."""
    with transaction.atomic():
        injectables = InjectableRecord.objects.filter(client=client)
        # Corrections point at the records they replace (PROTECT): unlink before deleting.
        injectables.exclude(corrects=None).update(corrects=None)
        removed_injectables, _ = injectables.delete()
        removed_declarations, _ = HealthDeclaration.objects.filter(client=client).delete()
    return removed_injectables, removed_declarations
