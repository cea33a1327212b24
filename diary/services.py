"""Every write to an appointment: book, reschedule, cancel, complete, mark no-show.

Booking and rescheduling check the clinic's rules, then claim the slot through
bookings/reservation.py: one transaction that locks, re-checks the diary and writes the
appointment, its resource holds and its change record together.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from access import may_see_client
from aftercare import planning
from bookings.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentResource,
    Channel,
    Status,
    acting_user,
    new_reference,
)
from clinic.models import Client, Practitioner, Treatment
from clinical import eligibility, rules
from clinical.services import appointments_recheck, declared_store
from diary.errors import (
    Contraindicated,
    EligibilityRefused,
    InvalidTransition,
    OverrideNotAllowed,
    TooLateToCancel,
    WaitingPeriod,
    WarningsNotAcknowledged,
)
from diary.reservation import SlotRequest, claim_first, free_practitioners, unavailable


@dataclass
class HealthInput:
    """What a client declares while booking: injectables ({kind, date, areas}) and
    conditions. Evaluated with their record, and stored as client-declared records when
    the booking is made."""

    injectables: list[dict] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)

    @property
    def declares_anything(self) -> bool:
        return bool(self.injectables or self.conditions)


@dataclass
class EligibilityOutcome:
    warnings: list[str] = field(default_factory=list)  # acknowledged, as the caller saw them
    overridden: list[str] = field(default_factory=list)  # refusals staff booked past
    cautions: list[str] = field(default_factory=list)  # for the practitioner


# What a caller who may not see the client's record is told when the record, not their own
# declaration, refuses or warns: no injection, condition or date.
GENERIC_REFUSAL = (
    "We can't confirm this booking online. Please contact the clinic{phone} so we can check "
    "it with you."
)
GENERIC_WARNING = (
    "Your practitioner needs to go through your health record with you at the start of this "
    "appointment; please confirm you are happy to do so."
)


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def may_see_health(user, client: Client | None) -> bool:
    """The client themselves when logged in, and staff whose role lets them see this
    client's record (workspace/access.py: a practitioner only sees their own clients')."""
    if (
        client is not None
        and user is not None
        and user.is_authenticated
        and client.user_id is not None
        and client.user_id == user.pk
    ):
        return True
    return may_see_client(user, client)


def can_override(user) -> bool:
    return is_staff(user) and user.has_perm("bookings.override_eligibility")


def check_eligibility(
    *,
    client: Client,
    treatment: Treatment,
    start: datetime,
    health: HealthInput | None,
    acknowledge_warnings: bool,
    override_reason: str | None,
    by,
) -> EligibilityOutcome:
    """Apply the clinic's medical rules to every booking path (book, reschedule; API, pages,
    admin). Raises WaitingPeriod, Contraindicated or WarningsNotAcknowledged (422), or
    OverrideNotAllowed (403); returns the warnings acknowledged and the cautions.

    A caller who may not see the client's record (anyone but staff and the client logged in)
    learns only about what they declared in this request; a refusal or warning that comes
    from the record on file is generic and carries no date.
    """
    if override_reason and not can_override(by):
        raise OverrideNotAllowed()
    clinic = treatment.clinic
    decision = rules.client_decision(
        client=client, treatment=treatment, on=clinic.local_date(start), health=health
    )
    sees_record = may_see_health(by, client)
    if decision.refusals:
        if override_reason:
            return EligibilityOutcome(
                warnings=decision.warnings,
                overridden=decision.reasons,
                cautions=list(decision.cautions),
            )
        raise _refusal(decision, clinic=clinic, sees_record=sees_record)
    warnings = decision.warnings if sees_record else _warnings_for_declarant(decision)
    if warnings and not (acknowledge_warnings or override_reason):
        raise WarningsNotAcknowledged(warnings=warnings)
    return EligibilityOutcome(warnings=warnings, cautions=list(decision.cautions))


def _refusal(decision: eligibility.Decision, *, clinic, sees_record: bool) -> EligibilityRefused:
    shown = decision if sees_record else decision.visible_to_declarant()
    if not shown.refusals:  # only the record on file refuses, and this caller may not see it
        detail = GENERIC_REFUSAL.format(phone=f" on {clinic.phone}" if clinic.phone else "")
        if decision.code == eligibility.CONTRAINDICATED:
            return Contraindicated(detail)
        return WaitingPeriod(detail)
    detail = " ".join(shown.reasons)
    if shown.code == eligibility.CONTRAINDICATED:
        return Contraindicated(detail)
    earliest = shown.earliest_date
    return WaitingPeriod(
        f"{detail} The earliest date you can book is {earliest:%A} {earliest.day} "
        f"{earliest:%B %Y}.",
        earliest_date=earliest,
    )


def _warnings_for_declarant(decision: eligibility.Decision) -> list[str]:
    warnings = decision.visible_to_declarant().warnings
    if any(not f.declared_now and f.outcome == eligibility.WARN for f in decision.findings):
        warnings.append(GENERIC_WARNING)
    return warnings


def _hold(appointment: Appointment, resource_ids: list[int]) -> None:
    AppointmentResource.objects.bulk_create(
        AppointmentResource(
            appointment=appointment,
            resource_id=rid,
            start=appointment.start,
            blocked_until=appointment.blocked_until,
        )
        for rid in resource_ids
    )


def _record(
    appointment, *, action, by, channel, from_status="", from_start=None, reason="", **details
):
    AppointmentChange.objects.create(
        appointment=appointment,
        action=action,
        by=acting_user(by),
        channel=channel,
        from_status=from_status,
        to_status=appointment.status,
        from_start=from_start,
        to_start=appointment.start,
        reason=reason,
        details=details,
    )


def appointment_book(
    *,
    treatment: Treatment,
    start: datetime,
    client: Client,
    practitioner: Practitioner | None = None,
    by=None,
    channel: str | None = None,
    notes: str = "",
    health: HealthInput | None = None,
    acknowledge_warnings: bool = False,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book `treatment` at `start` for `client`, with `practitioner` or whoever is free.

    Online bookings (anyone but staff) respect the clinic's minimum notice and maximum
    advance. The clinic's medical rules apply (see check_eligibility); staff with the
    override permission may book past a refusal by giving `override_reason`, which is kept
    on the appointment and in its history. What the client declares (`health`) is
    stored as client-declared records with the booking. Raises SlotUnavailable (with
    alternatives) or an eligibility refusal. The appointment returned carries `.warnings`
    (acknowledged) and `.cautions` (for the practitioner).
    """
    now = now or timezone.now()
    staff = is_staff(by)
    online = not staff
    channel = channel or (Channel.STAFF if staff else Channel.ONLINE)
    practitioner_id = practitioner.pk if practitioner else None
    clinic = treatment.clinic

    request = SlotRequest(
        treatment=treatment, start=start, online=online, now=now, practitioner_id=practitioner_id
    )
    candidates = free_practitioners(request)
    if not candidates:
        raise unavailable(request)

    outcome = check_eligibility(
        client=client,
        treatment=treatment,
        start=start,
        health=health,
        acknowledge_warnings=acknowledge_warnings,
        override_reason=override_reason,
        by=by,
    )

    def write(practitioner_id: int, resource_ids: list[int]) -> Appointment:
        end = start + timedelta(minutes=treatment.duration_minutes)
        appointment = Appointment.objects.create(
            clinic=clinic,
            reference=_unused_reference(),
            client=client,
            treatment=treatment,
            practitioner_id=practitioner_id,
            practitioner_requested=practitioner is not None,
            start=start,
            end=end,
            blocked_until=end + timedelta(minutes=treatment.buffer_after_minutes),
            status=Status.CONFIRMED,
            channel=channel,
            notes=notes,
            override_reason=(override_reason or "") if outcome.overridden else "",
            created_by=acting_user(by),
            changed_by=acting_user(by),
        )
        _hold(appointment, resource_ids)
        _record(
            appointment,
            action=AppointmentChange.Action.BOOKED,
            by=by,
            channel=channel,
            reason=appointment.override_reason,
            warnings=outcome.warnings,
            overridden=outcome.overridden,
        )
        planning.on_booked(appointment)
        if health is not None and health.declares_anything:
            declared_store(client=client, health=health, by=by, reference=appointment.reference)
            appointments_recheck(client=client, by=by, exclude_id=appointment.pk)
        return appointment

    appointment = claim_first(request, candidates, write)
    appointment.warnings = outcome.warnings
    appointment.cautions = outcome.cautions
    return appointment


