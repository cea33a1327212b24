"""A booking asked for by someone not signed in (diary/holds.py): the time is held, the
address is emailed a link, and the booking is made when the link's owner confirms it, judged
then on their whole record. Pages and API."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client as BrowserClient
from django.urls import reverse
from rest_framework.test import APIClient

from aftercare.models import Message
from aftercare.outbox import claim_due
from bookings.models import Appointment, AppointmentChange, BookingRequest
from clinic.models import Client
from clinical.models import HealthDeclaration, InjectableRecord
from config.celery import app as celery_app
from config.celery import beat_schedule
from diary.holds import holds_release_lapsed
from sending.tasks import release_lapsed_holds
from tests import factories
from tests.helpers import assert_error, book_on_pages, booking_form, send_one

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)  # the frozen clock says Monday 1 March 2027, 08:00
NOW = datetime(2027, 3, 1, 8, tzinfo=LONDON)
APPOINTMENTS = "/api/v1/appointments/"


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def form(start: datetime, email="dana@example.com", **fields) -> dict:
    return booking_form(start, email=email, **fields)


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def hold_link(email: str) -> str:
    """The path of the confirm link in the hold email sent to `email`."""
    message = Message.objects.get(kind=Message.Kind.HOLD, to=email)
    claim_due(send=lambda ids: None)
    assert send_one(message.pk) == Message.Status.SENT
    body = next(sent.body for sent in mail.outbox if sent.to == [email])
    return re.search(r"https?://[^/\s]+(/hold/\S+/)", body).group(1)


def held_on_pages(world, browser, email="dana@example.com", **fields) -> Appointment:
    response = book_on_pages(browser, world.treatment.slug, form(at(TUESDAY, 10), email, **fields))
    assert response["Location"] == reverse("online:held", args=[world.treatment.slug])
    return Appointment.objects.get(booking_request__email=email)


# -- Holding ----------------------------------------------------------------------------------


def test_an_anonymous_booking_holds_the_time_and_emails_a_link(world, client):
    held = held_on_pages(world, client)

    page = text(client.get(reverse("online:held", args=[world.treatment.slug])))
    assert "Check your email" in page and "dana@example.com" in page
    assert held.status == Appointment.Status.HELD and held.client is None
    assert held.held_until == NOW + timedelta(minutes=15)
    assert not Client.objects.exists()
    wish = held.booking_request
    assert (wish.name, wish.email, wish.outcome) == ("Dana Client", "dana@example.com", "waiting")
    assert held.changes.get().action == AppointmentChange.Action.HELD
    link = hold_link("dana@example.com")
    assert link.startswith(f"/hold/{held.reference}/")
    email = mail.outbox[-1]
    assert "Dana" not in email.body, "the typed name is never sent to an unproved address"
    assert "If you did not ask for this booking, ignore this email" in email.body


def test_a_held_time_is_taken_for_everyone_else(world, client):
    held_on_pages(world, client)

    other = book_on_pages(
        BrowserClient(), world.treatment.slug, form(at(TUESDAY, 10), "erin@example.com")
    )

    assert other["Location"] == reverse("online:sorry", args=[world.treatment.slug])
    free = APIClient().get(
        "/api/v1/availability/",
        {"treatment": world.treatment.slug, "from": "2027-03-02", "to": "2027-03-02"},
    )
    assert at(TUESDAY, 10).isoformat() not in [slot["start"] for slot in free.json()["slots"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint")
def test_the_diarys_constraint_counts_a_hold(world, client):
    held = held_on_pages(world, client)
    intruder = factories.ClientFactory(clinic=world.clinic)

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            clinic=world.clinic,
            reference="INTRUDER1",
            client=intruder,
            treatment=world.treatment,
            practitioner=world.practitioner,
            start=held.start,
            end=held.end,
            blocked_until=held.blocked_until,
            status=Appointment.Status.CONFIRMED,
            channel=Appointment.Channel.STAFF,
        )


def test_a_hold_needs_a_client_and_a_booking_needs_one(world, client):
    held = held_on_pages(world, client)

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=held.pk).update(status=Appointment.Status.CONFIRMED)


# -- Confirming -------------------------------------------------------------------------------


def test_the_link_shows_the_request_and_confirming_books_it_for_the_signed_in_owner(world, client):
    held = held_on_pages(
        world,
        client,
        **{
            "had_injectable": "yes",
            "injectable-0-kind": "botox",
            "injectable-0-date": "2026-12-01",
        },
    )
    link = hold_link("dana@example.com")
    owner = BrowserClient()  # the email is opened on another device

    shown = owner.get(link)
    assert held.__class__.objects.get(pk=held.pk).status == Appointment.Status.HELD
    confirmed = owner.post(link)

    held.refresh_from_db()
    words = text(shown)
    assert "Tuesday 2 March" in words and "Botox" in words
    assert held.status == Appointment.Status.CONFIRMED
    assert held.client.email == "dana@example.com" and held.held_until is None
    assert confirmed["Location"] == reverse(
        "online:confirmed", args=[held.reference, held.manage_token]
    )
    assert owner.session["_auth_user_id"] == str(held.client.user_id), "the link signs them in"
    assert InjectableRecord.objects.get(client=held.client).date == date(2026, 12, 1)
    assert held.booking_request.outcome == BookingRequest.Outcome.CONFIRMED
    assert Message.objects.filter(appointment=held, kind=Message.Kind.CONFIRMATION).exists()
    again = owner.post(link)
    assert again["Location"] == confirmed["Location"]
    assert Appointment.objects.filter(status=Appointment.Status.CONFIRMED).count() == 1


def test_the_owner_is_told_the_records_reasons_and_dates_and_the_hold_is_released(world, client):
    olivia = factories.ClientFactory(clinic=world.clinic, email="olivia@example.com")
    factories.InjectableRecordFactory(client=olivia, date=TUESDAY - timedelta(days=5))
    held = held_on_pages(world, client, email="olivia@example.com")
    owner = BrowserClient()

    response = owner.post(hold_link("olivia@example.com"))

    held.refresh_from_db()
    assert response["Location"] == reverse("online:sorry", args=[world.treatment.slug])
    words = text(owner.get(response["Location"]))
    assert "too soon" in words and "The earliest date you can book is" in words
    assert held.status == Appointment.Status.EXPIRED and held.client is None
    assert held.booking_request.outcome == BookingRequest.Outcome.REFUSED
    assert not Appointment.objects.filter(client=olivia).exists()


def test_warnings_on_the_record_are_accepted_on_the_link_page(world, client):
    olivia = factories.ClientFactory(clinic=world.clinic, email="olivia@example.com")
    factories.InjectableRecordFactory(client=olivia, date=TUESDAY - timedelta(days=20))
    held = held_on_pages(world, client, email="olivia@example.com")
    link = hold_link("olivia@example.com")
    owner = BrowserClient()

    warned = owner.post(link)
    page = owner.get(warned["Location"])
    ticked = owner.post(link, {"step": "warnings", "acknowledge": "on"})

    held.refresh_from_db()
    assert warned["Location"] == link
    assert "ideally four" in text(page) and 'name="acknowledge"' in page.content.decode()
    assert ticked.status_code == 302 and held.status == Appointment.Status.CONFIRMED
    assert held.client == olivia


@pytest.mark.parametrize("change", ["signature", "reference"])
def test_a_forged_link_is_not_found(world, client, change):
    held = held_on_pages(world, client)
    link = hold_link("dana@example.com")
    forged = {
        "signature": link[:-2] + ("A/" if link[-2] != "A" else "B/"),
        "reference": link.replace(held.reference, "ZZZZZZZZ"),
    }[change]

    assert BrowserClient().get(forged).status_code == 404
    assert BrowserClient().post(forged).status_code == 404
    held.refresh_from_db()
    assert held.status == Appointment.Status.HELD


# -- Lapsing ----------------------------------------------------------------------------------


def test_a_hold_not_confirmed_in_time_is_released_by_the_sweeper(world, client):
    held = held_on_pages(world, client)

    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        assert holds_release_lapsed() == 0
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        released = release_lapsed_holds()  # the task Celery beat runs

    held.refresh_from_db()
    assert released == 1 and held.status == Appointment.Status.EXPIRED
    assert held.booking_request.outcome == BookingRequest.Outcome.LAPSED
    assert not held.resource_holds.filter(active=True).exists()
    assert held.changes.filter(action=AppointmentChange.Action.RELEASED).exists()


def test_beat_runs_the_sweeper_every_hold_sweep_seconds(settings):
    entries = {}

    class Sender:
        def signature(self, name):
            return name

        def add_periodic_task(self, every, signature, *, name, expires):
            entries[name] = (every, signature)

    beat_schedule(Sender())

    assert entries["diary-release-lapsed-holds"] == (30, "diary.release_lapsed_holds")
    assert "diary.release_lapsed_holds" in celery_app.tasks


def test_a_link_opened_after_the_hold_lapsed_still_books_a_free_time(world, client):
    held = held_on_pages(world, client)
    link = hold_link("dana@example.com")

    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        holds_release_lapsed()
        response = BrowserClient().post(link)

    held.refresh_from_db()
    assert response.status_code == 302 and held.status == Appointment.Status.CONFIRMED


def test_a_link_opened_after_its_time_was_taken_offers_other_times(world, client):
    held = held_on_pages(world, client)
    link = hold_link("dana@example.com")
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        holds_release_lapsed()
        quicker = factories.ClientFactory(clinic=world.clinic, email="quick@example.com")
        from diary.services import appointment_book

        appointment_book(treatment=world.treatment, start=held.start, client=quicker)
        owner = BrowserClient()
        response = owner.post(link)
        words = text(owner.get(response["Location"]))

    assert "That time has just gone" in words
    assert not Appointment.objects.filter(client__email="dana@example.com").exists()


def test_an_expired_link_is_not_found(world, client):
    held_on_pages(world, client)
    link = hold_link("dana@example.com")

    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        assert BrowserClient().get(link).status_code == 404


# -- The API ----------------------------------------------------------------------------------


def test_the_api_answers_202_with_the_held_shape_and_no_manage_token(world, api):
    response = api.post(
        APPOINTMENTS,
        {
            "treatment": world.treatment.slug,
            "start": at(TUESDAY, 10).isoformat(),
            "client": {"name": "Dana Client", "email": "dana@example.com"},
        },
        format="json",
    )

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {
        "reference",
        "status",
        "start",
        "end",
        "treatment",
        "treatment_name",
        "practitioner",
        "held_until",
        "warnings",
        "detail",
    }
    assert body["status"] == "held" and body["held_until"] == "2027-03-01T08:15:00+00:00"
    assert Appointment.objects.get(reference=body["reference"]).status == "held"
    # The reference alone shows nothing (no token: 404).
    assert api.get(f"{APPOINTMENTS}{body['reference']}/").status_code == 404


def test_an_idempotent_replay_of_a_hold_is_the_same_202_even_once_confirmed(world, api):
    body = {
        "treatment": world.treatment.slug,
        "start": at(TUESDAY, 10).isoformat(),
        "client": {"name": "Dana Client", "email": "dana@example.com"},
    }
    first = api.post(APPOINTMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    BrowserClient().post(hold_link("dana@example.com"))

    again = api.post(APPOINTMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert "manage_token" not in again.json()


def test_too_many_holds_for_one_address_are_429(world, settings):
    settings.HOLDS_PER_ADDRESS_PER_HOUR = 2
    answers = [
        APIClient(REMOTE_ADDR=f"10.0.0.{hour}").post(
            APPOINTMENTS,
            {
                "treatment": world.treatment.slug,
                "start": at(TUESDAY, hour).isoformat(),
                "client": {
                    "name": "Dana",
                    "email": "DANA@example.com" if hour == 11 else "dana@example.com",
                },
            },
            format="json",
        )
        for hour in (10, 11, 12)
    ]

    assert [answer.status_code for answer in answers] == [202, 202, 429]
    assert_error(answers[-1], 429, "throttled")
    assert Message.objects.filter(kind=Message.Kind.HOLD).count() == 2
    assert not HealthDeclaration.objects.exists()
