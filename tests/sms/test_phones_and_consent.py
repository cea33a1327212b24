"""Phone numbers checked and kept in E.164, with a clear 400 (invalid_phone) or form error
for one that is not a number; and the client's agreement to texts recorded with its time
and source wherever it is given: the booking form (directly or through a held booking), the
booking API, the client's own space, staff on their behalf."""

import importlib
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from aftercare.models import Message
from aftercare.services import sms_opt_in
from bookings.models import Appointment
from clinic.models import Client, SmsConsentSource
from clinic.phones import INVALID_PHONE, to_e164
from tests import factories
from tests.helpers import (
    assert_error,
    book_on_pages,
    booking_form,
    logged_in,
    signed_in,
)
from tests.online.test_holds import hold_link

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)
START = datetime.combine(TUESDAY, time(10), tzinfo=LONDON)
APPOINTMENTS = "/api/v1/appointments/"
CLIENTS = "/api/v1/clients/"


# -- the numbers: pure ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("07911 123456", "GB", "+447911123456"),
        ("+44 (0)7911-123456", "GB", "+447911123456"),
        ("0044 7911 123456", "GB", "+447911123456"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+33 6 12 34 56 78", "GB", "+33612345678"),
        ("", "GB", ""),
    ],
)
def test_numbers_are_stored_in_e164(typed, region, stored):
    assert to_e164(typed, region=region) == stored


@pytest.mark.parametrize("typed", ["12", "not a number", "07911 12345", "+44 7911 123456 999"])
def test_what_is_not_a_number_is_refused_with_its_code(typed):
    with pytest.raises(ValidationError) as refused:
        to_e164(typed, region="GB")
    assert refused.value.code == INVALID_PHONE
    assert "country code" in refused.value.messages[0]


def test_the_installation_s_region_reads_a_number_without_its_country_code(settings):
    settings.PHONE_REGION = "FR"
    assert to_e164("06 12 34 56 78") == "+33612345678"


# -- where numbers are typed ------------------------------------------------------------------


def test_a_bad_number_in_a_booking_is_a_400_and_nothing_is_written(world):
    body = {
        "treatment": world.treatment.slug,
        "start": START.isoformat(),
        "client": {"name": "Dana", "email": "dana@example.com", "phone": "call me maybe"},
    }
    response = logged_in(factories.StaffFactory(username="desk")).post(
        APPOINTMENTS, body, format="json"
    )

    error = assert_error(response, 400, INVALID_PHONE)
    assert error["fields"] == {"client.phone": [error["detail"].split(": ", 1)[1]]}
    assert not Client.objects.exists() and not Appointment.objects.exists()


def test_staff_create_a_client_with_the_number_in_e164(world):
    desk = logged_in(factories.StaffFactory(username="desk"))
    created = desk.post(
        CLIENTS, {"name": "Ann", "email": "ann@example.com", "phone": "07911 123456"}, format="json"
    )
    refused = desk.post(
        CLIENTS, {"name": "Bo", "email": "bo@example.com", "phone": "0791"}, format="json"
    )

    assert created.status_code == 201 and created.json()["phone"] == "+447911123456"
    assert_error(refused, 400, INVALID_PHONE)
    assert Client.objects.count() == 1


def test_the_booking_form_says_what_is_wrong_with_a_number(world, client):
    response = book_on_pages(
        client, world.treatment.slug, booking_form(START, phone="0791 not mine")
    )
    assert response.status_code == 200
    assert "give it with its country code" in response.context["details"].form.errors["phone"][0]


def test_the_migration_normalises_what_it_can_and_reports_the_rest(world, capsys):
    readable = factories.ClientFactory(clinic=world.clinic, phone="07911 123456")
    blank = factories.ClientFactory(clinic=world.clinic, phone="")
    unreadable = factories.ClientFactory(clinic=world.clinic, phone="ask at reception")
    migration = importlib.import_module("clinic.migrations.0019_client_phone_e164")

    migration.to_e164(apps, None)

    for record in (readable, blank, unreadable):
        record.refresh_from_db()
    assert (readable.phone, blank.phone, unreadable.phone) == (
        "+447911123456",
        "",
        "ask at reception",
    )
    report = capsys.readouterr().out
    assert f"client ids {unreadable.pk}" in report and "ask at reception" not in report


# -- agreement to texts: when and how --------------------------------------------------------


