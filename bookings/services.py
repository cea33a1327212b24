"""Every write to an appointment: book, reschedule, cancel, complete, mark no-show.

Booking and rescheduling check the clinic's rules, then claim the slot through
bookings/reservation.py: one transaction that locks, re-checks the diary and writes the
appointment, its resource holds and its change record together.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from aftercare import planning
from bookings.errors import InvalidTransition, TooLateToCancel
from bookings.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentResource,
    Channel,
    Status,
    new_reference,
)
from bookings.reservation import SlotRequest, claim_first, free_practitioners, unavailable
from clinic.models import Client, Practitioner, Treatment


@dataclass
class HealthInput:
    """What a client declares while booking (injectables, conditions). Stored and
    evaluated by the eligibility rules (issue 3); carried through the booking path now."""

    injectables: list[dict] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)


@dataclass
class EligibilityOutcome:
    warnings: list[str] = field(default_factory=list)


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


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
    """The place where the clinic's medical rules plug into every booking path.

    Raises an EligibilityRefused subclass to refuse; returns the warnings the client
    acknowledged. The waiting-period and contraindication rules arrive with issue 3.
    """
    return EligibilityOutcome()


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
        by=by if by is not None and by.is_authenticated else None,
        channel=channel,
        from_status=from_status,
        to_status=appointment.status,
        from_start=from_start,
        to_start=appointment.start,
        reason=reason,
        details=details,
    )


def _user_or_none(user):
    return user if user is not None and user.is_authenticated else None


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
    advance. Raises SlotUnavailable (with alternatives) or an eligibility refusal.
    The appointment returned carries `.warnings`, the warnings the client acknowledged.
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
            created_by=_user_or_none(by),
            changed_by=_user_or_none(by),
        )
        _hold(appointment, resource_ids)
        _record(
            appointment,
            action=AppointmentChange.Action.BOOKED,
            by=by,
            channel=channel,
            warnings=outcome.warnings,
        )
        planning.on_booked(appointment)
        return appointment

    appointment = claim_first(request, candidates, write)
    appointment.warnings = outcome.warnings
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
        appointment.changed_by = _user_or_none(by)
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
        planning.on_cancelled(appointment)
    return appointment


def appointment_reschedule(
    *, appointment: Appointment, start: datetime, by=None, now: datetime | None = None
) -> Appointment:
    """Move a confirmed appointment to `start`. Keeps the practitioner the client chose;
    otherwise prefers the same practitioner, then anyone free. Clients cannot move an
    appointment inside the cancellation window."""
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
    if current.practitioner_id in candidates:  # stay with the same person where possible
        candidates.remove(current.practitioner_id)
        candidates.insert(0, current.practitioner_id)
    if not candidates:
        raise unavailable(request)
    check_eligibility(
        client=current.client,
        treatment=treatment,
        start=start,
        health=None,
        acknowledge_warnings=True,
        override_reason=None,
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
        locked.changed_by = _user_or_none(by)
        locked.save(
            update_fields=[
                "practitioner",
                "start",
                "end",
                "blocked_until",
                "changed_by",
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
        )
        planning.on_rescheduled(locked)
        return locked

    moved = claim_first(request, candidates, write)
    moved.warnings = []
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
        appointment.changed_by = _user_or_none(by)
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


__all__ = [
    "ACTIVE_STATUSES",
    "HealthInput",
    "appointment_book",
    "appointment_cancel",
    "appointment_complete",
    "appointment_mark_no_show",
    "appointment_reschedule",
]
