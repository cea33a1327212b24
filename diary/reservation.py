"""Claiming a slot safely: the lock step, the re-check under the lock, and the retry over
the practitioners free at that time.

The diary is read once, without locks, to find the practitioners free at the requested
start (`free_practitioners`). Each attempt then locks the practitioner's row, reads again
only the busy time that meets the booking (the practitioner's and the treatment's
resources'), picks the first free resource of each kind and writes, all in one
transaction: two bookings for one practitioner queue on that row, and whoever waited reads
the diary as the first left it.

Resources are not locked: bookings with different practitioners run side by side, and two
that pick the same room at once meet at the resource exclusion constraint, which makes the
second wait for the first and then refuses it (or, when both write at the same instant,
fails one of them as a deadlock). That attempt is rolled back to its savepoint and tried
again, and the fresh read finds the next free room. On PostgreSQL a lock wait is
bounded by the lock timeout in diary/sql.py and the exclusion constraints refuse whatever
slips past; on SQLite every booking transaction is IMMEDIATE, so they run one at a time.
Either way the caller gets SlotUnavailable with the nearest alternatives when nothing can be
had.
"""

import _thread
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from django.db import DatabaseError, Error, IntegrityError, connection, transaction

from bookings.db import is_postgresql
from clinic.models import Treatment
from clinic.prepared import kept_cursor
from diary import availability, sql
from diary.errors import SlotUnavailable
from diary.intervals import to_epoch

EXCLUSION_VIOLATION = "23P01"
LOCK_TIMEOUT = "55P03"
DEADLOCK = "40P01"
UNIQUE_VIOLATION = "23505"
# Exclusion violation, lock timeout, serialization failure, deadlock.
CONFLICT_SQLSTATES = {EXCLUSION_VIOLATION, LOCK_TIMEOUT, "40001", DEADLOCK}
# Attempts per practitioner: a lost race for a room is tried again with a fresh read.
ATTEMPTS_PER_PRACTITIONER = 3

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


@dataclass
class Candidates:
    """The practitioners free at the requested start, in the order to try them, and the
    day's diary they were found in (reused under the lock; see availability.refresh_busy)."""

    practitioner_ids: list[int]
    diary: availability.Diary | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return bool(self.practitioner_ids)

    def __contains__(self, practitioner_id) -> bool:
        return practitioner_id in self.practitioner_ids

    def __iter__(self):
        return iter(self.practitioner_ids)

    def prefer(self, practitioner_id: int) -> None:
        """Try `practitioner_id` first, if free (a moved appointment keeps its person)."""
        if practitioner_id in self.practitioner_ids:
            self.practitioner_ids.remove(practitioner_id)
            self.practitioner_ids.insert(0, practitioner_id)


def free_practitioners(request: SlotRequest, diary: availability.Diary | None = None) -> Candidates:
    """Practitioners free at the requested start, read without locks (`diary`: the request's
    day, read by the caller with reads of its own: search_params)."""
    if diary is None:
        diary = availability.load_diary(**_day_of(request))
    wanted = to_epoch(request.start)
    return Candidates(
        next((pids for start, pids in _free(request, diary) if start == wanted), []), diary
    )


def search_params(request: SlotRequest) -> dict:
    """The parameters of the reads free_practitioners makes on PostgreSQL (sql.SEARCH), for
    a caller sending them with its own and passing free_practitioners the Diary of their
    rows (availability.diary_of)."""
    return availability.search_params(**_day_of(request))


def _day_of(request: SlotRequest) -> dict:
    """What the diary of the request's day is read for."""
    return {
        "treatment": request.treatment,
        "first_day": request.day,
        "last_day": request.day,
        "practitioner_id": request.practitioner_id,
        "exclude_appointment_id": request.exclude_appointment_id,
    }


