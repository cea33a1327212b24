"""Blocking a practitioner's time (holiday, training, a long lunch) from the diary: time off
that no appointment already holds.

The check and the insert run under the practitioner's row lock, the same lock a booking or
a move takes before it re-reads the practitioner's busy time (diary/reservation.py): a
booking that waited for this lock then sees the time off, and a block that waited for a
booking sees that appointment, so the two never both succeed for the same minutes.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

import access
from bookings.models import ACTIVE_STATUSES, Appointment
from clinic.models import Practitioner, TimeOff, WorkingHours
from diary.errors import BookingError, RoleDoesNotChange, SlotUnavailable
from diary.reservation import lock_rows
from waitlist import planning as waitlist
from waitlist.models import FreedTime

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


def time_off_removed(*, practitioner: Practitioner, start: datetime, end: datetime) -> None:
    """Time off from `start` to `end` was removed (in the caller's transaction, the admin's):
    what is still ahead of it is offered to the waitlist."""
    waitlist.on_time_freed(
        clinic_id=practitioner.clinic_id,
        practitioner_id=practitioner.pk,
        start=max(start, timezone.now()),
        end=end,
        cause=FreedTime.Cause.TIME_OFF_REMOVED,
    )


def hours_added(*, hours: WorkingHours, now: datetime | None = None) -> None:
    """Working hours were added or widened (in the caller's transaction): their next
    WAITLIST_NEW_HOURS_WEEKS weekly occurrences are offered to the waitlist, one round per
    day (a weekly shift frees time every week; further weeks are the booking pages')."""
    now = now or timezone.now()
    practitioner = hours.practitioner
    clinic = practitioner.clinic
    tz = clinic.tzinfo
    today = clinic.local_date(now)
    first = today + timedelta(days=(hours.weekday - today.weekday()) % 7)
    for week in range(settings.WAITLIST_NEW_HOURS_WEEKS):
        day = first + timedelta(weeks=week)
        start = datetime.combine(day, hours.starts, tzinfo=tz)
        end = datetime.combine(day, hours.ends, tzinfo=tz)
        if end <= now:
            continue
        waitlist.on_time_freed(
            clinic_id=clinic.pk,
            practitioner_id=practitioner.pk,
            start=max(start, now),
            end=end,
            cause=FreedTime.Cause.HOURS_ADDED,
        )


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