def test_ticking_the_box_on_the_booking_form_records_the_agreement(world, twilio):
    browser = signed_in(Browser(), "dana@example.com")
    form = booking_form(START, phone="07911 123456", sms_reminders="on")

    response = book_on_pages(browser, world.treatment.slug, form)

    assert response.status_code == 302
    dana = Client.objects.get(email="dana@example.com")
    assert dana.phone == "+447911123456" and dana.sms_opted_in
    assert (dana.sms_opt_in_at, dana.sms_opt_in_source) == (
        timezone.now(),
        SmsConsentSource.BOOKING_FORM,
    )
    assert dana.messages.filter(channel=Message.Channel.SMS, kind=Message.Kind.REMINDER).exists()


def test_the_box_needs_a_number(world, twilio, client):
    response = book_on_pages(
        client, world.treatment.slug, booking_form(START, phone="", sms_reminders="on")
    )
    assert response.context["details"].form.errors["phone"] == [
        "Give your mobile number to get text reminders."
    ]


def test_the_box_is_not_offered_without_twilio_keys(world, client):
    page = client.get(reverse("online:details", args=[world.treatment.slug]), {"start": START})
    assert b"Text me a reminder" not in page.content


def test_a_held_booking_records_the_agreement_once_its_address_confirms(world, twilio, client):
    form = booking_form(START, phone="07911 123456", sms_reminders="on")
    book_on_pages(client, world.treatment.slug, form)
    assert not Client.objects.exists()  # nothing on record until the address confirms

    Browser().post(hold_link("dana@example.com"))

    dana = Client.objects.get(email="dana@example.com")
    assert dana.sms_opted_in and dana.sms_opt_in_source == SmsConsentSource.BOOKING_FORM
    assert dana.messages.filter(channel=Message.Channel.SMS).count() == 1


def test_staff_record_it_on_the_client_s_behalf_and_withdraw_it(world, twilio):
    olivia = factories.ClientFactory(clinic=world.clinic, phone="+447911123456")
    desk = logged_in(factories.StaffFactory(username="desk"))
    url = f"{CLIENTS}{olivia.pk}/sms/"

    agreed = desk.put(url, {"opted_in": True}, format="json")
    withdrawn = desk.put(url, {"opted_in": False}, format="json")

    assert agreed.status_code == 200 and agreed.json()["opted_in"] is True
    assert agreed.json()["opt_in_source"] == "staff"
    assert withdrawn.json()["opted_in"] is False
    assert withdrawn.json()["opt_out_source"] == "staff"
    assert desk.get(url).json() == withdrawn.json()
    olivia.refresh_from_db()
    assert olivia.sms_opt_in_at == olivia.sms_opt_out_at == timezone.now()


def test_staff_cannot_agree_for_a_number_that_cannot_be_texted(world, twilio):
    olivia = factories.ClientFactory(clinic=world.clinic, phone="ask at reception")
    desk = logged_in(factories.StaffFactory(username="desk"))
    response = desk.put(f"{CLIENTS}{olivia.pk}/sms/", {"opted_in": True}, format="json")
    assert_error(response, 400, INVALID_PHONE)
    olivia.refresh_from_db()
    assert not olivia.sms_opted_in and olivia.sms_opt_in_at is None


def test_the_client_records_it_in_their_own_space(world, twilio):
    dana = factories.ClientFactory(
        clinic=world.clinic, email="dana@example.com", phone="+447911123456"
    )
    me = signed_in(Browser(), "dana@example.com")

    response = me.put("/api/v1/me/sms/", {"opted_in": True}, content_type="application/json")

    assert response.status_code == 200
    [record] = response.json()
    assert record["client"] == dana.pk and record["opted_in"] is True
    assert record["opt_in_source"] == "client_space"
    dana.refresh_from_db()
    assert dana.sms_opt_in_at == timezone.now()


def test_the_booking_api_records_it_with_the_booking(world, twilio):
    body = {
        "treatment": world.treatment.slug,
        "start": START.isoformat(),
        "client": {"name": "Dana", "email": "dana@example.com", "phone": "07911 123456"},
        "sms_opt_in": True,
    }
    response = logged_in(factories.StaffFactory(username="desk")).post(
        APPOINTMENTS, body, format="json"
    )

    assert response.status_code == 201, response.json()
    dana = Client.objects.get(email="dana@example.com")
    assert dana.sms_opted_in and dana.sms_opt_in_source == SmsConsentSource.STAFF


def test_the_staff_client_page_shows_the_agreement_and_its_source(world, twilio):
    olivia = factories.ClientFactory(clinic=world.clinic, phone="+447911123456")
    sms_opt_in(client=olivia, source=SmsConsentSource.BOOKING_FORM)
    desk = Browser()
    desk.force_login(factories.StaffFactory(username="desk"))

    page = desk.get(f"/staff/clients/{olivia.pk}/").content.decode()

    assert "Agrees to text reminders since 1 Mar 2027 08:00 (Online booking form)" in page
