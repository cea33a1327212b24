"""Blocking a practitioner's time (holiday, training, a long lunch) from the diary: time off
that no appointment already holds.

The check and the insert run under the practitioner's row lock, the same lock a booking or
a move takes before it re-reads the practitioner's busy time (diary/reservation.py): a
booking that waited for this lock then sees the time off, and a block that waited for a
booking sees that appointment, so the two never both succeed for the same minutes.
"""

from datetime import datetime

from django.db import DatabaseError, transaction

import access
from bookings.models import ACTIVE_STATUSES, Appointment
from clinic.models import Practitioner, TimeOff
from diary.errors import BookingError, RoleDoesNotChange, SlotUnavailable
from diary.reservation import lock_rows

REASON_LENGTH = TimeOff._meta.get_field("reason").max_length


class TimeOffOverlaps(BookingError):
    """The time asked for holds an appointment (or a booking held for a client to
    confirm): move or cancel it first."""

    code = "time_off_overlaps"
    status = 409


class TimeOffInvalid(BookingError):
    code = "invalid_time_off"
    status = 400
    detail = "The time off must end after it starts."


def time_off_block(
    *, practitioner: Practitioner, start: datetime, end: datetime, reason: str = "", by
) -> TimeOff:
    """Record time off for `practitioner` from `start` to `end`, refusing it (TimeOffOverlaps,
    with the appointments in the way) if an active appointment's time, buffer included,
    meets it. Staff whose role books at the practitioner's clinic may; others get
    RoleDoesNotChange."""
    if not access.can(by, access.BOOK, practitioner.clinic_id):
        raise RoleDoesNotChange("Your role does not block time in this clinic's diary.")
    if end <= start:
        raise TimeOffInvalid()
    try:
        with transaction.atomic():
            lock_rows(practitioner_id=practitioner.pk)
            in_the_way = list(
                Appointment.objects.filter(
                    practitioner_id=practitioner.pk,
                    status__in=ACTIVE_STATUSES,
                    start__lt=end,
                    blocked_until__gt=start,
                ).order_by("start")
            )
            if in_the_way:
                raise TimeOffOverlaps(_overlap_message(practitioner, in_the_way))
            return TimeOff.objects.create(
                practitioner=practitioner,
                start=start,
                end=end,
                reason=reason.strip()[:REASON_LENGTH],
            )
    except TimeOffOverlaps:
        raise
    except DatabaseError as error:  # the lock timed out: someone is booking right now
        raise SlotUnavailable(
            f"{practitioner.name}'s diary is being changed right now. Please try again."
        ) from error


def _overlap_message(practitioner: Practitioner, appointments: list[Appointment]) -> str:
    tz = practitioner.clinic.tzinfo
    times = ", ".join(
        f"{a.start.astimezone(tz):%a %-d %b %H:%M}"
        + ("" if a.status != Appointment.Status.HELD else " (held online)")
        for a in appointments
    )
    noun = "an appointment" if len(appointments) == 1 else f"{len(appointments)} appointments"
    return (
        f"{practitioner.name} has {noun} in that time ({times}). "
        "Move or cancel it first, then block the time."
    )
