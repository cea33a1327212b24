"""Planning: which outbox rows each booking change writes, and when they are due.

The clock is frozen (tests/conftest.py: NOW is Monday 1 March 2027, 08:00 in London). In
2027 London moves to BST on Sunday 28 March and back to GMT on Sunday 31 October.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from aftercare import planning
from aftercare.models import Message
from aftercare.services import client_unsubscribe, eligibility_notice_request
from diary.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
)
from tests import factories
from tests.conftest import NOW

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
FRIDAY = date(2027, 3, 5)


def london(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# -- due times: pure -----------------------------------------------------------------------------


def test_the_morning_is_nine_o_clock_local_on_either_side_of_the_clock_changes():
    assert planning.local_morning(day=date(2027, 3, 27), tz=LONDON) == utc(2027, 3, 27, 9)
    assert planning.local_morning(day=date(2027, 3, 28), tz=LONDON) == utc(2027, 3, 28, 8)
    assert planning.local_morning(day=date(2027, 10, 30), tz=LONDON) == utc(2027, 10, 30, 8)
    assert planning.local_morning(day=date(2027, 10, 31), tz=LONDON) == utc(2027, 10, 31, 9)


def test_the_reminder_counts_real_hours_across_a_clock_change():
    monday_after = london(date(2027, 3, 29), 10)  # BST
    assert planning.reminder_due(start=monday_after, hours_before=24) == london(
        date(2027, 3, 28), 10
    )
    # Sunday 10:00 BST is 24 real hours after Saturday 09:00 GMT: the clocks jumped in between.
    sunday = london(date(2027, 3, 28), 10)
    assert planning.reminder_due(start=sunday, hours_before=24) == london(date(2027, 3, 27), 9)
    assert planning.reminder_due(start=sunday, hours_before=0) is None


def test_days_after_count_in_the_clinic_s_calendar_not_in_utc():
    # 21:30 in New York on 1 March is already 2 March in UTC.
    evening = datetime(2027, 3, 1, 21, 30, tzinfo=NEW_YORK)
    follow_up = planning.morning_after(start=evening, days=2, tz=NEW_YORK)
    assert follow_up.astimezone(NEW_YORK) == datetime(2027, 3, 3, 9, tzinfo=NEW_YORK)
    # ...and across New York's own change (14 March 2027), still 09:00 local.
    across = planning.morning_after(start=evening, days=14, tz=NEW_YORK)
    assert across == utc(2027, 3, 15, 13)


def test_course_progress():
    assert planning.course_progress(sessions=1, done=1) is None
    assert planning.course_progress(sessions=10, done=3) == {"sessions": 10, "done": 3, "left": 7}
    assert planning.course_progress(sessions=10, done=12)["left"] == 0


# -- what each booking change plans ---------------------------------------------------------------


@pytest.fixture
def alice(world):
    return factories.ClientFactory(clinic=world.clinic, name="Alice Client")


@pytest.fixture
def desk(db):
    return factories.StaffFactory(username="desk")


@pytest.fixture
def booked(world, alice):
    return appointment_book(
        treatment=world.treatment, start=london(FRIDAY, 10), client=alice
    ).appointment


def rows(appointment):
    return {m.key: (m.kind, m.status, m.due_at) for m in appointment.messages.all()}


def test_booking_plans_a_confirmation_now_and_a_reminder_24_hours_before(booked):
    pk = booked.pk
    assert rows(booked) == {
        f"appointment:{pk}:confirmation": (Message.Kind.CONFIRMATION, Message.Status.PENDING, NOW),
        f"appointment:{pk}:reminder": (
            Message.Kind.REMINDER,
            Message.Status.PENDING,
            london(FRIDAY, 10) - timedelta(hours=24),
        ),
    }
    message = booked.messages.get(kind=Message.Kind.CONFIRMATION)
    assert (message.client, message.clinic, message.treatment) == (
        booked.client,
        booked.clinic,
        booked.treatment,
    )


def test_the_reminder_follows_the_clinic_s_setting(world, alice):
    world.clinic.reminder_hours_before = 48
    world.clinic.save()
    appointment = appointment_book(
        treatment=world.treatment, start=london(FRIDAY, 10), client=alice
    ).appointment
    assert appointment.messages.get(kind=Message.Kind.REMINDER).due_at == london(
        date(2027, 3, 3), 10
    )


def test_a_booking_at_short_notice_gets_no_reminder(world, alice, desk):
    appointment = appointment_book(
        treatment=world.treatment, start=london(date(2027, 3, 1), 15), client=alice, by=desk
    ).appointment
    assert [m.kind for m in appointment.messages.all()] == [Message.Kind.CONFIRMATION]


def test_the_rows_are_written_in_the_booking_s_transaction(world, alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        appointment_book(treatment=world.treatment, start=london(FRIDAY, 10), client=alice)
        raise RuntimeError("the request fails after booking")
    assert not Message.objects.exists()


def test_planning_the_same_cause_twice_adds_nothing(booked):
    planning.on_booked(booked)
    assert booked.messages.count() == 2


def test_cancelling_cancels_what_is_pending_and_keeps_what_was_sent(booked):
    booked.messages.filter(kind=Message.Kind.CONFIRMATION).update(status=Message.Status.SENT)

    appointment_cancel(appointment=booked)

    statuses = dict(booked.messages.values_list("kind", "status"))
    assert statuses == {
        Message.Kind.CONFIRMATION: Message.Status.SENT,
        Message.Kind.REMINDER: Message.Status.CANCELLED,
        Message.Kind.CANCELLATION: Message.Status.PENDING,
    }
    assert (
        booked.messages.get(kind=Message.Kind.REMINDER).last_error
        == "The appointment was cancelled."
    )


def test_a_cancellation_tells_the_client_at_once_and_says_who_cancelled(booked, world):
    appointment_cancel(appointment=booked)
    notice = booked.messages.get(kind=Message.Kind.CANCELLATION)
    assert notice.due_at == NOW
    assert notice.is_essential  # sent even to a client who unsubscribed
    assert notice.data == {"start": booked.start.isoformat(), "by_clinic": False, "sequence": 1}

    other = appointment_book(
        treatment=world.treatment,
        start=london(FRIDAY, 14),
        client=booked.client,
    ).appointment
    other = appointment_reschedule(appointment=other, start=london(FRIDAY, 15)).appointment
    appointment_cancel(appointment=other, by=factories.StaffFactory(username="desk"))
    notice = other.messages.get(kind=Message.Kind.CANCELLATION)
    assert notice.data["by_clinic"] is True
    assert notice.data["sequence"] == 2  # above the reschedule's confirmation (1)


def test_cancelling_an_appointment_whose_time_has_passed_writes_to_nobody(booked):
    with time_machine.travel(booked.start + timedelta(hours=2), tick=False):
        appointment_cancel(appointment=booked, by=factories.StaffFactory(username="desk"))
    assert not booked.messages.filter(kind=Message.Kind.CANCELLATION).exists()


def test_a_cancellation_is_not_sent_once_its_time_has_passed(booked):
    appointment_cancel(appointment=booked)
    notice = Message.objects.get(kind=Message.Kind.CANCELLATION)  # with the appointment as stored
    assert planning.reason_not_to_send(notice, now=NOW) == ""
    assert planning.reason_not_to_send(notice, now=booked.start) == (
        "The appointment's time has passed."
    )


def test_rescheduling_moves_the_reminder_and_tells_the_client_it_moved(booked):
    booked.messages.filter(kind=Message.Kind.CONFIRMATION).update(status=Message.Status.SENT)
    new_start = london(date(2027, 3, 8), 14)

    moved = appointment_reschedule(appointment=booked, start=new_start).appointment

    pending = moved.messages.filter(status=Message.Status.PENDING)
    assert {m.kind: m.due_at for m in pending} == {
        Message.Kind.MOVED: NOW,  # not a second confirmation
        Message.Kind.REMINDER: new_start - timedelta(hours=24),
    }
    assert moved.messages.get(kind=Message.Kind.MOVED).data["moved_from"] == (
        london(FRIDAY, 10).isoformat()
    )
    assert {m.data["sequence"] for m in pending} == {1}  # the .ics SEQUENCE
    assert (
        moved.messages.get(key=f"appointment:{moved.pk}:reminder").status
        == Message.Status.CANCELLED
    )

    again = appointment_reschedule(
        appointment=moved, start=london(date(2027, 3, 9), 11)
    ).appointment

    [reminder] = again.messages.filter(kind=Message.Kind.REMINDER, status=Message.Status.PENDING)
    assert reminder.key == f"appointment:{again.pk}:reminder:2"
    assert reminder.due_at == london(date(2027, 3, 8), 11)


def test_completing_plans_aftercare_now_a_follow_up_and_the_course_nudge(world, booked, desk):
    world.treatment.rebook_after_days = 14
    world.treatment.course_sessions = 10
    world.treatment.save()
    after = london(FRIDAY, 11, 5)

    with time_machine.travel(after, tick=False):
        appointment_complete(appointment=booked, by=desk)

    due = {m.kind: m.due_at for m in booked.messages.filter(status=Message.Status.PENDING)}
    assert due == {
        Message.Kind.AFTERCARE: after,
        Message.Kind.FOLLOW_UP: london(date(2027, 3, 7), 9),
        Message.Kind.REBOOK: london(date(2027, 3, 19), 9),
    }
    nudge = booked.messages.get(kind=Message.Kind.REBOOK)
    assert nudge.data == {"days_since": 14, "course": {"sessions": 10, "done": 1, "left": 9}}
    # The visit is over: a reminder still waiting is pointless.
    assert booked.messages.get(kind=Message.Kind.REMINDER).status == Message.Status.CANCELLED


def test_no_nudge_for_a_treatment_without_a_rebooking_interval(booked, desk):
    with time_machine.travel(london(FRIDAY, 11), tick=False):
        appointment_complete(appointment=booked, by=desk)
    assert not booked.messages.filter(kind=Message.Kind.REBOOK).exists()


def test_a_no_show_cancels_what_is_pending_and_plans_no_aftercare(world, booked, desk):
    world.treatment.rebook_after_days = 14
    world.treatment.save()

    with time_machine.travel(london(FRIDAY, 11), tick=False):
        appointment_mark_no_show(appointment=booked, by=desk)

    assert set(booked.messages.values_list("kind", "status")) == {
        (Message.Kind.CONFIRMATION, Message.Status.CANCELLED),
        (Message.Kind.REMINDER, Message.Status.CANCELLED),
    }


def test_an_unsubscribed_client_gets_no_aftercare_planned(booked, desk):
    client_unsubscribe(client=booked.client)

    # Booking emails are still theirs to get.
    assert set(booked.messages.values_list("status", flat=True)) == {Message.Status.PENDING}

    with time_machine.travel(london(FRIDAY, 11), tick=False):
        appointment_complete(appointment=booked, by=desk)

    assert not booked.messages.filter(
        kind__in=[Message.Kind.AFTERCARE, Message.Kind.FOLLOW_UP]
    ).exists()


def test_a_flagged_appointment_notifies_the_clinic_once_per_reason(booked):
    planning.plan_flagged_appointment(appointment=booked, reason="Filler on 2027-02-28 (cheeks)")
    planning.plan_flagged_appointment(appointment=booked, reason="Filler on 2027-02-28 (cheeks)")
    planning.plan_flagged_appointment(appointment=booked, reason="Botox on 2027-03-01")

    flagged = booked.messages.filter(kind=Message.Kind.FLAGGED)
    assert flagged.count() == 2
    assert {m.due_at for m in flagged} == {NOW}


def test_the_eligibility_notice_is_due_on_the_morning_the_wait_ends(world, alice):
    eligibility_notice_request(
        client=alice, treatment=world.treatment, eligible_on=date(2027, 3, 29)
    )
    eligibility_notice_request(
        client=alice, treatment=world.treatment, eligible_on=date(2027, 3, 29)
    )

    [notice] = Message.objects.filter(kind=Message.Kind.ELIGIBLE)
    assert notice.due_at == london(date(2027, 3, 29), 9)  # BST by then: 08:00 UTC
    assert notice.data == {"eligible_on": "2027-03-29"}
    assert notice.appointment is None

    eligibility_notice_request(
        client=alice, treatment=world.treatment, eligible_on=date(2027, 2, 1)
    )
    assert Message.objects.get(data__eligible_on="2027-02-01").due_at == NOW


# -- checked again when due ------------------------------------------------------------------------


def test_the_nudge_is_dropped_when_the_client_has_booked_again(world, booked, desk):
    world.treatment.rebook_after_days = 14
    world.treatment.save()
    with time_machine.travel(london(FRIDAY, 11), tick=False):
        appointment_complete(appointment=booked, by=desk)
    nudge = booked.messages.get(kind=Message.Kind.REBOOK)
    due = london(date(2027, 3, 19), 9)

    assert planning.reason_not_to_send(nudge, now=due) == ""

    appointment_book(
        treatment=world.treatment, start=london(date(2027, 3, 25), 10), client=booked.client
    )
    assert planning.reason_not_to_send(nudge, now=due) == (
        "The client has booked their next appointment."
    )


def test_a_message_planned_before_unsubscribing_is_dropped_when_due(booked, desk):
    with time_machine.travel(london(FRIDAY, 11), tick=False):
        appointment_complete(appointment=booked, by=desk)
    follow_up = booked.messages.get(kind=Message.Kind.FOLLOW_UP)
    booked.client.unsubscribed_at = NOW
    booked.client.save()

    assert "unsubscribed" in planning.reason_not_to_send(follow_up, now=follow_up.due_at)


def test_a_reminder_for_an_old_time_or_a_past_visit_is_dropped(booked):
    reminder = booked.messages.get(kind=Message.Kind.REMINDER)
    assert planning.reason_not_to_send(reminder, now=NOW) == ""

    booked.start += timedelta(hours=1)  # moved without the hook: the row still says 10:00
    assert (
        planning.reason_not_to_send(reminder, now=NOW) == "The appointment moved to another time."
    )
    booked.start -= timedelta(hours=1)
    assert planning.reason_not_to_send(reminder, now=london(FRIDAY, 10)) == (
        "The appointment has already started."
    )
