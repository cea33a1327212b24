"""Whether an appointment waits for a practitioner's sign-off: the one writer of what the
rules ask (a SignOff row created, reopened or set aside). The decision itself, approve or
decline, is diary/signoff.py's.

The rules' words come in as plain strings (the messages of the "needs practitioner approval"
rules that match), so this layer knows nothing of how they were decided. Call it under the
appointment's row lock, in the transaction that books, moves or re-checks it.
"""

from bookings.models import Appointment, SignOff


def signoff_sync(
    appointment: Appointment, *, reasons: list[str], new: bool = False
) -> SignOff | None:
    """Make `appointment`'s sign-off say what the rules ask now (`reasons`, empty when none
    asks). A new reason opens a pending sign-off; an approval stands while every reason it
    answered is all that is asked (a new one reopens it); a pending one nobody asks for any
    more is set aside (NOT_NEEDED), so the diary stops showing it. Returns the row, if any.

    For an appointment just created (`new`) there is nothing to read: the booking path asks
    nothing when no rule asks, and the answer built next finds the row (or its absence) on
    the appointment without asking either."""
    reasons = list(dict.fromkeys(reasons))
    if new:
        row = SignOff.objects.create(appointment=appointment, reasons=reasons) if reasons else None
        appointment._state.fields_cache["sign_off"] = row
        return row
    current = SignOff.objects.filter(appointment=appointment).first()
    if not reasons:
        if current is not None and current.pending:
            current.status = SignOff.Status.NOT_NEEDED
            current.save(update_fields=["status", "updated_at"])
        return current
    if current is None:
        return SignOff.objects.create(appointment=appointment, reasons=reasons)
    if current.status == SignOff.Status.APPROVED and set(reasons) <= set(current.reasons):
        return current
    if current.status == SignOff.Status.DECLINED:
        return current  # the appointment was cancelled with it
    current.reasons = reasons
    if not current.pending:  # approved for less than is asked now, or set aside: ask again
        current.status = SignOff.Status.PENDING
        current.decided_by = None
        current.decided_at = None
        current.note = ""
    current.save()
    return current


def signoff_pending(appointment: Appointment) -> SignOff | None:
    """The sign-off `appointment` still waits for, if any."""
    return SignOff.objects.filter(appointment=appointment, status=SignOff.Status.PENDING).first()
