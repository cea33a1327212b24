"""The client's own switch for texts on /my/ (online/pages/texts.py): on with the time and
the source kept and the reminders of visits to come texted too; off cancels every text
still waiting; no number to text is a clear refusal; staff and visitors never reach it."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.test import Client as Browser
from django.utils import timezone

from aftercare.models import Message
from clinic.identity import client_login
from clinic.models import SmsConsentSource
from diary.services import appointment_book
from tests import factories

LONDON = ZoneInfo("Europe/London")
MOBILE = "+447911123456"
TEXTS = "/my/texts/"


def signed_in(email: str) -> Browser:
    browser = Browser()
    browser.force_login(client_login(email))
    return browser


def visit(world, client):
    return appointment_book(
        treatment=world.treatment,
        start=datetime.combine(date(2027, 3, 10), time(10), tzinfo=LONDON),
        client=client,
    ).appointment


def switch(browser, world, texts: str):
    return browser.post(
        TEXTS, {"organisation": world.clinic.organisation.slug, "texts": texts}, follow=True
    )


def test_a_client_turns_texts_on_then_off_from_their_space(world, twilio):
    dana = factories.ClientFactory(clinic=world.clinic, email="dana@example.com", phone=MOBILE)
    appointment = visit(world, dana)
    me = signed_in("dana@example.com")
    assert "Text me at +447911123456" in me.get("/my/").content.decode()

    page = switch(me, world, "on").content.decode()

    dana.refresh_from_db()
    assert dana.sms_opted_in and dana.sms_opt_in_source == SmsConsentSource.CLIENT_SPACE
    assert dana.sms_opt_in_at == timezone.now()
    texts = appointment.messages.filter(channel=Message.Channel.SMS)
    assert [t.kind for t in texts] == [Message.Kind.REMINDER]
    assert "will text you reminders" in page and "texts on" in page

    page = switch(me, world, "off").content.decode()

    dana.refresh_from_db()
    assert not dana.sms_opted_in and dana.sms_opt_out_source == SmsConsentSource.CLIENT_SPACE
    assert texts.get().status == Message.Status.CANCELLED
    assert "will send you no more texts" in page and "Text me at" in page


def test_without_a_number_to_text_it_is_refused_and_nothing_changes(world, twilio):
    factories.ClientFactory(clinic=world.clinic, email="eve@example.com", phone="")
    me = signed_in("eve@example.com")
    assert "no mobile number to text" in me.get("/my/").content.decode()

    page = switch(me, world, "on").content.decode()

    assert "We have no mobile number we can text for you" in page
    assert not world.clinic.organisation.clients.filter(sms_opted_in=True).exists()


def test_only_the_signed_in_clients_own_records_are_switched(world, twilio):
    factories.ClientFactory(clinic=world.clinic, email="dana@example.com", phone=MOBILE)
    other = factories.OrganisationFactory()
    staff = Browser()
    staff.force_login(factories.StaffFactory(username="desk"))

    assert Browser().post(TEXTS, {"organisation": other.slug, "texts": "on"}).status_code == 302
    assert staff.post(TEXTS, {"texts": "on"}).status_code == 404
    me = signed_in("dana@example.com")
    assert me.post(TEXTS, {"organisation": other.slug, "texts": "on"}).status_code == 404
    assert me.get(TEXTS).status_code == 405
