"""Sending one message through a real SMTP server on loopback, without a worker: what goes
out, what a second delivery does, and how failures are counted, retried and given up on."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare.models import Message
from diary.services import appointment_book, appointment_cancel, appointment_complete
from sending.delivery import messages_send, retry_delay
from tests import factories
from tests.conftest import NOW
from tests.helpers import send_one

LONDON = ZoneInfo("Europe/London")
FRIDAY = date(2027, 3, 5)


@pytest.fixture
def booked(world):
    world.clinic.email = "frontdesk@lumiere.example.com"
    world.clinic.address = "18 Chiltern Street\nLondon W1U 7QA"
    world.clinic.save()
    client = factories.ClientFactory(
        clinic=world.clinic, name="Olivia Turner", email="olivia@example.com"
    )
    return appointment_book(
        treatment=world.treatment,
        start=datetime.combine(FRIDAY, time(10), tzinfo=LONDON),
        client=client,
    ).appointment


def claimed(message: Message) -> Message:
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=NOW, sending_started_at=None
    )
    return message


def test_the_confirmation_arrives_with_a_calendar_file_for_the_appointment(booked, inbox):
    message = claimed(booked.messages.get(kind=Message.Kind.CONFIRMATION))

    assert send_one(message.pk) == Message.Status.SENT

    [received] = inbox.for_outbox(message.pk)
    assert received["To"] == "olivia@example.com"
    assert received["From"] == "Lumière <bookings@clinic.localhost>"
    assert received["Reply-To"] == "frontdesk@lumiere.example.com"
    assert received["Subject"] == "Booked: Manual facial massage on Fri 5 Mar at 10:00"
    assert "List-Unsubscribe" not in received  # about their booking: not optional
    [ics] = [
        part for part in received.iter_attachments() if part.get_filename() == "appointment.ics"
    ]
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == booked.start
    assert event.decoded("dtend") == booked.end
    assert str(event["uid"]) == f"{booked.reference}@127.0.0.1"  # the site's host (SITE_URL)
    assert "18 Chiltern Street" in str(event["location"])
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (Message.Status.SENT, 1, NOW)


def test_a_second_delivery_of_the_same_task_sends_nothing(booked, inbox):
    message = claimed(booked.messages.get(kind=Message.Kind.CONFIRMATION))
    send_one(message.pk)

    assert send_one(message.pk) == Message.Status.SENT
    assert send_one(10**9) == "missing"

    assert len(inbox.for_outbox(message.pk)) == 1


def test_an_unclaimed_message_is_not_sent(booked, inbox):
    message = booked.messages.get(kind=Message.Kind.CONFIRMATION)
    assert send_one(message.pk) == Message.Status.PENDING
    assert inbox.messages == []


def test_aftercare_carries_the_treatment_s_notes_and_a_one_click_unsubscribe(world, booked, inbox):
    world.treatment.category = "microcurrent"
    world.treatment.slug = "microcurrent-toning"
    world.treatment.name = "Microcurrent toning facial"
    world.treatment.course_sessions, world.treatment.rebook_after_days = 10, 7
    world.treatment.save()
    after = datetime.combine(FRIDAY, time(11, 30), tzinfo=LONDON)
    with time_machine.travel(after, tick=False):
        appointment_complete(appointment=booked, by=factories.StaffFactory(username="desk"))
        message = claimed(booked.messages.get(kind=Message.Kind.AFTERCARE))
        send_one(message.pk)

    [received] = inbox.for_outbox(message.pk)
    text = received.get_body(("plain",)).get_content()
    assert "oil-free" in text and "five minutes a day after moisturising" in text
    assert "course of 10 sessions, about one a week" in text
    url = received["List-Unsubscribe"].strip().strip("<>")
    assert url.startswith("http://127.0.0.1:8000/aftercare/unsubscribe/")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in text


def test_a_reminder_for_a_cancelled_appointment_is_cancelled_not_sent(booked, inbox):
    reminder = claimed(booked.messages.get(kind=Message.Kind.REMINDER))  # claimed just before...
    appointment_cancel(appointment=booked)  # ...the cancel, which takes it back

    assert send_one(reminder.pk) == Message.Status.CANCELLED
    assert inbox.messages == []


def test_a_refusing_server_means_a_retry_later_then_failure(booked, inbox, settings):
    settings.AFTERCARE_MAX_ATTEMPTS = 3
    settings.AFTERCARE_RETRY_SECONDS = 60
    inbox.refuse = "451 4.3.0 Mailbox busy, try again later"
    message = claimed(booked.messages.get(kind=Message.Kind.CONFIRMATION))

    assert send_one(message.pk) == Message.Status.PENDING
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.due_at == NOW + timedelta(seconds=60)
    assert "451" in message.last_error and "Mailbox busy" in message.last_error

    claimed(message)
    send_one(message.pk)
    message.refresh_from_db()
    assert message.due_at == NOW + timedelta(seconds=120)  # twice as long

    claimed(message)
    assert send_one(message.pk) == Message.Status.FAILED
    message.refresh_from_db()
    assert message.attempts == 3
    assert inbox.messages == []


def test_a_permanent_refusal_fails_at_once(booked, inbox):
    inbox.refuse = "550 5.1.1 No such mailbox"
    message = claimed(booked.messages.get(kind=Message.Kind.CONFIRMATION))

    assert send_one(message.pk) == Message.Status.FAILED
    assert "550" in Message.objects.get(pk=message.pk).last_error


def test_an_unreachable_server_is_a_transient_failure(booked, inbox, settings):
    settings.EMAIL_PORT = 1  # nothing listens there
    message = claimed(booked.messages.get(kind=Message.Kind.CONFIRMATION))

    assert send_one(message.pk) == Message.Status.PENDING
    assert "Connection refused" in Message.objects.get(pk=message.pk).last_error


def test_the_backoff_doubles_and_is_capped(settings):
    settings.AFTERCARE_RETRY_SECONDS = 60
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(30) == timedelta(hours=6)


def test_a_flagged_appointment_is_sent_to_the_clinic(booked, inbox):
    from aftercare.planning import plan_flagged_appointment

    plan_flagged_appointment(appointment=booked, reason="Filler in the cheeks on 2027-02-26.")
    message = claimed(booked.messages.get(kind=Message.Kind.FLAGGED))

    send_one(message.pk)

    [received] = inbox.for_outbox(message.pk)
    assert received["To"] == "frontdesk@lumiere.example.com"
    assert received["Subject"] == f"Check appointment {booked.reference}: Olivia Turner"
    assert "Filler in the cheeks on 2027-02-26." in received.get_body(("plain",)).get_content()


def test_without_a_clinic_address_the_flag_fails_visibly(world, booked, inbox):
    from aftercare.planning import plan_flagged_appointment

    world.clinic.email = ""
    world.clinic.save()
    plan_flagged_appointment(appointment=booked, reason="Botox on 2027-02-27.")
    message = claimed(booked.messages.get(kind=Message.Kind.FLAGGED))

    assert send_one(message.pk) == Message.Status.FAILED
    assert "clinic has no email address" in Message.objects.get(pk=message.pk).last_error


# -- batches: one SMTP connection, each message on its own --------------------------------------


def claimed_batch(*addresses: str, kind: str = Message.Kind.ELIGIBLE) -> list[Message]:
    """One claimed message of `kind` to each address, in that order."""
    clinic = factories.ClinicFactory()
    treatment = factories.TreatmentFactory(clinic=clinic)
    clients = [factories.ClientFactory(clinic=clinic, email=address) for address in addresses]
    return Message.objects.bulk_create(
        Message(
            key=f"batch:{client.pk}",
            clinic=clinic,
            client=client,
            treatment=treatment,
            kind=kind,
            due_at=NOW,
            status=Message.Status.SENDING,
            claimed_at=NOW,
            data={"eligible_on": "2027-03-29"} if kind == Message.Kind.ELIGIBLE else {},
        )
        for client in clients
    )


def ids(messages) -> list[int]:
    return [message.pk for message in messages]


def test_a_batch_goes_out_over_one_smtp_connection(db, frozen_now, inbox):
    batch = claimed_batch("olivia@example.com", "hannah@example.com", "james@example.com")

    assert messages_send(message_ids=ids(batch)) == dict.fromkeys(ids(batch), Message.Status.SENT)

    assert inbox.outbox_counts() == dict.fromkeys(ids(batch), 1)
    assert inbox.connections() == 1
    # The control: sent one by one, each message opens a connection of its own.
    inbox.clear()
    alone = claimed_batch("aisha@example.com", "charlotte@example.com")
    for message in alone:
        send_one(message.pk)
    assert inbox.connections() == 2


def test_a_message_refused_in_a_batch_is_retried_and_the_others_still_go(
    db, frozen_now, inbox, settings
):
    settings.AFTERCARE_RETRY_SECONDS = 60
    inbox.refuse_recipients = {"busy@example.com": "450 4.2.1 Mailbox busy, try again later"}
    first, refused, last = claimed_batch(
        "olivia@example.com", "busy@example.com", "james@example.com"
    )

    outcomes = messages_send(message_ids=ids([first, refused, last]))

    assert outcomes == {
        first.pk: Message.Status.SENT,
        refused.pk: Message.Status.PENDING,
        last.pk: Message.Status.SENT,
    }
    assert inbox.outbox_counts() == {first.pk: 1, last.pk: 1}
    refused.refresh_from_db()
    assert (refused.attempts, refused.due_at) == (1, NOW + timedelta(seconds=60))
    assert "450" in refused.last_error
    assert Message.objects.get(pk=last.pk).attempts == 1


def test_a_batch_delivered_twice_sends_each_message_once(db, frozen_now, inbox):
    batch = claimed_batch("olivia@example.com", "hannah@example.com")
    messages_send(message_ids=ids(batch))

    assert messages_send(message_ids=ids(batch) + [10**9]) == {
        **dict.fromkeys(ids(batch), Message.Status.SENT),
        10**9: "missing",
    }
    assert inbox.outbox_counts() == dict.fromkeys(ids(batch), 1)


def test_an_unreachable_server_fails_the_whole_batch_for_a_retry(db, frozen_now, inbox, settings):
    settings.EMAIL_PORT = 1  # nothing listens there
    batch = claimed_batch("olivia@example.com", "hannah@example.com", "james@example.com")

    assert messages_send(message_ids=ids(batch)) == dict.fromkeys(
        ids(batch), Message.Status.PENDING
    )

    for message in Message.objects.filter(pk__in=ids(batch)):
        assert message.attempts == 1
        assert "Connection refused" in message.last_error


def test_a_batch_past_its_time_budget_gives_the_rest_back_unsent(db, frozen_now, inbox):
    batch = claimed_batch("olivia@example.com", "hannah@example.com")

    assert messages_send(message_ids=ids(batch), budget=0) == dict.fromkeys(
        ids(batch), Message.Status.PENDING
    )

    assert inbox.messages == []
    assert set(Message.objects.values_list("status", "claimed_at", "attempts")) == {
        (Message.Status.PENDING, None, 0)
    }


@pytest.mark.parametrize("size", [1, 6])
def test_a_batch_reads_once_then_costs_two_statements_per_message(db, frozen_now, inbox, size):
    batch = claimed_batch(
        *(f"client{n}@example.com" for n in range(size)), kind=Message.Kind.AFTERCARE
    )

    with CaptureQueriesContext(connection) as queries:
        messages_send(message_ids=ids(batch))

    statements = [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))
    ]
    # The messages with what composing them reads, the templates, then each one's lock and
    # outcome.
    assert len(statements) == 2 + 2 * size
    assert len(inbox.messages) == size
