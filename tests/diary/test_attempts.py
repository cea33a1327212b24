"""claim_first's attempts on PostgreSQL (diary/reservation.py _Attempts): one savepoint for
all of them, opened in the first lock step's string, rolled back to when an attempt fails,
never released on its own; what a rollback undoes is what Django's atomic() per attempt
undid. A second claim in the same transaction, and a claim outside any, take atomic()."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from clinic.models import Closure
from diary import reservation, sql
from diary.errors import SlotUnavailable
from diary.reservation import SlotRequest, claim_first
from tests.diary.test_concurrency import START

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the savepoint in the lock step is PostgreSQL's"
)

ROOM_TAKEN = "DO $$ BEGIN RAISE EXCEPTION 'taken' USING ERRCODE = '23P01'; END $$"


def _claim(world, write):
    request = SlotRequest(treatment=world.treatment, start=START, online=False, now=START)
    return claim_first(request, reservation.free_practitioners(request), write)


def _mark(world, reason: str) -> None:
    """A row the attempt writes (a closure of the clinic, any row would do)."""
    Closure.objects.create(clinic=world.clinic, date=START.date(), reason=reason)


def _ours(queries) -> list[str]:
    """The savepoint statements sent, but for those of the test's and the fixtures' blocks."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
        or sql._LOCK_PRACTITIONER.sent_in(q["sql"])
    ]


def test_a_failed_attempt_is_rolled_back_and_the_next_one_kept(
    world, django_capture_on_commit_callbacks
):
    ran = []

    def write(practitioner_id, resource_ids):
        ran.append(practitioner_id)
        attempt = len(ran)
        _mark(world, f"attempt {attempt}")
        transaction.on_commit(lambda: ran.append(f"committed {attempt}"))
        if attempt == 1:
            with connection.cursor() as cursor:
                cursor.execute(ROOM_TAKEN)  # a room lost at its constraint, as in a race
        return len(ran)

    open_before = list(connection.savepoint_ids)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        assert _claim(world, write) == 2

    # The lost room tried the same practitioner again; its row and callback went with it.
    assert ran[:2] == [world.practitioner.pk, world.practitioner.pk]
    assert list(Closure.objects.values_list("reason", flat=True)) == ["attempt 2"]
    for callback in callbacks:
        callback()
    assert ran[2:] == ["committed 2"]
    assert not connection.needs_rollback
    assert connection.savepoint_ids == open_before
    # One savepoint, opened by the first lock step's string, rolled back to once, not
    # opened again by the second lock step, never released on its own.
    first_lock, rollback, second_lock = _ours(queries)
    name = first_lock.split(";", 1)[0].removeprefix("SAVEPOINT ")
    assert first_lock.startswith("SAVEPOINT ") and sql._LOCK_PRACTITIONER.sent_in(first_lock)
    assert rollback == f"ROLLBACK TO SAVEPOINT {name}"
    assert not second_lock.startswith("SAVEPOINT") and sql._LOCK_PRACTITIONER.sent_in(second_lock)


def test_an_error_that_is_not_a_conflict_rolls_the_attempt_back_and_is_raised(world):
    """As atomic() per attempt did: the transaction stays usable for the caller who catches
    the error."""

    def write(practitioner_id, resource_ids):
        _mark(world, "written")
        raise ValueError("refused after writing")

    with pytest.raises(ValueError):
        _claim(world, write)

    assert not connection.needs_rollback
    assert not Closure.objects.exists()


def test_an_attempt_that_cannot_be_had_writes_nothing_and_leaves_the_transaction_usable(world):
    def write(practitioner_id, resource_ids):
        _mark(world, "written")
        with connection.cursor() as cursor:
            cursor.execute(ROOM_TAKEN)

    with pytest.raises(SlotUnavailable):
        _claim(world, write)

    assert not Closure.objects.exists()
    assert not connection.needs_rollback


def test_a_second_claim_in_the_transaction_takes_a_savepoint_per_attempt(world):
    """The first claim's savepoint stays open until the transaction ends: the second, at
    the same depth, does not open another inside it, and releases its own."""
    from datetime import timedelta

    claims = []

    def write(practitioner_id, resource_ids):
        claims.append(practitioner_id)
        return practitioner_id

    _claim(world, write)
    later = SlotRequest(
        treatment=world.treatment, start=START + timedelta(hours=2), online=False, now=START
    )
    with CaptureQueriesContext(connection) as queries:
        claim_first(later, reservation.free_practitioners(later), write)

    savepoint, lock, release = _ours(queries)
    assert savepoint.startswith("SAVEPOINT ") and not sql._LOCK_PRACTITIONER.sent_in(savepoint)
    assert not lock.startswith("SAVEPOINT") and sql._LOCK_PRACTITIONER.sent_in(lock)
    assert release == "RELEASE " + savepoint
    assert claims == [world.practitioner.pk] * 2


@pytest.mark.django_db(transaction=True)
def test_a_claim_outside_a_transaction_makes_each_attempt_one(world):
    def write(practitioner_id, resource_ids):
        assert connection.in_atomic_block
        _mark(world, "written")
        return practitioner_id

    with CaptureQueriesContext(connection) as queries:
        _claim(world, write)

    assert not _ours(queries)[0].startswith("SAVEPOINT")
    assert connection.get_autocommit()
    assert Closure.objects.get().reason == "written"


def test_the_savepoint_is_opened_before_writing_when_no_lock_step_opened_it(world, monkeypatch):
    """A path whose re-check sent no lock step still writes inside the savepoint."""
    real_reserve = reservation.reserve

    def reserve_without_opening(request, practitioner_id, diary):
        token = sql.opening.set(None)
        try:
            return real_reserve(request, practitioner_id, diary)
        finally:
            sql.opening.reset(token)

    monkeypatch.setattr(reservation, "reserve", reserve_without_opening)
    ran = []

    def write(practitioner_id, resource_ids):
        ran.append(practitioner_id)
        _mark(world, f"attempt {len(ran)}")
        if len(ran) == 1:
            with connection.cursor() as cursor:
                cursor.execute(ROOM_TAKEN)
        return practitioner_id

    with CaptureQueriesContext(connection) as queries:
        _claim(world, write)

    assert list(Closure.objects.values_list("reason", flat=True)) == ["attempt 2"]
    assert [q for q in _ours(queries) if q.startswith("SAVEPOINT")] != []
    assert not connection.needs_rollback


def test_the_room_taken_error_is_what_a_race_raises(db):
    """The tests' stand-in for a lost room is the conflict claim_first retries."""
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(ROOM_TAKEN)
    assert reservation.is_conflict(raised.value)
    assert reservation._lost_a_room(raised.value, locked=True)
