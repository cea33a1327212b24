"""An appointment's history and what is written on it after booking: the one writer of
AppointmentChange rows, the flag a later health record sets, what the history says that
others need (how many times it moved), and the redaction of what it says in words when a
client's data is anonymised. Its status and time change only in diary/services.py."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from bookings.db import insert
from bookings.models import Appointment, AppointmentChange, SignOff
from clinic.audit import acting_user


def change_record(
    appointment: Appointment,
    *,
    action: str,
    by,
    channel: str,
    from_status: str = "",
    from_start: datetime | None = None,
    reason: str = "",
    details: dict | None = None,
) -> AppointmentChange:
    """One line of history for `appointment` as it is now (its status and start after the
    change), written in the caller's transaction (with the writes gathered around it, when
    a bookings.db together() block does)."""
    change = AppointmentChange(
        appointment=appointment,
        action=action,
        by=acting_user(by),
        channel=channel,
        from_status=from_status,
        to_status=appointment.status,
        from_start=from_start,
        to_start=appointment.start,
        reason=reason,
        details=details or {},
    )
    insert([change])
    return change


def appointment_flag(
    appointment: Appointment, *, flag: str, by, earliest_date: date | None = None
) -> bool:
    """Set or clear what a rule now says against `appointment` (a health record added after
    it was booked), with a line in its history when it is flagged. Returns False when the
    flag was already so. Call it under the appointment's row lock."""
    if flag == appointment.eligibility_flag:
        return False
    appointment.eligibility_flag = flag
    appointment.flagged_at = timezone.now() if flag else None
    appointment.save(update_fields=["eligibility_flag", "flagged_at", "updated_at"])
    if flag:
        change_record(
            appointment,
            action=AppointmentChange.Action.FLAGGED,
            by=by,
            channel=Appointment.Channel.STAFF,
            from_status=appointment.status,
            from_start=appointment.start,
            reason=flag,
            details={"earliest_date": earliest_date.isoformat() if earliest_date else None},
        )
    return True


def reschedule_count(appointment: Appointment) -> int:
    """How many times it moved: the SEQUENCE of its calendar event (bookings/ics.py)."""
    return appointment.changes.filter(action=AppointmentChange.Action.RESCHEDULED).count()


REDACTED = "[removed when the client's data was anonymised]"


def appointments_redact(*, client) -> int:
    """Remove what a client's appointments and their history say in words (notes, the
    override's reason, the flag, a discount's reason, warnings acknowledged, a sign-off's
    reasons and note), keeping their times, statuses and practitioners so the diary and its
    counts stay as they were. A reason or flag that was there becomes REDACTED, so "an
    override was used" is still known. Returns the number of appointments."""
    with transaction.atomic():
        appointments = Appointment.objects.select_for_update().filter(client=client)
        count = len(appointments)
        appointments.update(notes="")
        appointments.exclude(override_reason="").update(override_reason=REDACTED)
        appointments.exclude(eligibility_flag="").update(eligibility_flag=REDACTED)
        # Staff's words for a discount (a course's name, which is the clinic's, goes too).
        appointments.exclude(discount_reason="").update(discount_reason=REDACTED)
        changes = AppointmentChange.objects.filter(appointment__client=client)
        changes.update(details={})
        changes.exclude(reason="").update(reason=REDACTED)
        sign_offs = SignOff.objects.filter(appointment__client=client)
        sign_offs.exclude(reasons=[]).update(reasons=[REDACTED])
        sign_offs.exclude(note="").update(note=REDACTED)
    return count