def _free(request: SlotRequest, diary: availability.Diary) -> list[tuple[int, list[int]]]:
    """The requested start with the practitioners free for it, if it is free and inside the
    booking window; else nothing. The day's slots are worked out for that start alone (the
    window narrowed to it), not for every start of the day."""
    earliest, latest = availability.booking_window(
        clinic=request.treatment.clinic, now=request.now, online=request.online
    )
    wanted = to_epoch(request.start)
    return availability.compute_slots(
        diary,
        first_day=request.day,
        last_day=request.day,
        earliest=max(earliest, wanted),
        latest=min(latest, wanted),
    )


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


def lock_rows(*, practitioner_id: int) -> None:
    """Take the attempt's row lock, the practitioner's, alone (diary/time_off.py; a booking
    takes it with its re-read, lock_and_read). On PostgreSQL as written out in diary/sql.py;
    elsewhere the same query through the ORM."""
    if is_postgresql():
        sql.lock_practitioner(practitioner_id=practitioner_id)
        return
    availability.lock_practitioner_queryset(practitioner_id)


def lock_and_read(
    request: SlotRequest, practitioner_id: int, diary: availability.Diary
) -> availability.Diary:
    """The lock step: lock the practitioner's row, then read the busy time that meets the
    booking as it is now (whoever held the lock has committed), on PostgreSQL in one round
    trip (sql.LOCK_THEN_BUSY)."""
    return availability.refresh_busy(
        diary,
        practitioner_id=practitioner_id,
        start=to_epoch(request.start),
        exclude_appointment_id=request.exclude_appointment_id,
        lock=True,
    )


def reserve(
    request: SlotRequest, practitioner_id: int, diary: availability.Diary
) -> list[int] | None:
    """Lock the practitioner, then re-check the slot against the busy time as it is now.
    Returns the resources to hold, or None if the slot has gone. Call inside a
    transaction."""
    wanted = to_epoch(request.start)
    fresh = lock_and_read(request, practitioner_id, diary)
    if not any(start == wanted for start, _ in _free(request, fresh)):
        return None
    return availability.pick_resources(fresh, wanted)


def is_conflict(error: Exception) -> bool:
    """A competing booking won (PostgreSQL sqlstates above; "database is locked" on SQLite)."""
    sqlstate = _sqlstate(error)
    if sqlstate is not None:
        return sqlstate in CONFLICT_SQLSTATES
    return isinstance(error, IntegrityError) or "locked" in str(error).lower()


def is_reference_clash(error: Exception) -> bool:
    """The reference drawn for a new appointment (bookings.models.new_reference, one in
    about 10^12) is already taken. The unique constraint is the check: no query asks first,
    on every booking, for what almost never happens."""
    cause = error.__cause__
    if _sqlstate(error) is not None:
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", None) or ""
        return _sqlstate(error) == UNIQUE_VIOLATION and "reference" in constraint
    return "UNIQUE constraint failed: bookings_appointment.reference" in str(error)


def _sqlstate(error: Exception) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


def claim_first(
    request: SlotRequest,
    candidates: Candidates,
    write: Callable[[int, list[int]], T],
) -> T:
    """Try each candidate practitioner in turn: reserve, then `write(practitioner_id,
    resource_ids)` in the same transaction. A room taken by another booking at the same
    instant rolls the attempt back and tries that practitioner again with a fresh read, up
    to ATTEMPTS_PER_PRACTITIONER times; any other conflict (a lock wait past the lock timeout,
    a deadlock) moves on to the next practitioner. Raises SlotUnavailable when none can
    be had.

    A lock timeout met while writing, once the practitioner is ours, is almost always a wait
    at a room's constraint behind a booking that had not committed yet (a loaded machine can
    stretch that past the timeout): it is tried again with a fresh read like a lost room, not
    taken as the practitioner being busy. So is a deadlock met while writing: two bookings
    that write holds on one room at the same instant each find the other's uncommitted hold
    when their exclusion constraint checks, each waits for the other, and PostgreSQL fails
    one of them with a deadlock instead of an exclusion violation (src/backend/executor/
    execIndexing.c, "Exclusion Constraints"); the other may yet commit, so it is the same
    lost room. Whatever the wait was, the retry is as safe as the first attempt, and bounded
    by ATTEMPTS_PER_PRACTITIONER."""
    attempts = _Attempts()
    try:
        for candidate in candidates:
            for _ in range(ATTEMPTS_PER_PRACTITIONER):
                locked = False
                try:
                    with attempts.attempt():
                        resource_ids = reserve(request, candidate, candidates.diary)
                        if resource_ids is None:
                            break  # this practitioner or every room is taken: the next one
                        attempts.opened()
                        locked = True
                        return write(candidate, resource_ids)
                except (IntegrityError, DatabaseError) as error:
                    if is_reference_clash(error):
                        continue  # the new appointment drew a taken reference: draw again
                    if not is_conflict(error):
                        raise
                    if not _lost_a_room(error, locked=locked):
                        break
    finally:
        attempts.close()
    raise unavailable(request)


