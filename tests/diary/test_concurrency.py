"""No double booking, under real concurrency on PostgreSQL.

Twenty threads, each with its own database connection, book the same practitioner and time
through the API at once. A control run disables the locks and holds every thread at a
barrier after its re-check, so all of them really do believe the slot is free: it shows the
race is real and that the exclusion constraint alone still lets only one through.
"""

import threading
import time as time_module
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from bookings.models import Appointment, AppointmentResource
from diary import availability, reservation, services
from diary.intervals import to_epoch
from diary.services import appointment_book
from tests import factories
from tests.helpers import as_owner

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraints need PostgreSQL"
)

LONDON = ZoneInfo("Europe/London")
START = datetime.combine(date(2027, 3, 2), time(10), tzinfo=LONDON)
THREADS = 20


def read_without_lock(request, practitioner_id, diary):
    """The lock step's re-read with no lock taken (the controls)."""
    return availability.refresh_busy(
        diary,
        practitioner_id=practitioner_id,
        start=to_epoch(request.start),
        exclude_appointment_id=request.exclude_appointment_id,
    )


def book_at_once(world, *, threads=THREADS, signed_in=True) -> list:
    """`threads` clients asking for one time at once: each signed in (bookings), or each
    anonymous (holds, diary/holds.py)."""
    barrier = threading.Barrier(threads, timeout=30)
    answers = [None] * threads

    def one(n):
        try:
            body = {
                "treatment": world.treatment.slug,
                "start": START.isoformat(),
                "practitioner": world.practitioner.pk,
                "client": {"name": f"Client {n}", "email": f"race{n}@example.com"},
            }
            api = as_owner(APIClient(), body) if signed_in else APIClient()
            barrier.wait()
            answers[n] = api.post("/api/v1/appointments/", body, format="json")
        finally:
            connection.close()

    workers = [threading.Thread(target=one, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return answers


def assert_exactly_one_booking(world, answers):
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (THREADS - 1)
    for answer in answers:
        if answer.status_code == 409:
            body = answer.json()
            assert body["code"] == "slot_unavailable"
            assert body["alternatives"], "a losing client must be offered other times"
    active = Appointment.objects.filter(
        practitioner=world.practitioner, status=Appointment.Status.CONFIRMED
    )
    assert active.count() == 1
    assert active.get().start == START


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_one_booking(world):
    assert_exactly_one_booking(world, book_at_once(world))


@pytest.mark.django_db(transaction=True)
def test_twenty_anonymous_threads_one_hold(world):
    """A hold claims the time like a booking: of twenty strangers asking at once, one holds
    it and nineteen are offered other times; the held time is then no one else's."""
    answers = book_at_once(world, signed_in=False)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202] + [409] * (THREADS - 1)
    held = Appointment.objects.get(practitioner=world.practitioner)
    assert held.status == Appointment.Status.HELD and held.client_id is None
    late = as_owner(
        APIClient(),
        body := {
            "treatment": world.treatment.slug,
            "start": START.isoformat(),
            "practitioner": world.practitioner.pk,
            "client": {"name": "Late", "email": "late@example.com"},
        },
    ).post("/api/v1/appointments/", body, format="json")
    assert late.status_code == 409 and late.json()["code"] == "slot_unavailable"


@pytest.mark.django_db(transaction=True)
def test_control_without_locks_the_constraint_still_holds(world, monkeypatch):
    """All 20 pass the re-check before anyone writes (the race is real); the database
    refuses all but one insert."""
    passed_check = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS, timeout=30)
    original_reserve = reservation.reserve
    retrying = threading.local()

    def racing_reserve(request, practitioner_id, diary):
        result = original_reserve(request, practitioner_id, diary)
        if getattr(retrying, "again", False):  # a loser's retry reads the winner's booking
            return result
        retrying.again = True
        with lock:
            passed_check.append(result is not None)
        barrier.wait()  # everyone has read the diary as free before anyone inserts
        return result

    monkeypatch.setattr(reservation, "lock_and_read", read_without_lock)
    monkeypatch.setattr(reservation, "reserve", racing_reserve)

    answers = book_at_once(world)
    assert passed_check == [True] * THREADS, "the control did not produce a real race"
    assert_exactly_one_booking(world, answers)


