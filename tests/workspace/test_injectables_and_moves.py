"""Recording an injectable from the workspace and dealing with what it breaks: the
conflicting upcoming appointments are listed with a reschedule page (free slots from the
first allowed day, moved through the service) and contact links."""

from datetime import date

import pytest

from bookings.models import Appointment, AppointmentChange
from clinic.models import AuditEntry
from clinical.models import InjectableRecord
from diary.services import appointment_book
from tests.workspace.conftest import london

FRIDAY = date(2027, 3, 5)


@pytest.fixture
def bruno_friday(cast):
    """Bruno has nothing on record and a facial massage booked for Friday."""
    return appointment_book(
        treatment=cast.world.treatment,
        start=london(FRIDAY, 14),
        client=cast.bruno,
        by=cast.users["desk"],
    ).appointment


def record(browser, client, **data):
    body = {"kind": "filler", "date": "2027-03-01", "areas": ["cheeks", "jawline"], **data}
    return browser.post(f"/staff/clients/{client.pk}/injectables/new/", body)


def test_the_form_offers_the_face_diagram_and_the_checklist(cast):
    html = cast.browser("desk").get(f"/staff/clients/{cast.bruno.pk}/injectables/new/")
    html = html.content.decode()

    assert 'role="checkbox"' in html and 'data-area="tear_trough"' in html
    assert 'name="areas" value="tear_trough"' in html


def test_recording_filler_flags_the_appointment_it_breaks(cast, bruno_friday):
    desk = cast.browser("desk")

    response = record(desk, cast.bruno, product="Restylane Lyft", given_here="on")

    assert response.status_code == 302
    assert response["Location"] == f"/staff/clients/{cast.bruno.pk}/#conflicts"
    injectable = InjectableRecord.objects.get(client=cast.bruno)
    assert injectable.recorded_by == cast.users["desk"]
    assert injectable.areas == ["cheeks", "jawline"]
    assert injectable.product == "Restylane Lyft"
    bruno_friday.refresh_from_db()
    assert "filler" in bruno_friday.eligibility_flag.lower()

    page = desk.get(response["Location"])
    html = page.content.decode()
    # Today's visit at 11:00 is too early now as well.
    assert page.context["o"].conflicts == [cast.bruno_visit, bruno_friday]
    assert "Conflicts with upcoming appointments" in html
    assert "now conflict with this record" in html
    assert f"/staff/appointments/{bruno_friday.reference}/reschedule/" in html
    assert "mailto:bruno@example.com" in html
    assert 'href="tel:07700900000"' in html


def test_recording_writes_the_audit_trail(cast, bruno_friday):
    record(cast.browser("pat"), cast.olivia)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.RECORD)
    assert (entry.username, entry.what, entry.client) == ("pat", "injectables", cast.olivia)
    assert entry.details == {"id": cast.olivia.injectables.latest("pk").pk}


def test_an_injection_date_in_the_future_is_refused(cast):
    response = record(cast.browser("desk"), cast.bruno, date="2027-03-02")

    assert response.status_code == 200
    assert "An injection date cannot be in the future." in response.content.decode()
    assert not InjectableRecord.objects.filter(client=cast.bruno).exists()


def test_the_reschedule_page_starts_on_the_first_allowed_day(cast, bruno_friday):
    record(cast.browser("desk"), cast.bruno)

    response = cast.browser("desk").get(f"/staff/appointments/{bruno_friday.reference}/reschedule/")

    assert response.context["first_allowed"] == date(2027, 3, 15)
    assert response.context["day"] == date(2027, 3, 15)
    assert response.context["slots"]
    assert "The rules allow this treatment from" in response.content.decode()


def test_rescheduling_moves_it_through_the_service_and_clears_the_flag(cast, bruno_friday):
    desk = cast.browser("desk")
    record(desk, cast.bruno)
    new_start = london(date(2027, 3, 29), 11)  # day 28: no warning left

    response = desk.post(
        f"/staff/appointments/{bruno_friday.reference}/reschedule/",
        {"start": new_start.isoformat(), "date": "2027-03-29"},
    )

    assert response.status_code == 302
    bruno_friday.refresh_from_db()
    assert bruno_friday.start == new_start
    assert bruno_friday.eligibility_flag == ""
    assert bruno_friday.changes.filter(action=AppointmentChange.Action.RESCHEDULED).exists()


def test_rescheduling_into_the_waiting_period_is_refused(cast, bruno_friday):
    desk = cast.browser("desk")
    record(desk, cast.bruno)

    response = desk.post(
        f"/staff/appointments/{bruno_friday.reference}/reschedule/",
        {"start": london(date(2027, 3, 8), 11).isoformat()},
    )

    assert response.status_code == 200
    assert "earliest date" in response.context["error"].lower()
    bruno_friday.refresh_from_db()
    assert bruno_friday.start == london(FRIDAY, 14)


def test_a_cancelled_appointment_is_not_moved(cast, bruno_friday):
    from diary.services import appointment_cancel

    appointment_cancel(appointment=bruno_friday, by=cast.users["desk"])

    response = cast.browser("desk").get(f"/staff/appointments/{bruno_friday.reference}/reschedule/")

    assert response.status_code == 302
    bruno_friday.refresh_from_db()
    assert bruno_friday.status == Appointment.Status.CANCELLED
