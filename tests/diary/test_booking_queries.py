"""What a booking asks the database, and what it no longer asks: no check that a drawn
reference is free (the unique constraint answers, and a clash draws again), no count of
the moves of an appointment that was just made."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Appointment, new_reference
from diary.services import appointment_book
from tests import factories
from tests.diary.test_concurrency import START


@pytest.fixture
def client(world):
    return factories.ClientFactory(clinic=world.clinic)


def test_a_booking_asks_nothing_about_references_or_earlier_moves(world, client):
    with CaptureQueriesContext(connection) as queries:
        booked = appointment_book(treatment=world.treatment, start=START, client=client)

    sql = [query["sql"] for query in queries]
    assert not [q for q in sql if q.startswith("SELECT") and '"reference" =' in q], sql
    assert not [q for q in sql if "bookings_appointmentchange" in q and "COUNT" in q], sql
    (confirmation,) = booked.appointment.messages.filter(kind="confirmation")
    assert confirmation.data["sequence"] == 0


def test_a_reference_already_taken_is_drawn_again(world, client, monkeypatch):
    first = appointment_book(treatment=world.treatment, start=START, client=client).appointment
    draws = itertools.chain([first.reference], iter(new_reference, None))
    monkeypatch.setattr(Appointment._meta.get_field("reference"), "default", lambda: next(draws))

    second = appointment_book(
        treatment=world.treatment, start=START.replace(hour=14), client=client
    ).appointment

    assert second.reference != first.reference
    assert Appointment.objects.filter(reference=second.reference).get() == second
    assert Appointment.objects.count() == 2


def test_a_signed_in_clients_booking_over_the_api_reads_no_booking_request(world):
    from rest_framework.test import APIClient

    from tests.helpers import as_owner

    body = {
        "treatment": world.treatment.slug,
        "start": START.isoformat(),
        "client": {"name": "Dana Client", "email": "dana@example.com"},
    }
    api = as_owner(APIClient(), body)
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/appointments/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "confirmed"
    assert not [q for q in queries if "bookings_bookingrequest" in q["sql"]]
