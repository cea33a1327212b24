"""A prerequisite moving the first available day (issue 18): microcurrent needs a patch test
48 hours before, valid 6 months. The availability API and the booking calendar start a
known client's times after it; a booking before it is refused with what to book first.

The clock is frozen at Monday 1 March 2027, 08:00 in London (tests/conftest.py).
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import Appointment
from clinic.models import AuditEntry
from diary.services import appointment_book
from tests import factories
from tests.clinical.test_prerequisites import add_patch_test, add_rule
from tests.conftest import add_microcurrent
from tests.helpers import book_on_pages, booking_form, logged_in, signed_in
from tests.online.test_pages import at, calendar_url, manage_url, text

AVAILABILITY = "/api/v1/availability/"
APPOINTMENTS = "/api/v1/appointments/"
TUESDAY = date(2027, 3, 2)
THURSDAY = date(2027, 3, 4)
MESSAGE = "Microcurrent uses a gel we test on your skin first."


@pytest.fixture
def micro(world):
    return add_microcurrent(world)


@pytest.fixture
def patch_test(world):
    return add_patch_test(world)


@pytest.fixture(autouse=True)
def rule(world, micro, patch_test):
    return add_rule(world, micro, patch_test, MESSAGE)


@pytest.fixture
def dana(world):
    return factories.ClientFactory(
        clinic=world.clinic, name="Dana Client", email="dana@example.com"
    )


def patch_test_on(patch_test, dana, day=TUESDAY, hour=10):
    return appointment_book(treatment=patch_test, start=at(day, hour), client=dana).appointment


def availability(api, micro, first=TUESDAY, last=date(2027, 3, 6), **params):
    response = api.get(
        AVAILABILITY,
        {"treatment": micro.slug, "from": first.isoformat(), "to": last.isoformat(), **params},
    )
    assert response.status_code == 200, response.json()
    return response.json()


# -- the API -----------------------------------------------------------------------------------


def test_the_api_starts_a_known_clients_slots_48_hours_after_the_patch_test(
    world, micro, patch_test, dana
):
    patch_test_on(patch_test, dana)

    body = availability(logged_in(dana.user), micro)

    assert body["eligible_from"] == "2027-03-04"
    assert body["slots"][0]["start"] == "2027-03-04T10:00:00+00:00"
    assert body["prerequisite"] is None
    anyone = availability(logged_in(factories.UserFactory()), micro)
    assert anyone["slots"][0]["start"] == "2027-03-02T09:00:00+00:00"
    assert anyone["eligible_from"] is None


def test_the_api_offers_a_client_without_a_patch_test_no_slot_and_says_what_to_book(
    world, micro, dana
):
    body = availability(logged_in(dana.user), micro)

    assert body["slots"] == []
    assert body["prerequisite"] == {
        "code": "prerequisite_missing",
        "detail": f"{MESSAGE} Please book a Patch test first; this treatment can then be "
        "booked from 48 hours after it.",
        "required_treatment": "patch-test",
    }


def test_staff_searching_for_a_client_see_the_same_start_and_it_is_audited(
    world, micro, patch_test, dana, staff_api
):
    patch_test_on(patch_test, dana, day=THURSDAY, hour=9)

    body = availability(staff_api, micro, client=dana.pk)

    assert body["slots"][0]["start"] == "2027-03-06T09:00:00+00:00"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW, client=dana).exists()


def test_an_expired_or_cancelled_patch_test_leaves_no_slot(world, micro, patch_test, dana):
    expired = patch_test_on(patch_test, dana)
    Appointment.objects.filter(pk=expired.pk).update(
        start=at(date(2026, 8, 31), 10), end=at(date(2026, 8, 31), 10, 15), status="completed"
    )
    cancelled = patch_test_on(patch_test, dana, day=THURSDAY)
    Appointment.objects.filter(pk=cancelled.pk).update(status="cancelled")

    body = availability(logged_in(dana.user), micro)

    assert body["slots"] == [] and body["prerequisite"]["required_treatment"] == "patch-test"


def test_a_booking_before_the_patch_test_counts_is_refused_with_a_reason(
    world, micro, patch_test, dana
):
    patch_test_on(patch_test, dana)
    api = logged_in(dana.user)
    body = {"treatment": micro.slug, "start": "2027-03-04T09:45:00+00:00"}

    response = api.post(APPOINTMENTS, body, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "code": "prerequisite_missing",
        "detail": f"{MESSAGE} You can book this treatment from Thursday 4 March 2027 at 10:00, "
        "48 hours after your Patch test.",
        "required_treatment": "patch-test",
        "available_from": "2027-03-04T10:00:00+00:00",
    }
    later = api.post(APPOINTMENTS, {**body, "start": "2027-03-04T10:00:00+00:00"}, format="json")
    assert later.status_code == 201, later.json()


# -- the booking pages -------------------------------------------------------------------------


def test_the_calendar_starts_48_hours_after_a_signed_in_clients_patch_test(
    world, client, micro, patch_test, dana
):
    patch_test_on(patch_test, dana)
    signed_in(client, "dana@example.com")

    response = client.get(calendar_url(micro))

    words = text(response)
    assert "The first day you can book is Thursday 4 March 2027" in words
    assert "Times on Thursday 4 March" in words
    assert "09:45" not in words.split("Times on Thursday 4 March")[1]
    assert "10:00" in words


def test_the_calendar_tells_a_client_without_a_patch_test_to_book_one(world, client, micro, dana):
    signed_in(client, "dana@example.com")

    response = client.get(calendar_url(micro, day=TUESDAY))

    words = text(response)
    assert f"{MESSAGE} Please book a Patch test first" in words
    assert f'href="{calendar_url_of("patch-test")}">Book a Patch test</a>' in (
        response.content.decode()
    )
    assert "Times on" not in words  # no time is offered


def test_the_calendar_tells_a_visitor_a_first_booking_needs_a_patch_test(world, client, micro):
    response = client.get(calendar_url(micro, day=TUESDAY))

    words = text(response)
    assert "A first booking needs a Patch test at least 48 hours before" in words
    assert "Times on Tuesday 2 March" in words  # who they are is not known: times show


def test_a_page_booking_without_a_patch_test_is_refused_with_a_link_to_book_one(
    world, client, micro, dana
):
    signed_in(client, "dana@example.com")

    response = book_on_pages(client, micro.slug, booking_form(at(THURSDAY, 11), no_conditions="on"))

    assert response.status_code == 302
    page = client.get(response["Location"])
    words = text(page)
    assert "This treatment needs a Patch test first" in words
    assert "Please book a Patch test first" in words
    assert f'href="{calendar_url_of("patch-test")}">Book a Patch test</a>' in (
        page.content.decode()
    )
    assert not Appointment.objects.filter(treatment=micro).exists()


def calendar_url_of(slug: str) -> str:
    return reverse("online:calendar", args=[slug])


def test_the_reschedule_calendar_starts_where_the_patch_test_counts_for_the_client_only(
    world, micro, patch_test, dana, client
):
    patch_test_on(patch_test, dana, day=date(2027, 3, 3))  # Wednesday 10:00: Friday from 10:00
    moving = appointment_book(treatment=micro, start=at(date(2027, 3, 6), 14), client=dana)
    url = manage_url(moving.appointment, "online:reschedule")

    mine = text(signed_in(client, dana.email).get(url))
    by_link = text(Client().get(url))

    assert "Times on Friday 5 March" in mine
    assert "Move to Friday 5 March, 09:45" not in mine
    assert mine.split("Times on")[1].index("Move to Friday 5 March, 10:00") > 0
    # Whoever else holds the link learns no date from the record: every day is open.
    assert "Times on Monday 1 March" in by_link
