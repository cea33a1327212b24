"""Writes to a client's health record (injectables, declared conditions) and the re-check of
their upcoming appointments that every such write triggers, in the same transaction.

Whoever records an injectable (the staff API, the admin, the booking path for what a client
declares) calls these functions, so no caller can forget the re-check. A record is never
edited: a correction is a new record that supersedes the old one, which is kept.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from aftercare import planning
from bookings.models import Appointment, AppointmentChange, Channel, Status, acting_user
from clinic.models import Client
from clinical import eligibility, rules
from clinical.models import HealthDeclaration, InjectableRecord
from clinical.vocabulary import RecordSource


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
    corrects: InjectableRecord | None = None,
) -> tuple[InjectableRecord, list[Appointment]]:
    """Record an injectable for `client` (or correct an earlier record) and flag the client's
    upcoming appointments it now makes too early. Returns the record and the flagged ones."""
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
    return record, flagged


def declaration_record(
    *,
    client: Client,
    condition: str,
    declared_on: date,
    source: str = RecordSource.STAFF,
    notes: str = "",
    by=None,
) -> tuple[HealthDeclaration, list[Appointment]]:
    """Record a condition (pacemaker, pregnancy...) and flag upcoming appointments it rules
    out. Returns the declaration and the flagged appointments."""
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
    return declaration, flagged


def declared_store(*, client: Client, health, by=None, reference: str = "") -> None:
    """Keep what a client declared while booking as client-declared records, skipping what
    is already on file (the same injectable kind and date, a condition still in force)."""
    if health is None:
        return
    client.is_new = False  # it has a record from now on (see rules.client_decision)
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
        for item in _unique_injectables(health.injectables)
        if (item["kind"], item["date"]) not in on_file
    )
    today = timezone.localdate(timezone=client.clinic.tzinfo)
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
        for condition in dict.fromkeys(health.conditions)
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
    now. Each one a rule now refuses is flagged for staff (with a line in its history); a
    flag that no longer applies (after a correction) is cleared; the clinic is emailed about
    each new flag (through the outbox). Returns those newly flagged.
    """
    upcoming = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(client=client, status=Status.CONFIRMED, start__gte=timezone.now())
        .exclude(pk=exclude_id)
        .select_related("clinic", "treatment")
        .prefetch_related("treatment__required_resource_kinds")
        .order_by("start")
    )
    if not upcoming:
        return []
    injections, declarations = rules.health_records([client.pk])
    waiting, contraindications = rules.clinic_rules(client.clinic)
    flagged = []
    for appointment in upcoming:
        decision = eligibility.evaluate(
            injections=injections[client.pk],
            declarations=declarations[client.pk],
            waiting_rules=waiting,
            contraindication_rules=contraindications,
            treatment=rules.treatment_facts(appointment.treatment),
            on=appointment.clinic.local_date(appointment.start),
        )
        flag = " ".join(decision.reasons)
        if flag == appointment.eligibility_flag:
            continue
        appointment.eligibility_flag = flag
        appointment.flagged_at = timezone.now() if flag else None
        appointment.save(update_fields=["eligibility_flag", "flagged_at", "updated_at"])
        if flag:
            flagged.append(appointment)
            AppointmentChange.objects.create(
                appointment=appointment,
                action=AppointmentChange.Action.FLAGGED,
                by=acting_user(by),
                channel=Channel.STAFF,
                from_status=appointment.status,
                to_status=appointment.status,
                from_start=appointment.start,
                to_start=appointment.start,
                reason=flag,
                details={"earliest_date": _iso(decision.earliest_date)},
            )
            planning.plan_flagged_appointment(appointment=appointment, reason=flag)
    return flagged


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def health_records_erase(*, client: Client) -> tuple[int, int]:
    """Delete every injectable and declaration of `client` (anonymisation on request, see
    workspace/services.py). Returns how many of each were removed. Their appointments keep
    any flag only as a redacted line (diary.services.appointments_redact)."""
    with transaction.atomic():
        injectables = InjectableRecord.objects.filter(client=client)
        # Corrections point at the records they replace (PROTECT): unlink before deleting.
        injectables.exclude(corrects=None).update(corrects=None)
        removed_injectables, _ = injectables.delete()
        removed_declarations, _ = HealthDeclaration.objects.filter(client=client).delete()
    return removed_injectables, removed_declarations
