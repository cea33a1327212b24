"""The SMS text of a message template: counted in segments (GSM-7 or UCS-2) when staff save
it in the admin, refused above SMS_MAX_SEGMENTS with a message that says why; and used in
place of the built-in words once saved."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from aftercare.models import Message, MessageTemplate
from sending.segments import segments
from tests import factories

ADD = "admin:aftercare_messagetemplate_add"


@pytest.fixture
def manager(db):
    browser = Browser()
    browser.force_login(factories.UserFactory(username="boss", is_staff=True, is_superuser=True))
    return browser


def template(sms: str, kind=Message.Kind.REMINDER, treatment=None) -> dict:
    # For one treatment: the clinic-wide template of each kind is seeded (aftercare 0002).
    treatment = treatment or factories.TreatmentFactory(name="Lymphatic drainage facial")
    return {
        "kind": kind,
        "treatment": treatment.pk,
        "subject": "Reminder",
        "text": "See you soon.",
        "html": "",
        "sms": sms,
    }


def test_segments_follow_gsm7_and_ucs2():
    assert segments("a" * 160).count == 1 and segments("a" * 161).count == 2
    assert segments("a" * 306).count == 2 and segments("a" * 307).count == 3
    assert segments("{" * 80).count == 1 and segments("{" * 81).count == 2  # count twice
    assert segments("é" * 160).encoding == "GSM-7"  # in the GSM alphabet
    assert segments("’" + "a" * 69).count == 1 and segments("’" + "a" * 70).count == 2
    assert segments("😀" * 35).count == 1 and segments("😀" * 36).count == 2  # two units


def test_a_text_over_the_limit_is_refused_with_its_count(manager, settings):
    settings.SMS_MAX_SEGMENTS = 3
    response = manager.post(reverse(ADD), template("{{ clinic.name }}: " + "x" * 460))

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["sms"]
    assert "makes 4 SMS segments" in error and "at most 3 are allowed" in error
    assert not MessageTemplate.objects.filter(treatment__isnull=False).exists()


def test_one_emoji_makes_the_whole_text_ucs2_and_says_so(manager, settings):
    settings.SMS_MAX_SEGMENTS = 2
    response = manager.post(reverse(ADD), template("See you soon 🌿 " + "x" * 120))

    [error] = response.context["adminform"].form.errors["sms"]
    assert "UCS-2" in error and "outside the GSM alphabet" in error


def test_a_text_within_the_limit_is_saved_and_sent_in_place_of_the_default(world, twilio, manager):
    words = "Hi {{ client.first_name }}, see you {{ appointment.reference }}"
    response = manager.post(reverse(ADD), template(words, treatment=world.treatment))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert MessageTemplate.objects.get(treatment=world.treatment).sms == words

    from aftercare.services import sms_opt_in
    from clinic.models import SmsConsentSource
    from tests.helpers import send_one
    from tests.sms.test_sms_reminders import MOBILE, book, claimed, texts

    client = factories.ClientFactory(clinic=world.clinic, name="Olivia Turner", phone=MOBILE)
    sms_opt_in(client=client, source=SmsConsentSource.STAFF)
    client.refresh_from_db()
    appointment = book(world, client)
    [sms] = texts(appointment)
    send_one(claimed(sms).pk)
    assert twilio.sent[0].body == (
        f"Hi Olivia, see you {appointment.reference}\nReply STOP to opt out"
    )


def test_a_kind_that_is_not_texted_takes_no_sms(manager):
    response = manager.post(reverse(ADD), template("Hello", kind=Message.Kind.AFTERCARE))
    assert response.context["adminform"].form.errors["sms"] == [
        "This kind of message is not sent by SMS: leave it empty."
    ]


def test_a_broken_sms_template_is_refused(manager):
    response = manager.post(reverse(ADD), template("{% load static %}"))
    assert "cannot be used" in response.context["adminform"].form.errors["sms"][0]
