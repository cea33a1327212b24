"""A practitioner's sign-off of an appointment a clinic rule says "needs practitioner
approval" for (bookings.models.SignOff, opened by bookings/signoff.py when it is booked,
moved or re-checked): approve it, or decline it, with a note, audited.

Declining cancels the appointment as the clinic's cancellation, in the same transaction: the
client is emailed the clinic's usual cancellation (through the outbox), which says nothing
of why; the note stays with the sign-off and the appointment's history, never in an email.
Until it is approved the appointment cannot be completed (diary.services.signoff_check).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

import access
from bookings.history import change_record
from bookings.models import Appointment, AppointmentChange, SignOff
from clinic.audit import Origin, acting_user, audit_write
from clinic.models import AuditEntry
from diary.errors import (
    BookingError,
    InvalidTransition,
    NoSignOffPending,
    SignOffNotAllowed,
)
from diary.services import _locked, cancel_locked

APPROVE, DECLINE = "approve", "decline"
DECISIONS = {APPROVE: SignOff.Status.APPROVED, DECLINE: SignOff.Status.DECLINED}
# What the audit trail names: the decision on the appointment's health-based sign-off.
AUDIT_SIGN_OFF = "appointment sign-off"
NOTE_MAX_LENGTH = 2000


class NoteMissing(BookingError):
    code = "invalid_input"
    status = 400
    detail = "note: Say why, in a note kept with the sign-off."

    def __init__(self):
        super().__init__(fields={"note": ["Say why, in a note kept with the sign-off."]})


def appointment_sign_off(
    *,
    appointment: Appointment,
    decision: str,
    note: str,
    by,
    origin: Origin | None = None,
    now: datetime | None = None,
) -> SignOff:
    """Approve (`decision` APPROVE) or decline (DECLINE) the sign-off `appointment` waits
    for, with `note`. Only a practitioner or a clinic manager who has it on their day sheet
    may (SignOffNotAllowed otherwise); it must be confirmed (InvalidTransition) and waiting
    for one (NoSignOffPending). Declining cancels it as the clinic. The decision joins the
    appointment's history and the audit trail (which names the decision, not the note)."""
    now = now or timezone.now()
    if decision not in DECISIONS:
        raise ValueError(f"decision must be {APPROVE!r} or {DECLINE!r}")
    note = (note or "").strip()
    if not note:
        raise NoteMissing()
    if not access.may_sign_off(by, appointment):
        raise SignOffNotAllowed()
    with transaction.atomic():
        locked = _locked(appointment)
        if locked.status != Appointment.Status.CONFIRMED:
            raise InvalidTransition(
                f"This appointment is {locked.get_status_display().lower()}"
                " and cannot be signed off."
            )
        sign_off = (
            SignOff.objects.select_for_update()
            .filter(appointment=locked, status=SignOff.Status.PENDING)
            .first()
        )
        if sign_off is None:
            raise NoSignOffPending()
        sign_off.status = DECISIONS[decision]
        sign_off.note = note[:NOTE_MAX_LENGTH]
        sign_off.decided_by = acting_user(by)
        sign_off.decided_at = now
        sign_off.save()
        change_record(
            locked,
            action=AppointmentChange.Action.SIGNED_OFF,
            by=by,
            channel=Appointment.Channel.STAFF,
            from_status=locked.status,
            from_start=locked.start,
            reason=sign_off.note,
            details={"decision": sign_off.status, "reasons": sign_off.reasons},
        )
        audit_write(
            user=by,
            origin=origin,
            action=AuditEntry.Action.RECORD,
            what=AUDIT_SIGN_OFF,
            clients=[locked.client_id],
            clinic=locked.clinic_id,
            reference=locked.reference,
            decision=sign_off.status,
        )
        if decision == DECLINE:
            cancel_locked(locked, by=by, reason="Declined at the practitioner's sign-off.")
    appointment.status = locked.status
    return sign_off