def _unused_reference() -> str:
    while True:
        reference = new_reference()
        if not Appointment.objects.filter(reference=reference).exists():
            return reference


def _locked(appointment: Appointment) -> Appointment:
    """The appointment re-read under a row lock: decide on its status only while holding it."""
    return (
        Appointment.objects.select_for_update()
        .select_related("clinic", "treatment", "treatment__clinic")
        .get(pk=appointment.pk)
    )


def _check_client_window(appointment: Appointment, *, by, now: datetime) -> None:
    if is_staff(by):
        return
    window = timedelta(hours=appointment.clinic.cancellation_window_hours)
    if appointment.start - now < window:
        raise TooLateToCancel(
            f"This appointment starts in less than {appointment.clinic.cancellation_window_hours}"
            f" hours and can no longer be changed online. Please call the clinic"
            f"{' on ' + appointment.clinic.phone if appointment.clinic.phone else ''}.",
            phone=appointment.clinic.phone,
        )


def appointment_cancel(
    *, appointment: Appointment, by=None, reason: str = "", now: datetime | None = None
) -> Appointment:
    """Cancel a confirmed appointment, freeing its time. Clients (anyone but staff) cannot
    cancel inside the clinic's cancellation window; staff always can."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != Status.CONFIRMED:
            raise InvalidTransition(
                f"This appointment is {appointment.get_status_display().lower()}"
                " and cannot be cancelled."
            )
        _check_client_window(appointment, by=by, now=now)
        previous = appointment.status
        appointment.status = Status.CANCELLED
        appointment.changed_by = acting_user(by)
        appointment.save(update_fields=["status", "changed_by", "updated_at"])
        appointment.resource_holds.update(active=False)
        _record(
            appointment,
            action=AppointmentChange.Action.CANCELLED,
            by=by,
            channel=Channel.STAFF if is_staff(by) else Channel.ONLINE,
            from_status=previous,
            from_start=appointment.start,
            reason=reason,
        )
        planning.on_cancelled(appointment, by_clinic=is_staff(by))
    return appointment


def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime,
    by=None,
    acknowledge_warnings: bool = False,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move a confirmed appointment to `start`. Keeps the practitioner the client chose;
    otherwise prefers the same practitioner, then anyone free. Clients cannot move an
    appointment inside the cancellation window. The medical rules apply to the new date as
    they do to a booking; a move that passes them clears any flag the appointment had."""
    now = now or timezone.now()
    staff = is_staff(by)
    online = not staff
    with transaction.atomic():
        current = _locked(appointment)
        if current.status != Status.CONFIRMED:
            raise InvalidTransition(
                f"This appointment is {current.get_status_display().lower()} and cannot be moved."
            )
        _check_client_window(current, by=by, now=now)

    treatment = current.treatment
    request = SlotRequest(
        treatment=treatment,
        start=start,
        online=online,
        now=now,
        practitioner_id=current.practitioner_id if current.practitioner_requested else None,
        exclude_appointment_id=current.pk,
    )
    candidates = free_practitioners(request)
    candidates.prefer(current.practitioner_id)  # stay with the same person where possible
    if not candidates:
        raise unavailable(request)
    outcome = check_eligibility(
        client=current.client,
        treatment=treatment,
        start=start,
        health=None,
        acknowledge_warnings=acknowledge_warnings,
        override_reason=override_reason,
        by=by,
    )

    def write(practitioner_id: int, resource_ids: list[int]) -> Appointment:
        locked = _locked(current)
        if locked.status != Status.CONFIRMED:
            raise InvalidTransition()
        previous_start = locked.start
        locked.resource_holds.all().delete()
        locked.practitioner_id = practitioner_id
        locked.start = start
        locked.end = start + timedelta(minutes=treatment.duration_minutes)
        locked.blocked_until = locked.end + timedelta(minutes=treatment.buffer_after_minutes)
        locked.changed_by = acting_user(by)
        locked.eligibility_flag = ""
        locked.flagged_at = None
        if outcome.overridden:
            locked.override_reason = override_reason
        locked.save(
            update_fields=[
                "practitioner",
                "start",
                "end",
                "blocked_until",
                "changed_by",
                "eligibility_flag",
                "flagged_at",
                "override_reason",
                "updated_at",
            ]
        )
        _hold(locked, resource_ids)
        _record(
            locked,
            action=AppointmentChange.Action.RESCHEDULED,
            by=by,
            channel=Channel.STAFF if staff else Channel.ONLINE,
            from_status=locked.status,
            from_start=previous_start,
            reason=override_reason if outcome.overridden else "",
            warnings=outcome.warnings,
            overridden=outcome.overridden,
        )
        planning.on_rescheduled(locked)
        return locked

    moved = claim_first(request, candidates, write)
    moved.warnings = outcome.warnings
    moved.cautions = outcome.cautions
    return moved