@pytest.mark.django_db(transaction=True)
def test_control_without_locks_or_constraint_the_race_double_books(world, monkeypatch):
    """Proof that the test above can fail: with neither locks nor the constraint, the same
    race stores several appointments for one practitioner at one time."""
    constraint = next(
        c for c in Appointment._meta.constraints if c.name == "appointment_no_practitioner_overlap"
    )
    barrier = threading.Barrier(THREADS, timeout=30)
    original_reserve = reservation.reserve
    retrying = threading.local()

    def racing_reserve(request, practitioner_id, diary):
        result = original_reserve(request, practitioner_id, diary)
        if not getattr(retrying, "again", False):
            retrying.again = True
            barrier.wait()
        return result

    monkeypatch.setattr(reservation, "lock_and_read", read_without_lock)
    monkeypatch.setattr(reservation, "reserve", racing_reserve)
    with connection.schema_editor() as editor:
        editor.remove_constraint(Appointment, constraint)
    try:
        # Only the practitioner is contended: no room, so the resource constraint is idle.
        world.treatment.required_resource_kinds.clear()
        answers = book_at_once(world)
        created = [answer for answer in answers if answer.status_code == 201]
        assert len(created) > 1, "without locks and constraint the race should double-book"
    finally:
        Appointment.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(Appointment, constraint)


