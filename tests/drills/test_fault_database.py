"""Drill: the PostgreSQL connection is dropped in the middle of a booking. The client gets a
clean 503 in the API's error shape, nothing is half-written (no appointment, room hold,
history line or new client), and a retry with the same Idempotency-Key books once."""

from datetime import datetime

import psycopg
import pytest
from django.db import connection
from django.test import Client as Browser
from rest_framework.test import APIClient

from aftercare.models import Message
from bookings.models import (
    Appointment,
    AppointmentChange,
    AppointmentResource,
    BookingRequest,
    IdempotencyKey,
)
from clinic.models import Client
from diary import reservation
from tests.helpers import book_on_pages, booking_form, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {
    "treatment": "manual-facial-massage",
    "start": "2027-03-02T10:00:00+00:00",
    "client": {"name": "Dana Client", "email": "dana@example.com"},
}


def rows() -> dict[str, int]:
    return {
        "appointments": Appointment.objects.count(),
        "holds": AppointmentResource.objects.count(),
        "history": AppointmentChange.objects.count(),
        "clients": Client.objects.count(),
        "idempotency keys": IdempotencyKey.objects.count(),
        "booking requests": BookingRequest.objects.count(),
        "messages": Message.objects.count(),
    }


def terminate_own_backend():
    """From a second connection, kill this process's PostgreSQL backend, as a failover or a
    network cut would."""
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def drop_during_reserve(monkeypatch):
    """The connection dies after the booking took its locks, before it writes."""
    original = reservation.reserve

    def reserve_then_lose_the_connection(request, practitioner_id, diary):
        resources = original(request, practitioner_id, diary)
        terminate_own_backend()
        return resources

    monkeypatch.setattr(reservation, "reserve", reserve_then_lose_the_connection)


def test_a_dropped_connection_is_a_clean_503_and_nothing_is_stored(
    world, drop_during_reserve, drill_report
):
    if connection.vendor != "postgresql":
        pytest.skip("the drill kills a PostgreSQL backend")
    api = APIClient(raise_request_exception=False)

    response = api.post(
        "/api/v1/appointments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="drill-1"
    )

    assert response.status_code == 503, response.content
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"
    connection.close()  # the next query reconnects
    stored = rows()
    assert stored == dict.fromkeys(stored, 0)
    drill_report(
        "database connection dropped mid-booking: bookings attempted 1, answered 503, "
        f"stored 0, half-written {sum(stored.values())} (rows: {stored})"
    )


def test_a_retry_after_the_drop_books_once(world, drop_during_reserve, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the drill kills a PostgreSQL backend")
    api = APIClient(raise_request_exception=False)
    api.post("/api/v1/appointments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="drill-2")
    connection.close()
    monkeypatch.undo()

    first = api.post("/api/v1/appointments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="drill-2")
    again = api.post("/api/v1/appointments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="drill-2")

    # Anonymous: held (202) for the address to confirm; the replay is the same answer.
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["reference"] == again.json()["reference"]
    assert Appointment.objects.count() == 1


def test_a_dropped_connection_on_the_booking_pages_is_a_503_page(
    world, drop_during_reserve, drill_report
):
    """The booking pages' Confirm under the same fault: a page saying nothing was saved and
    to try again (503, Retry-After), not the server-error page, and nothing half-written."""
    if connection.vendor != "postgresql":
        pytest.skip("the drill kills a PostgreSQL backend")
    browser = signed_in(Browser(raise_request_exception=False), "dana@example.com")
    before = rows()

    response = book_on_pages(
        browser, world.treatment.slug, booking_form(datetime.fromisoformat(BODY["start"]))
    )

    assert response.status_code == 503, response.content[:500]
    assert response["Retry-After"] == "5"
    assert b"nothing was saved" in response.content
    connection.close()
    assert rows() == before
    drill_report(
        "database connection dropped mid-booking on the pages: attempted 1, answered 503 page, "
        f"half-written {sum(rows().values()) - sum(before.values())}"
    )
