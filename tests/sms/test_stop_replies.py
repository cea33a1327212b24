"""Replies to our texts through Twilio's inbound webhook, signed the way Twilio signs
(X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted form fields with the auth token,
computed here by the twilio library's own RequestValidator). STOP and its variants withdraw
the number and cancel every text waiting for it; START agrees again; anything unsigned or
badly signed is refused."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as Browser
from django.utils import timezone
from twilio.request_validator import RequestValidator

from aftercare.models import Message
from aftercare.services import sms_opt_in
from clinic.models import SmsConsentSource
from diary.services import appointment_book
from sending.delivery import messages_send
from tests import factories
from tests.fake_twilio import AUTH_TOKEN
from tests.helpers import send_one

LONDON = ZoneInfo("Europe/London")
MOBILE = "+447911123456"
URL = "/sms/twilio/inbound/"


def signed_post(fields: dict, *, token: str = AUTH_TOKEN, signature: str | None = None):
    """POST `fields` as Twilio would, with the signature for SITE_URL + the path."""
    full_url = "http://127.0.0.1:8000" + URL  # settings.SITE_URL in the tests
    if signature is None:
        signature = RequestValidator(token).compute_signature(full_url, fields)
    return Browser(enforce_csrf_checks=True).post(
        URL, fields, headers={"X-Twilio-Signature": signature}
    )


def reply(body: str, sender: str = MOBILE) -> dict:
    return {"MessageSid": "SM" + "1" * 32, "From": sender, "To": "+447400000001", "Body": body}


@pytest.fixture
def olivia(world, twilio):
    client = factories.ClientFactory(clinic=world.clinic, phone=MOBILE)
    sms_opt_in(client=client, source=SmsConsentSource.BOOKING_FORM)
    client.refresh_from_db()
    return client


def book(world, client, day) -> list[Message]:
    appointment = appointment_book(
        treatment=world.treatment,
        start=datetime.combine(day, time(10), tzinfo=LONDON),
        client=client,
    ).appointment
    return list(appointment.messages.filter(channel=Message.Channel.SMS))


def test_stop_stops_every_later_sms(world, olivia, twilio):
    # Two appointments, two texts planned; one already claimed by a dispatcher.
    [first] = book(world, olivia, date(2027, 3, 5))
    [second] = book(world, olivia, date(2027, 3, 12))
    Message.objects.filter(pk=first.pk).update(status=Message.Status.SENDING)

    response = signed_post(reply("Stop"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    olivia.refresh_from_db()
    assert not olivia.sms_opted_in
    assert olivia.sms_opt_out_at == timezone.now()
    assert olivia.sms_opt_out_source == SmsConsentSource.REPLY
    assert set(
        Message.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {Message.Status.CANCELLED}
    assert messages_send(message_ids=[first.pk, second.pk])  # a late task sends nothing
    # ...and nothing booked afterwards is texted either.
    assert book(world, olivia, date(2027, 3, 19)) == []
    assert twilio.sent == []
    # The emails are untouched.
    assert (
        olivia.messages.filter(
            channel=Message.Channel.EMAIL, kind=Message.Kind.REMINDER, status=Message.Status.PENDING
        ).count()
        == 3
    )


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", " Cancel ", "END", "quit"])
def test_the_usual_variants_of_stop_withdraw_too(world, olivia, word):
    assert signed_post(reply(word)).status_code == 200
    olivia.refresh_from_db()
    assert not olivia.sms_opted_in


def test_start_agrees_again_and_texts_resume(world, olivia, twilio):
    signed_post(reply("STOP"))
    signed_post(reply("START"))

    olivia.refresh_from_db()
    assert olivia.sms_opted_in and olivia.sms_opt_in_source == SmsConsentSource.REPLY
    [sms] = book(world, olivia, date(2027, 3, 5))
    Message.objects.filter(pk=sms.pk).update(status=Message.Status.SENDING)
    assert send_one(sms.pk) == Message.Status.SENT
    assert len(twilio.sent) == 1


def test_start_from_someone_who_never_agreed_agrees_to_nothing(world, twilio):
    client = factories.ClientFactory(clinic=world.clinic, phone=MOBILE)
    signed_post(reply("START"))
    client.refresh_from_db()
    assert not client.sms_opted_in


def test_any_other_reply_changes_nothing(world, olivia):
    assert signed_post(reply("Can I come at 11 instead?")).status_code == 200
    olivia.refresh_from_db()
    assert olivia.sms_opted_in


def test_stop_reaches_every_record_with_that_number(world, twilio):
    other_org_clinic = factories.ClinicFactory(slug="northside")
    here = factories.ClientFactory(clinic=world.clinic, phone=MOBILE)
    there = factories.ClientFactory(clinic=other_org_clinic, phone=MOBILE)
    stranger = factories.ClientFactory(clinic=world.clinic, phone="+447911654321")
    for client in (here, there, stranger):
        sms_opt_in(client=client, source=SmsConsentSource.STAFF)

    signed_post(reply("STOP"))

    for client in (here, there, stranger):
        client.refresh_from_db()
    assert (here.sms_opted_in, there.sms_opted_in, stranger.sms_opted_in) == (False, False, True)


def test_a_bad_signature_is_refused(world, olivia):
    response = signed_post(reply("STOP"), token="not-the-auth-token")

    assert response.status_code == 403
    assert response.json()["code"] == "bad_signature"
    olivia.refresh_from_db()
    assert olivia.sms_opted_in


def test_a_signature_for_other_fields_is_refused(world, olivia):
    good = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://127.0.0.1:8000" + URL, reply("hello")
    )
    response = signed_post(reply("STOP"), signature=good)
    assert response.status_code == 403
    olivia.refresh_from_db()
    assert olivia.sms_opted_in


def test_an_unsigned_request_is_refused(world, olivia):
    response = Browser().post(URL, reply("STOP"))
    assert response.status_code == 403
    assert response.json()["code"] == "bad_signature"


def test_a_signed_reply_without_a_readable_sender_is_a_400(world, olivia):
    response = signed_post(reply("STOP", sender="not a number"))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone"


def test_without_twilio_keys_the_webhook_refuses_everything(world, olivia, settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    response = signed_post(reply("STOP"))
    assert response.status_code == 403
    assert response.json()["code"] == "sms_not_configured"


def test_only_post_is_answered(world, twilio):
    assert Browser().get(URL).status_code == 405
