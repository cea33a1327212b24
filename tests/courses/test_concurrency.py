"""One session is used once, under real concurrency on PostgreSQL: two threads, each with its
own connection, complete two appointments that both count on a course's last session at
the same moment, and two book its last session at once. The control disables the course's
lock and holds both threads after their count, showing the race is real (the unique session
number is then all that stops a double use, with an error instead of a clean refusal)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection

from courses import services
from courses.models import ClientCourse, Redemption
from courses.services import course_buy
from diary.errors import CourseNotUsable
from diary.services import appointment_book, appointment_complete
from tests import factories

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
LATER = TUESDAY_10 + timedelta(hours=2)


def at_once(*calls):
    """Run each call in its own thread and connection, together; their outcomes."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes = [None] * len(calls)

    def run(n, call):
        try:
            barrier.wait()
            outcomes[n] = call()
        except Exception as error:  # the outcome to assert on
            outcomes[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def last_session(world, offer):
    """A one-session course and two appointments that each count on it: the second one's
    session was written without the booking's check (as a desk racing an older version
    could have), so only the completion's lock stands between it and a second use."""
    offer.sessions = 1
    offer.save()
    olivia = factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")
    desk = factories.StaffFactory(username="desk")
    course = course_buy(client=olivia, offer=offer, by=desk)
    first = appointment_book(
        treatment=world.treatment, start=TUESDAY_10, client=olivia, by=desk, course=course
    ).appointment
    other = appointment_book(
        treatment=world.treatment, start=LATER, client=olivia, by=desk
    ).appointment
    Redemption.objects.create(client_course=course, appointment=other)
    return course, desk, [first, other]


def complete_both(desk, visits):
    with time_machine.travel(LATER + timedelta(hours=2), tick=False):
        return at_once(*(lambda v=v: appointment_complete(appointment=v, by=desk) for v in visits))


def test_two_completions_at_once_use_the_last_session_once(last_session):
    course, desk, visits = last_session
    outcomes = complete_both(desk, visits)

    refused = [o for o in outcomes if isinstance(o, CourseNotUsable)]
    assert len(refused) == 1, outcomes
    assert refused[0].code == "course_not_usable"
    assert list(course.redemptions.values_list("status", "number").order_by("status")) == [
        ("booked", None),
        ("redeemed", 1),
    ]
    # The refused completion rolled back whole: that appointment is still to complete.
    assert sorted(v.__class__.objects.get(pk=v.pk).status for v in visits) == [
        "completed",
        "confirmed",
    ]


def test_control_without_the_lock_both_count_the_same_session(last_session, monkeypatch):
    course, desk, visits = last_session
    counted = threading.Barrier(2, timeout=10)
    counts = services._counts

    def unlocked(course_id):
        return ClientCourse.objects.get(pk=course_id)

    def count_then_wait(course):
        result = counts(course)
        counted.wait()  # both have counted before either writes
        return result

    monkeypatch.setattr(services, "_locked", unlocked)
    monkeypatch.setattr(services, "_counts", count_then_wait)
    outcomes = complete_both(desk, visits)

    # Both believed the session free; only the unique session number stopped the second,
    # with a database error rather than a refusal.
    assert any(isinstance(o, IntegrityError) for o in outcomes), outcomes
    assert course.redemptions.filter(status="redeemed").count() == 1


def test_two_bookings_at_once_take_the_last_session_once(world, offer):
    offer.sessions = 1
    offer.save()
    olivia = factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")
    desk = factories.StaffFactory(username="desk")
    course = course_buy(client=olivia, offer=offer, by=desk)
    starts = [TUESDAY_10, LATER]
    outcomes = at_once(
        *(
            lambda s=s: appointment_book(
                treatment=world.treatment, start=s, client=olivia, by=desk, course=course
            )
            for s in starts
        )
    )
    assert sum(isinstance(o, CourseNotUsable) for o in outcomes) == 1, outcomes
    assert course.redemptions.count() == 1
    assert olivia.appointments.count() == 1
