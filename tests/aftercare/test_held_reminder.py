"""A flagged appointment's reminder is held: a health record added after booking that makes
the appointment break a rule cancels its reminder and tells the clinic; a reschedule past
the waiting period, or a correction of the record, plans it again, and it is sent.

The clock starts at tests/conftest.py's NOW (Monday 1 March 2027, 08:00 in London); the
visit is on Friday 5 March at 10:00, so its reminder (24 hours before) is due on Thursday.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from access.roles import MANAGER
from aftercare import planning
from aftercare.models import Message
from aftercare.outbox import claim_due
from clinical.services import injectable_record
from diary.services import appointment_book, appointment_reschedule
from sending.delivery import messages_send
from tests import factories

LONDON = ZoneInfo("Europe/London")
FRIDAY = date(2027, 3, 5)
REMINDER_TIME = datetime(2027, 3, 4, 10, tzinfo=LONDON)  # 24 hours before the visit
PAST_THE_WAIT = datetime(2027, 3, 16, 10, tzinfo=LONDON)  # day 15 after the filler


@pytest.fixture
def booked(world):
    """Olivia on Friday at 10:00, with the clinic's address for the flagged notice."""
    world.clinic.email = "frontdesk@lumiere.example.com"
    world.clinic.save(update_fields=["email"])
    olivia = factories.ClientFactory(clinic=world.clinic, email="olivia@example.com")
    friday = datetime.combine(FRIDAY, time(10), tzinfo=LONDON)
    return appointment_book(treatment=world.treatment, start=friday, client=olivia).appointment


def deliver_due(at: datetime) -> list[Message]:
    """What the dispatcher and a worker do at `at`: claim what is due, send it."""
    with time_machine.travel(at, tick=False):
        ids = claim_due(send=lambda ids: None, now=at)
        messages_send(message_ids=ids)
    return list(Message.objects.filter(pk__in=ids).order_by("pk"))


def filler_today(client, staff=None):
    return injectable_record(client=client, kind="filler", date=date(2027, 3, 1), by=staff)


def reminders(appointment) -> list[Message]:
    return list(appointment.messages.filter(kind=Message.Kind.REMINDER).order_by("pk"))


def test_a_filler_after_booking_holds_the_reminder_until_a_move_past_the_wait(booked, inbox):
    desk = factories.StaffFactory(username="desk")
    _, flagged = filler_today(booked.client, desk)
    assert [a.pk for a in flagged] == [booked.pk]

    [held] = reminders(booked)
    assert held.status == Message.Status.CANCELLED
    assert held.last_error == planning.REMINDER_HELD
    # The clinic is told, and at its reminder's time nothing goes to the client.
    delivered = deliver_due(REMINDER_TIME)
    assert [m.kind for m in delivered] == [Message.Kind.CONFIRMATION, Message.Kind.FLAGGED]
    assert [m["To"] for m in inbox.messages] == [
        "olivia@example.com",  # the booking's confirmation, due since Monday
        "frontdesk@lumiere.example.com",
    ]
    assert "Check appointment" in inbox.messages[1]["Subject"]
    inbox.clear()

    with time_machine.travel(REMINDER_TIME, tick=False):
        appointment_reschedule(
            appointment=booked, start=PAST_THE_WAIT, by=desk, acknowledge_warnings=True
        )

    booked.refresh_from_db()
    assert booked.eligibility_flag == ""
    new = reminders(booked)[-1]
    assert new.status == Message.Status.PENDING
    assert new.due_at == datetime(2027, 3, 15, 10, tzinfo=LONDON)
    delivered = deliver_due(new.due_at)
    assert Message.Kind.REMINDER in [m.kind for m in delivered]
    assert Message.objects.get(pk=new.pk).status == Message.Status.SENT
    assert any(
        m["To"] == "olivia@example.com" and "Tue 16 Mar" in m["Subject"] for m in inbox.messages
    ), [m["Subject"] for m in inbox.messages]


def test_a_correction_that_clears_the_flag_plans_the_reminder_again(booked, inbox):
    record, _ = filler_today(booked.client)
    assert reminders(booked)[0].status == Message.Status.CANCELLED

    injectable_record(client=booked.client, kind="filler", date=date(2027, 1, 4), corrects=record)

    booked.refresh_from_db()
    assert booked.eligibility_flag == ""
    held, again = reminders(booked)
    assert held.status == Message.Status.CANCELLED
    assert again.status == Message.Status.PENDING and again.due_at == REMINDER_TIME
    delivered = deliver_due(REMINDER_TIME)
    assert again.pk in [m.pk for m in delivered]
    assert Message.objects.get(pk=again.pk).status == Message.Status.SENT


def test_flagged_again_after_a_correction_holds_the_new_reminder_too(booked):
    record, _ = filler_today(booked.client)
    correction, _ = injectable_record(
        client=booked.client, kind="filler", date=date(2027, 1, 4), corrects=record
    )
    filler_today(booked.client)  # a second filler, recorded later still

    assert [m.status for m in reminders(booked)] == [Message.Status.CANCELLED] * 2


def test_a_reminder_still_planned_for_a_flagged_appointment_is_not_sent(booked):
    """The hold is checked again when the reminder is due, whoever set the flag."""
    [reminder] = reminders(booked)
    type(booked).objects.filter(pk=booked.pk).update(eligibility_flag="Filler on 1 March.")
    reminder.refresh_from_db()

    assert planning.reason_not_to_send(reminder, now=REMINDER_TIME) == planning.REMINDER_HELD


def test_an_override_resolves_the_flag_and_plans_the_reminder(booked):
    """A manager books past the rule (a move with an override's reason): the flag is
    resolved by their decision, and the client is reminded of the new time."""
    filler_today(booked.client)
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])
    saturday = datetime(2027, 3, 6, 10, tzinfo=LONDON)  # still inside the wait

    appointment_reschedule(
        appointment=booked, start=saturday, by=manager, override_reason="Light touch only."
    )

    booked.refresh_from_db()
    assert booked.eligibility_flag == "" and booked.override_reason == "Light touch only."
    new = reminders(booked)[-1]
    assert new.status == Message.Status.PENDING
    assert new.due_at == datetime(2027, 3, 5, 10, tzinfo=LONDON)
