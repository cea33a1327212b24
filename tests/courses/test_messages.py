"""The course emails through the outbox: "your course expires soon" planned once when it is
bought, "book session n of N" once after each session used (at the treatment's cadence, in
place of the generic rebooking nudge), both sent to the loopback SMTP server when due and
dropped at send time once the course is used up, booked to its end or expired."""

from datetime import UTC, datetime, timedelta

import time_machine

from aftercare.models import Message
from courses.models import ClientCourse, Redemption
from courses.services import course_buy
from diary.services import appointment_book, appointment_complete
from tests.conftest import NOW
from tests.helpers import send_one

TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def deliver(message: Message, at: datetime) -> str:
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=NOW, due_at=NOW
    )
    with time_machine.travel(at, tick=False):
        return send_one(message.pk)


def complete_first_session(world, olivia, desk, course):
    visit = appointment_book(
        treatment=world.treatment, start=TUESDAY_10, client=olivia, by=desk, course=course
    ).appointment
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        appointment_complete(appointment=visit, by=desk)
    return visit


def test_the_expiry_notice_is_planned_once_and_sent_with_the_last_day(
    world, offer, olivia, desk, inbox
):
    course = course_buy(client=olivia, offer=offer, by=desk)
    course_buy(client=olivia, offer=offer, by=desk)  # a second course: its own notice

    notices = Message.objects.filter(kind=Message.Kind.COURSE_EXPIRING, client=olivia)
    assert notices.count() == 2
    notice = notices.get(key=f"course:{course.pk}:course_expiring")
    # Fourteen days before the last day (1 September), at 09:00 London time.
    assert notice.due_at == datetime(2027, 8, 18, 8, 0, tzinfo=UTC)

    assert deliver(notice, notice.due_at) == Message.Status.SENT
    [sent] = inbox.for_outbox(notice.pk)
    assert sent["Subject"] == "Your Ten facial massages ends on Wednesday 1 September 2027"


def test_book_session_two_of_ten_follows_a_session_used_once_at_the_cadence(
    world, offer, olivia, desk, inbox
):
    course = course_buy(client=olivia, offer=offer, by=desk)
    visit = complete_first_session(world, olivia, desk, course)

    nudge = Message.objects.get(kind=Message.Kind.COURSE_NEXT, client=olivia)
    assert nudge.key == f"course:{course.pk}:course_next:2"
    assert nudge.due_at == datetime(2027, 3, 9, 9, 0, tzinfo=UTC)  # 7 days on, 09:00 London
    rebook = visit.messages.get(kind=Message.Kind.REBOOK)
    assert rebook.status == Message.Status.CANCELLED  # the course's own message replaces it

    assert deliver(nudge, nudge.due_at) == Message.Status.SENT
    [sent] = inbox.for_outbox(nudge.pk)
    assert sent["Subject"] == "Time to book session 2 of 10"


def test_the_nudge_is_dropped_once_the_next_session_is_booked(world, offer, olivia, desk, inbox):
    course = course_buy(client=olivia, offer=offer, by=desk)
    complete_first_session(world, olivia, desk, course)
    appointment_book(
        treatment=world.treatment,
        start=TUESDAY_10 + timedelta(days=6),
        client=olivia,
        by=desk,
        course=course,
    )
    nudge = Message.objects.get(kind=Message.Kind.COURSE_NEXT, client=olivia)

    assert deliver(nudge, nudge.due_at) == Message.Status.CANCELLED
    assert (
        Message.objects.get(pk=nudge.pk).last_error == "The client has booked their next session."
    )
    assert inbox.for_outbox(nudge.pk) == []


def test_both_are_dropped_at_send_time_once_the_course_is_used_up(
    world, offer, olivia, desk, inbox
):
    course = course_buy(client=olivia, offer=offer, by=desk)
    complete_first_session(world, olivia, desk, course)
    # The rest of its sessions used (as nine more visits would leave them).
    for number in range(2, 11):
        visit = appointment_book(
            treatment=world.treatment,
            start=TUESDAY_10 + timedelta(days=number),
            client=olivia,
            by=desk,
        ).appointment
        Redemption.objects.create(
            client_course=course, appointment=visit, status="redeemed", number=number
        )
    for kind in (Message.Kind.COURSE_NEXT, Message.Kind.COURSE_EXPIRING):
        message = Message.objects.get(kind=kind, client=olivia)
        assert deliver(message, message.due_at) == Message.Status.CANCELLED
        assert Message.objects.get(pk=message.pk).last_error == (
            "Every session of the course is used."
        )
        assert inbox.for_outbox(message.pk) == []


def test_the_expiry_notice_is_dropped_once_the_course_has_expired(
    world, offer, olivia, desk, inbox
):
    course = course_buy(client=olivia, offer=offer, by=desk)
    notice = Message.objects.get(kind=Message.Kind.COURSE_EXPIRING, client=olivia)
    ClientCourse.objects.filter(pk=course.pk).update(expires_at=notice.due_at)

    assert deliver(notice, notice.due_at + timedelta(days=1)) == Message.Status.CANCELLED
    assert Message.objects.get(pk=notice.pk).last_error == "The course has expired."
