"""Booking on a client's behalf from the workspace: free slots for the day asked, the rules'
decision for it, warnings gone through with the client, and the override with its reason
for those who may."""

from datetime import date

import pytest

from bookings.models import Appointment
from clinic.models import AuditEntry
from tests import factories
from tests.workspace.conftest import london

TUESDAY = date(2027, 3, 2)


@pytest.fixture
def fresh_filler(cast):
    """Bruno had filler yesterday: a facial massage is refused until 14 March."""
    factories.InjectableRecordFactory(client=cast.bruno, date=date(2027, 2, 28))


def book_page(browser, client, treatment, day=TUESDAY):
    return browser.get(
        f"/staff/clients/{client.pk}/book/", {"treatment": treatment.slug, "date": day}
    )


def book(browser, client, treatment, start, **extra):
    return browser.post(
        f"/staff/clients/{client.pk}/book/",
        {"treatment": treatment.slug, "date": start.date().isoformat(), "start": start, **extra},
    )


def test_the_page_lists_the_days_free_slots(cast):
    response = book_page(cast.browser("desk"), cast.bruno, cast.world.treatment)

    starts = [s["local_start"].strftime("%H:%M") for s in response.context["slots"]]
    assert starts[0] == "09:00" and starts[-1] == "17:00"
    assert "Alice Practitioner, Ben Practitioner" in response.content.decode()


def test_the_desk_books_a_free_slot(cast):
    start = london(TUESDAY, 9)

    response = book(cast.browser("desk"), cast.bruno, cast.world.treatment, start)

    assert response.status_code == 302
    appointment = Appointment.objects.get(client=cast.bruno, start=start)
    assert appointment.channel == Appointment.Channel.STAFF
    assert appointment.created_by == cast.users["desk"]


def test_warnings_must_be_gone_through_with_the_client(cast):
    start = london(TUESDAY, 14)  # olivia is on day 22 after filler
    desk = cast.browser("desk")
    page = book_page(desk, cast.olivia, cast.world.treatment).content.decode()
    assert "Allowed with warnings" in page

    refused = book(desk, cast.olivia, cast.world.treatment, start)
    accepted = book(desk, cast.olivia, cast.world.treatment, start, acknowledge_warnings="on")

    assert refused.status_code == 200
    assert "confirm you accept them" in refused.context["error"]
    assert accepted.status_code == 302
    assert Appointment.objects.filter(client=cast.olivia, start=start).exists()


def test_a_refused_day_names_the_first_allowed_one_and_offers_no_booking(cast, fresh_filler):
    response = book_page(cast.browser("desk"), cast.bruno, cast.world.treatment)

    html = response.content.decode()
    assert "Not allowed on Tue 2 Mar 2027" in html
    assert "date=2027-03-14" in html
    assert 'name="override_reason"' not in html
    assert ">Book</button>" not in html


def test_the_desk_cannot_override(cast, fresh_filler):
    response = book(
        cast.browser("desk"),
        cast.bruno,
        cast.world.treatment,
        london(TUESDAY, 9),
        override_reason="She insists.",
    )

    assert response.status_code == 200
    assert "permission to book past a clinical rule" in response.context["error"]
    assert not Appointment.objects.filter(client=cast.bruno, start=london(TUESDAY, 9)).exists()


def test_the_manager_overrides_with_a_reason_kept_and_audited(cast, fresh_filler):
    mia = cast.browser("mia")
    assert (
        'name="override_reason"'
        in book_page(mia, cast.bruno, cast.world.treatment).content.decode()
    )

    response = book(
        mia,
        cast.bruno,
        cast.world.treatment,
        london(TUESDAY, 9),
        override_reason="Lips only; the massage avoids the mouth area.",
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get(client=cast.bruno, start=london(TUESDAY, 9))
    assert appointment.override_reason == "Lips only; the massage avoids the mouth area."
    entry = AuditEntry.objects.get(action=AuditEntry.Action.OVERRIDE)
    assert (entry.username, entry.client) == ("mia", cast.bruno)
    assert entry.details["reference"] == appointment.reference


def test_a_taken_slot_is_a_clear_message(cast):
    response = book(
        cast.browser("desk"),
        cast.olivia,
        cast.world.treatment,
        london(date(2027, 3, 1), 10),
        acknowledge_warnings="on",
    )

    assert response.status_code == 200
    assert "no longer available" in response.context["error"]