class _Attempts:
    """What each attempt of claim_first is rolled back to when it fails: on PostgreSQL inside
    a transaction, one savepoint for all of them, opened by the first lock step in its own
    round trip (sql.opening), rolled back to when an attempt fails, which leaves it in
    place for the next, and never released: the transaction's end (or that of a savepoint
    around the booking) ends it with the rest. Django's atomic() per attempt sent SAVEPOINT
    and RELEASE SAVEPOINT as two round trips of their own on every booking (issue 16).

    What a rollback to it undoes is what atomic()'s undid: the attempt's rows, its locks,
    its SET LOCAL, the on_commit callbacks registered during it (its name is in Django's
    savepoint_ids meanwhile, as an atomic block's is), and Django's mark that the
    transaction needs a rollback. A second claim in the same transaction at the same depth
    of savepoints (a batch) takes atomic() per attempt, so that the savepoints left open
    do not pile up (PostgreSQL keeps 64 subtransactions a session in shared memory); so do
    SQLite and a claim outside any transaction (each attempt its own transaction)."""

    def __init__(self):
        self.savepoint: sql.Savepoint | None = None
        self.fast = is_postgresql() and connection.in_atomic_block
        if self.fast:
            # The outermost block and the savepoints open around this claim: the same as a
            # claim's before this one means a savepoint of ours may still be open here.
            self.place = (connection.atomic_blocks[:1], tuple(connection.savepoint_ids))
            self.fast = getattr(connection, "claim_savepoint_place", None) != self.place

    @contextmanager
    def attempt(self) -> Iterator[None]:
        if not self.fast:
            with transaction.atomic():
                yield
            return
        if self.savepoint is None:
            connection.savepoint_state += 1  # a name as Django gives its savepoints
            tid = str(_thread.get_ident()).replace("-", "")
            self.savepoint = sql.Savepoint(f"s{tid}_x{connection.savepoint_state}")
            connection.savepoint_ids.append(self.savepoint.name)
            connection.claim_savepoint_place = self.place
        token = sql.opening.set(self.savepoint)
        try:
            yield
        except BaseException:
            if self.savepoint.opened:
                connection.needs_rollback = False
                try:
                    connection.savepoint_rollback(self.savepoint.name)
                except Error:  # as atomic(): the transaction as a whole is rolled back
                    connection.needs_rollback = True
            raise
        finally:
            sql.opening.reset(token)

    def opened(self) -> None:
        """Before the attempt writes: the savepoint is open (the lock step opened it; a path
        without one opens it now, in a round trip of its own)."""
        if self.savepoint is not None and not self.savepoint.opened:
            with kept_cursor() as cursor:
                cursor.execute(connection.ops.savepoint_create_sql(self.savepoint.name))
            self.savepoint.opened = True

    def close(self) -> None:
        """Out of Django's list of open savepoints, as an atomic block leaves it."""
        if self.savepoint is not None and self.savepoint.name in connection.savepoint_ids:
            connection.savepoint_ids.remove(self.savepoint.name)


def _lost_a_room(error: Exception, *, locked: bool) -> bool:
    """The attempt failed on a resource another booking took or was taking (see
    claim_first), so the same practitioner is worth a fresh read."""
    sqlstate = _sqlstate(error)
    return sqlstate == EXCLUSION_VIOLATION or (locked and sqlstate in {LOCK_TIMEOUT, DEADLOCK})
