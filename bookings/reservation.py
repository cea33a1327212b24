"""Claiming a slot safely: the lock step, the re-check under the locks, and the retry over
the practitioners free at that time.

One lock step per attempt, in a fixed order (the practitioner, then every resource the
treatment could use, by pk), so two bookings queue rather than deadlock. The diary is read
again only once the locks are held. On PostgreSQL, a lock wait is bounded by
LOCK_TIMEOUT and the exclusion constraints refuse whatever slips past; either way the
caller gets SlotUnavailable with the nearest alternatives.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db import DatabaseError, IntegrityError, connection, transaction

from bookings import availability
from bookings.db import is_postgresql
from bookings.errors import SlotUnavailable
from bookings.intervals import to_epoch
from clinic.models import Practitioner, Resource, Treatment

LOCK_TIMEOUT = "3s"
# Exclusion violation, lock timeout, serialization failure, deadlock.
CONFLICT_SQLSTATES = {"23P01", "55P03", "40001", "40P01"}

T = TypeVar("T")


@dataclass(frozen=True)
class SlotRequest:
    treatment: Treatment
    start: datetime
    online: bool  # online bookings respect minimum notice and maximum advance
    now: datetime
    practitioner_id: int | None = None  # a practitioner the client insists on
    exclude_appointment_id: int | None = None  # the appointment being moved

    @property
    def day(self):
        return self.treatment.clinic.local_date(self.start)


def free_practitioners(request: SlotRequest) -> list[int]:
    """Practitioners free at the requested start, read without locks."""
    slots = availability.find_slots(
        treatment=request.treatment,
        first_day=request.day,
        last_day=request.day,
        practitioner_id=request.practitioner_id,
        online=request.online,
        now=request.now,
        exclude_appointment_id=request.exclude_appointment_id,
    )
    return next((list(slot.practitioner_ids) for slot in slots if slot.start == request.start), [])


def unavailable(request: SlotRequest) -> SlotUnavailable:
    return SlotUnavailable(
        alternatives=availability.nearest_slots(
            treatment=request.treatment,
            around=request.start,
            practitioner_id=request.practitioner_id,
            online=request.online,
            now=request.now,
            exclude_appointment_id=request.exclude_appointment_id,
        )
    )


def lock_rows(*, practitioner_id: int, treatment: Treatment) -> None:
    """Take the attempt's row locks: the practitioner, then the treatment's resources."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    # No ordering: Practitioner's default one joins the clinic, and FOR UPDATE would then
    # lock the clinic's row too, making every booking in the clinic wait for every other.
    list(
        Practitioner.objects.select_for_update()
        .filter(pk=practitioner_id)
        .order_by()
        .values_list("pk")
    )
    list(
        Resource.objects.select_for_update()
        .filter(
            clinic_id=treatment.clinic_id,
            kind_id__in=treatment.required_resource_kinds.values("id"),
        )
        .order_by("pk")
        .values_list("pk")
    )


def reserve(request: SlotRequest, practitioner_id: int) -> list[int] | None:
    """Lock, then re-check the slot for this practitioner. Returns the resources to hold,
    or None if the slot has gone. Call inside a transaction."""
    lock_rows(practitioner_id=practitioner_id, treatment=request.treatment)
    # Read the diary only now that we hold the locks: whoever held them has committed.
    diary = availability.load_diary(
        treatment=request.treatment,
        first_day=request.day,
        last_day=request.day,
        practitioner_id=practitioner_id,
        exclude_appointment_id=request.exclude_appointment_id,
    )
    earliest, latest = availability.booking_window(
        clinic=request.treatment.clinic, now=request.now, online=request.online
    )
    wanted = to_epoch(request.start)
    free = availability.compute_slots(
        diary, first_day=request.day, last_day=request.day, earliest=earliest, latest=latest
    )
    if not any(start == wanted and practitioner_id in pids for start, pids in free):
        return None
    return availability.pick_resources(diary, wanted)


def is_conflict(error: Exception) -> bool:
    """A competing booking won (PostgreSQL sqlstates above; "database is locked" on SQLite)."""
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in CONFLICT_SQLSTATES
    return isinstance(error, IntegrityError) or "locked" in str(error).lower()


def claim_first(
    request: SlotRequest,
    candidates: list[int],
    write: Callable[[int, list[int]], T],
) -> T:
    """Try each candidate practitioner in turn: reserve, then `write(practitioner_id,
    resource_ids)` in the same transaction. Raises SlotUnavailable when none can be had."""
    for candidate in candidates:
        try:
            with transaction.atomic():
                resource_ids = reserve(request, candidate)
                if resource_ids is None:
                    continue
                result = write(candidate, resource_ids)
        except (IntegrityError, DatabaseError) as error:
            if not is_conflict(error):
                raise
            continue
        return result
    raise unavailable(request)