def race_for_the_room(world, practitioners, monkeypatch) -> list:
    """One thread per practitioner, each booking their own practitioner at START, all
    having read the room as free before any of them writes."""
    barrier = threading.Barrier(len(practitioners), timeout=30)
    original_reserve = reservation.reserve
    first_read = []
    retrying = threading.local()
    answers = [None] * len(practitioners)

    def racing_reserve(request, practitioner_id, diary):
        result = original_reserve(request, practitioner_id, diary)
        if not getattr(retrying, "again", False):
            retrying.again = True
            first_read.append(result)
            barrier.wait()
        return result

    def one(n):
        try:
            body = {
                "treatment": world.treatment.slug,
                "start": START.isoformat(),
                "practitioner": practitioners[n].pk,
                "client": {"name": f"Client {n}", "email": f"room{n}@example.com"},
            }
            answers[n] = as_owner(APIClient(), body).post(
                "/api/v1/appointments/", body, format="json"
            )
        finally:
            connection.close()

    monkeypatch.setattr(reservation, "reserve", racing_reserve)
    workers = [threading.Thread(target=one, args=(n,)) for n in range(len(practitioners))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert first_read == [[world.room.pk]] * len(practitioners), "no real race for Room 1"
    return answers


@pytest.fixture
def second_practitioner(world):
    other = factories.PractitionerFactory(
        clinic=world.clinic, name="Bea Practitioner", treatments=[world.treatment]
    )
    for weekday in range(7):
        factories.WorkingHoursFactory(
            practitioner=other, weekday=weekday, starts=time(9), ends=time(18)
        )
    return other


@pytest.mark.django_db(transaction=True)
def test_two_practitioners_racing_for_one_free_room_get_one_booking(
    world, second_practitioner, monkeypatch
):
    """Rooms are not locked: both read Room 1 as free and write; the resource constraint
    refuses the second, whose retry finds no room left and answers 409."""
    answers = race_for_the_room(world, [world.practitioner, second_practitioner], monkeypatch)
    assert sorted(answer.status_code for answer in answers) == [201, 409]
    assert Appointment.objects.filter(status=Appointment.Status.CONFIRMED).count() == 1
    assert AppointmentResource.objects.filter(active=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_loser_of_a_room_race_is_given_the_next_free_room(
    world, second_practitioner, monkeypatch
):
    """Both pick Room 1 at once; the one the constraint refuses tries again with a fresh
    read and is booked into Room 2 instead of being turned away."""
    room_2 = factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    answers = race_for_the_room(world, [world.practitioner, second_practitioner], monkeypatch)
    assert [answer.status_code for answer in answers] == [201, 201]
    held = AppointmentResource.objects.filter(active=True).values_list("resource", flat=True)
    assert sorted(held) == sorted([world.room.pk, room_2.pk])


@pytest.fixture
def booked(world):
    client = factories.ClientFactory(clinic=world.clinic)
    return appointment_book(treatment=world.treatment, start=START, client=client).appointment


def overlapping_copy(appointment, **changes):
    fields = {
        "clinic": appointment.clinic,
        "client": appointment.client,
        "treatment": appointment.treatment,
        "practitioner": appointment.practitioner,
        "start": appointment.start + timedelta(minutes=30),
        "end": appointment.end + timedelta(minutes=30),
        "blocked_until": appointment.blocked_until + timedelta(minutes=30),
    }
    fields.update(changes)
    return Appointment(**fields)


def test_an_overlapping_insert_through_the_orm_is_rejected(booked):
    with pytest.raises(IntegrityError), transaction.atomic():
        overlapping_copy(booked).save()


def test_an_overlapping_resource_hold_through_the_orm_is_rejected(world, booked):
    other = factories.PractitionerFactory(clinic=world.clinic)
    appointment = overlapping_copy(booked, practitioner=other)
    appointment.save()  # another practitioner: allowed by the practitioner constraint
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentResource.objects.create(
            appointment=appointment,
            resource=world.room,
            start=appointment.start,
            blocked_until=appointment.blocked_until,
        )


def test_a_cancelled_appointment_does_not_block(booked):
    Appointment.objects.filter(pk=booked.pk).update(status=Appointment.Status.CANCELLED)
    overlapping_copy(booked).save()  # no IntegrityError
    assert Appointment.objects.count() == 2


def test_touching_appointments_are_allowed(booked):
    length = booked.blocked_until - booked.start
    overlapping_copy(
        booked,
        start=booked.blocked_until,
        end=booked.blocked_until + length,
        blocked_until=booked.blocked_until + length,
    ).save()
    assert Appointment.objects.count() == 2


def blocked_or_done(pid: int, done: threading.Event, *, seconds: float = 10) -> bool:
    """Wait until the backend `pid` waits on a lock (True) or its thread has finished
    (False). pg_stat_activity is read afresh each time: within a transaction PostgreSQL
    keeps the first snapshot unless told to clear it."""
    deadline = time_module.monotonic() + seconds
    with connection.cursor() as cursor:
        while time_module.monotonic() < deadline and not done.is_set():
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return True
            time_module.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_move_and_a_booking_racing_for_the_room_answer_409_never_5xx(
    world, second_practitioner, staff_api, monkeypatch
):
    """The front desk moves one practitioner's appointment into 10:00 while a client books
    the other practitioner at 10:00, one room between them. The move holds its appointment's
    row lock while the booking commits; that lock must be on the appointment alone. Locking
    the clinic's and treatment's rows too (select_for_update with select_related and no
    `of=`) made the booking's foreign-key check at COMMIT wait for the move, while the move's
    room hold waited for the booking's: PostgreSQL broke the deadlock by failing one of them,
    a 5xx. Here the booking commits, and the move, finding the room gone, is a 409 with
    alternatives."""
    moving = appointment_book(
        treatment=world.treatment,
        start=START + timedelta(hours=4),
        client=factories.ClientFactory(clinic=world.clinic),
    ).appointment
    original_locked = services._locked
    calls = threading.local()
    move_locked, booking_done = threading.Event(), threading.Event()
    booking = {}
    answers = {}

    def pausing_locked(appointment):
        locked = original_locked(appointment)
        calls.count = getattr(calls, "count", 0) + 1
        if calls.count == 2:  # the write's lock, after the search found Room 1 free
            move_locked.set()
            booking["pid_ready"].wait(10)
            booking["waited"] = blocked_or_done(booking["pid"], booking_done)
        return locked

    def move():
        try:
            answers["move"] = staff_api.post(
                f"/api/v1/appointments/{moving.reference}/reschedule/",
                {"start": START.isoformat()},
                format="json",
            )
        finally:
            connection.close()

    def book():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                booking["pid"] = cursor.fetchone()[0]
            booking["pid_ready"].set()
            body = {
                "treatment": world.treatment.slug,
                "start": START.isoformat(),
                "practitioner": second_practitioner.pk,
                "client": {"name": "Racing Client", "email": "racing@example.com"},
            }
            api = as_owner(APIClient(), body)
            assert move_locked.wait(30)
            answers["book"] = api.post("/api/v1/appointments/", body, format="json")
        finally:
            booking_done.set()
            connection.close()

    booking["pid_ready"] = threading.Event()
    monkeypatch.setattr(services, "_locked", pausing_locked)
    workers = [threading.Thread(target=move), threading.Thread(target=book)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {"book": 201, "move": 409}, {k: a.content[:300] for k, a in answers.items()}
    assert booking["waited"] is False, "the booking waited on the move's locks"
    refusal = answers["move"].json()
    assert refusal["code"] == "slot_unavailable" and refusal["alternatives"]
    moving.refresh_from_db()
    assert moving.start == START + timedelta(hours=4), "the refused move left it where it was"
    held = AppointmentResource.objects.filter(active=True, resource=world.room)
    assert sorted(h.appointment.practitioner_id for h in held) == sorted(
        [world.practitioner.pk, second_practitioner.pk]
    )


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_at_the_room_tries_the_same_practitioner_again(
    world, second_practitioner, monkeypatch
):
    """The loser's wait at Room 1's constraint outlasts the lock timeout (the winner has not
    committed: a loaded machine), which is not the practitioner being busy: the same
    practitioner is tried again, and the fresh read gives Room 2 instead of a 409."""
    room_2 = factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    timed_out = threading.Event()
    original_is_conflict = reservation.is_conflict
    original_signoff_sync = services.signoff_sync
    original_reserve = reservation.reserve
    first = threading.local()

    def spying_is_conflict(error):
        if getattr(error.__cause__, "sqlstate", None) == "55P03":  # lock timeout
            timed_out.set()
        return original_is_conflict(error)

    def winner_waits(appointment, **kwargs):
        # Called once the holds are written: only the winner gets here before the loser's
        # timeout (the loser's hold waits on the winner's).
        assert timed_out.wait(timeout=20), "the loser never timed out"
        return original_signoff_sync(appointment, **kwargs)

    def short_timeout_reserve(request, practitioner_id, diary):
        result = original_reserve(request, practitioner_id, diary)
        if not getattr(first, "done", False):
            first.done = True
            with connection.cursor() as cursor:  # this attempt's writes only
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
        return result

    monkeypatch.setattr(reservation, "is_conflict", spying_is_conflict)
    monkeypatch.setattr(services, "signoff_sync", winner_waits)
    monkeypatch.setattr(reservation, "reserve", short_timeout_reserve)
    answers = race_for_the_room(world, [world.practitioner, second_practitioner], monkeypatch)

    assert timed_out.is_set()
    assert [answer.status_code for answer in answers] == [201, 201]
    held = AppointmentResource.objects.filter(active=True).values_list("resource", flat=True)
    assert sorted(held) == sorted([world.room.pk, room_2.pk])


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_while_writing_tries_the_same_practitioner_again(world, monkeypatch):
    """Two bookings writing holds on one room at the same instant can each find the other's
    uncommitted hold when their exclusion constraints check, wait for each other, and have
    PostgreSQL fail one as a deadlock (40P01) rather than an exclusion violation; the room
    race above met it about one run in fifteen. That is a lost room, not a busy practitioner:
    the same practitioner is tried again with a fresh read, where it used to be a 409 for a
    client who had asked for that practitioner. The deadlock here is a real one, made
    with two advisory locks taken in opposite orders by the booking's write and another
    connection, so that PostgreSQL's own error takes the path the race's does."""
    first_lock, second_lock = 710_001, 710_002
    booking_has_first, other_has_second = threading.Event(), threading.Event()
    booking_done = threading.Event()
    deadlocks = []
    original_signoff_sync = services.signoff_sync
    original_is_conflict = reservation.is_conflict
    attempts = []

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        booking_pid = cursor.fetchone()[0]

    def deadlocking_signoff_sync(appointment, **kwargs):
        attempts.append(appointment.practitioner_id)
        if len(attempts) == 1:  # the first attempt, its holds written: meet the other
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [first_lock])
                booking_has_first.set()
                assert other_has_second.wait(10)
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [second_lock])
        return original_signoff_sync(appointment, **kwargs)

    def spying_is_conflict(error):
        if getattr(error.__cause__, "sqlstate", None) == "40P01":
            deadlocks.append(error)
        return original_is_conflict(error)

    def other():
        """Holds the second lock, then asks for the first once the booking waits on the
        second: the booking has waited longer, so its deadlock check fires first and fails
        it, not this one (where the role may, this connection's own check is also put off,
        so that a slow machine cannot turn the order round)."""
        try:
            assert booking_has_first.wait(30)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                if cursor.fetchone()[0]:
                    cursor.execute("SET LOCAL deadlock_timeout = '30s'")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [second_lock])
                other_has_second.set()
                assert blocked_or_done(booking_pid, booking_done)
                time_module.sleep(0.3)
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [first_lock])
        finally:
            connection.close()

    monkeypatch.setattr(services, "signoff_sync", deadlocking_signoff_sync)
    monkeypatch.setattr(reservation, "is_conflict", spying_is_conflict)
    worker = threading.Thread(target=other)
    worker.start()
    body = {
        "treatment": world.treatment.slug,
        "start": START.isoformat(),
        "practitioner": world.practitioner.pk,
        "client": {"name": "Deadlocked Client", "email": "deadlock@example.com"},
    }
    try:
        answer = as_owner(APIClient(), body).post("/api/v1/appointments/", body, format="json")
    finally:
        booking_done.set()
        worker.join(timeout=30)

    assert len(deadlocks) == 1, "the booking's first attempt was not failed as a deadlock"
    assert answer.status_code == 201, answer.content[:300]
    assert attempts == [world.practitioner.pk, world.practitioner.pk]
    appointment = Appointment.objects.get(reference=answer.json()["reference"])
    assert appointment.practitioner_id == world.practitioner.pk
    assert Appointment.objects.count() == 1, "the failed attempt left nothing behind"
    held = AppointmentResource.objects.filter(active=True).values_list("resource", flat=True)
    assert list(held) == [world.room.pk]
