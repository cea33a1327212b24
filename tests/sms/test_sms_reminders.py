"""Text-message reminders through the outbox: planned beside the email reminder for clients
who agreed to texts, once per appointment, sent once through the real `twilio` library to a
fake Twilio on loopback (tests/fake_twilio.py), moved and cancelled with the appointment,
retried when Twilio fails and failed visibly when it refuses."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from aftercare import planning
from aftercare.models import Message
from aftercare.services import sms_opt_in
from clinic.models import SmsConsentSource
from diary.services import appointment_book, appointment_cancel, appointment_reschedule
from sending.delivery import messages_send
from tests import factories
from tests.conftest import NOW
from tests.fake_twilio import FROM
from tests.helpers import send_one

LONDON = ZoneInfo("Europe/London")
FRIDAY = date(2027, 3, 5)
MOBILE = "+447911123456"


def claimed(message: Message) -> Message:
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=NOW, sending_started_at=None
    )
    return message


@pytest.fixture
def olivia(world, twilio):
    client = factories.ClientFactory(
        clinic=world.clinic, name="Olivia Turner", email="olivia@example.com", phone=MOBILE
    )
    sms_opt_in(client=client, source=SmsConsentSource.STAFF)
    client.refresh_from_db()
    return client


def book(world, client, hour=10):
    return appointment_book(
        treatment=world.treatment,
        start=datetime.combine(FRIDAY, time(hour), tzinfo=LONDON),
        client=client,
    ).appointment


def texts(appointment) -> list[Message]:
    return list(appointment.messages.filter(channel=Message.Channel.SMS).order_by("pk"))


def test_an_sms_reminder_is_planned_once_beside_the_email_reminder(world, olivia):
    appointment = book(world, olivia)
    planning.on_booked(appointment)  # planning the same booking again adds nothing

    [sms] = texts(appointment)
    email = appointment.messages.get(kind=Message.Kind.REMINDER, channel=Message.Channel.EMAIL)
    assert sms.kind == Message.Kind.REMINDER
    assert sms.key == f"{email.key}:sms"
    assert (
        sms.due_at
        == email.due_at
        == datetime.combine(FRIDAY, time(10), tzinfo=LONDON) - (timedelta(hours=24))
    )
    # Only the reminder goes by text: the confirmation stays an email.
    assert not appointment.messages.filter(
        channel=Message.Channel.SMS, kind=Message.Kind.CONFIRMATION
    ).exists()


def test_no_sms_is_planned_for_a_client_who_did_not_agree(world, twilio):
    client = factories.ClientFactory(clinic=world.clinic, phone=MOBILE)
    assert texts(book(world, client)) == []


def test_no_sms_is_planned_without_twilio_keys(world, olivia, settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    assert texts(book(world, olivia)) == []


def test_the_sms_reminder_is_sent_once_through_twilio(world, olivia, twilio):
    [sms] = texts(book(world, olivia))
    claimed(sms)

    assert messages_send(message_ids=[sms.pk]) == {sms.pk: Message.Status.SENT}
    assert messages_send(message_ids=[sms.pk]) == {sms.pk: Message.Status.SENT}  # redelivered

    [sent] = twilio.sent
    assert sent.to == MOBILE and sent.sender == FROM
    assert "Lumière: reminder of your Manual facial massage on Fri 5 Mar at 10:00" in sent.body
    assert sent.body.endswith("Reply STOP to opt out")
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.sent_at) == (Message.Status.SENT, 1, timezone.now())


def test_a_moved_appointment_texts_the_new_time_only(world, olivia, twilio):
    appointment = book(world, olivia)
    [old] = texts(appointment)
    appointment_reschedule(
        appointment=appointment, start=datetime.combine(FRIDAY, time(15), tzinfo=LONDON)
    )

    old.refresh_from_db()
    assert old.status == Message.Status.CANCELLED
    [new] = [m for m in texts(appointment) if m.status == Message.Status.PENDING]
    assert new.due_at == datetime.combine(FRIDAY, time(15), tzinfo=LONDON) - timedelta(hours=24)
    send_one(claimed(new).pk)
    assert "at 15:00" in twilio.sent[0].body


def test_a_cancelled_appointment_is_not_texted(world, olivia, twilio):
    appointment = book(world, olivia)
    [sms] = texts(appointment)
    claimed(sms)  # claimed just before the cancel, which takes it back
    appointment_cancel(appointment=appointment)

    assert send_one(sms.pk) == Message.Status.CANCELLED
    assert twilio.sent == []


def test_twilio_failing_means_a_retry_later_then_failure(world, olivia, twilio, settings):
    settings.AFTERCARE_MAX_ATTEMPTS = 2
    settings.AFTERCARE_RETRY_SECONDS = 60
    twilio.fail_for(3600)
    [sms] = texts(book(world, olivia))

    assert send_one(claimed(sms).pk) == Message.Status.PENDING
    sms.refresh_from_db()
    assert sms.attempts == 1 and sms.due_at == NOW + timedelta(seconds=60)
    assert "503" in sms.last_error

    assert send_one(claimed(sms).pk) == Message.Status.FAILED
    assert twilio.sent == [] and twilio.failed_requests == 2


def test_a_number_twilio_refuses_fails_at_once_and_visibly(world, olivia, twilio):
    twilio.refuse_numbers = {MOBILE}
    [sms] = texts(book(world, olivia))

    assert send_one(claimed(sms).pk) == Message.Status.FAILED
    sms.refresh_from_db()
    assert sms.attempts == 1 and "21211" in sms.last_error


def test_twilio_out_of_reach_is_a_transient_failure(world, olivia, twilio, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:1"  # nothing listens there
    [sms] = texts(book(world, olivia))

    assert send_one(claimed(sms).pk) == Message.Status.PENDING
    assert "ConnectionError" in Message.objects.get(pk=sms.pk).last_error


def test_a_client_who_withdrew_after_planning_is_not_texted(world, olivia, twilio):
    [sms] = texts(book(world, olivia))
    claimed(sms)
    olivia.sms_opted_in = False  # withdrawn, not through the service (which cancels the
    olivia.save()  # text): the check at sending time still holds

    assert send_one(sms.pk) == Message.Status.CANCELLED
    assert twilio.sent == []


def test_a_text_and_an_email_go_in_one_batch_each_by_its_channel(world, olivia, twilio, inbox):
    appointment = book(world, olivia)
    reminders = list(appointment.messages.filter(kind=Message.Kind.REMINDER))
    for message in reminders:
        claimed(message)

    outcomes = messages_send(message_ids=[m.pk for m in reminders])

    assert set(outcomes.values()) == {Message.Status.SENT}
    assert len(twilio.sent) == 1 and len(inbox.messages) == 1


def test_agreeing_later_adds_a_text_to_the_reminders_still_to_come(world, twilio):
    client = factories.ClientFactory(clinic=world.clinic, phone=MOBILE)
    appointment = book(world, client)
    assert texts(appointment) == []

    sms_opt_in(client=client, source=SmsConsentSource.CLIENT_SPACE)
    sms_opt_in(client=client, source=SmsConsentSource.CLIENT_SPACE)  # again: nothing more

    [sms] = texts(appointment)
    assert sms.kind == Message.Kind.REMINDER and sms.status == Message.Status.PENDING