def _finish(appointment, *, to_status, action, by, now) -> Appointment:
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != Status.CONFIRMED:
            raise InvalidTransition(
                f"This appointment is already {appointment.get_status_display().lower()}."
            )
        if appointment.start > now:
            raise InvalidTransition("This appointment has not started yet.")
        previous = appointment.status
        appointment.status = to_status
        appointment.changed_by = acting_user(by)
        appointment.save(update_fields=["status", "changed_by", "updated_at"])
        _record(
            appointment,
            action=action,
            by=by,
            channel=Channel.STAFF,
            from_status=previous,
            from_start=appointment.start,
        )
        planning.on_finished(appointment)
    return appointment


def appointment_complete(*, appointment: Appointment, by, now: datetime | None = None):
    """Staff mark an appointment that has started as completed."""
    return _finish(
        appointment,
        to_status=Status.COMPLETED,
        action=AppointmentChange.Action.COMPLETED,
        by=by,
        now=now,
    )


def appointment_mark_no_show(*, appointment: Appointment, by, now: datetime | None = None):
    """Staff record that the client did not come."""
    return _finish(
        appointment,
        to_status=Status.NO_SHOW,
        action=AppointmentChange.Action.NO_SHOW,
        by=by,
        now=now,
    )


REDACTED = "[removed when the client's data was anonymised]"


def appointments_redact(*, client: Client) -> int:
    """Remove what a client's appointments and their history say in words (notes, the
    override's reason, the flag, warnings acknowledged), keeping their times, statuses and
    practitioners so the diary and its counts stay as they were. A reason or flag that was
    there becomes REDACTED, so "an override was used" is still known. Returns the number
    of appointments."""
    with transaction.atomic():
        appointments = Appointment.objects.select_for_update().filter(client=client)
        count = len(appointments)
        appointments.update(notes="")
        appointments.exclude(override_reason="").update(override_reason=REDACTED)
        appointments.exclude(eligibility_flag="").update(eligibility_flag=REDACTED)
        changes = AppointmentChange.objects.filter(appointment__client=client)
        changes.update(details={})
        changes.exclude(reason="").update(reason=REDACTED)
    return count


__all__ = [
    "ACTIVE_STATUSES",
    "HealthInput",
    "appointment_book",
    "appointment_cancel",
    "appointment_complete",
    "appointment_mark_no_show",
    "appointment_reschedule",
    "appointments_redact",
]
