"""The waitlist in Chromium, on a phone: a signed-in client joins the waitlist for a
treatment, another client's booking is cancelled, the offer arrives through the outbox (its
email rendered as delivery would send it, its accept link followed) and she accepts it.

The live server runs on the real clock, so the time cancelled is found among the clinic's
free slots from tomorrow on. The round runs where a worker would run it, after the
cancellation's commit.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftercare.models import Message
from bookings.models import Appointment
from clinic.services import client_get_or_create
from diary import services
from diary.availability import find_slots
from diary.waitlist import round_run
from sending.delivery import render
from tests import factories
from tests.browser.test_booking_pages import snap
from tests.browser.test_my_space import sign_in
from tests.conftest import make_world
from waitlist import planning
from waitlist.models import Entry, Offer


@pytest.fixture
def world(transactional_db, monkeypatch):
    world = make_world()
    world.clinic.name = "Lumière Skin Clinic"
    world.clinic.save()
    # The worker's part: the round runs once the cancellation has committed.
    monkeypatch.setattr(planning, "queue_round", round_run)
    return world


@pytest.fixture
def taken(world):
    """Zoe's booking tomorrow or after, the time Olivia will be offered."""
    today = timezone.localdate(timezone=world.clinic.tzinfo)
    slots = find_slots(
        treatment=world.treatment,
        first_day=today + timedelta(days=1),
        last_day=today + timedelta(days=3),
    )
    zoe, _ = client_get_or_create(clinic=world.clinic, name="Zoe Booked", email="zoe@example.com")
    return services.appointment_book(
        treatment=world.treatment, start=slots[0].start, client=zoe
    ).appointment


def test_a_client_joins_the_waitlist_gets_the_offer_and_accepts_it(page, world, taken):
    client_get_or_create(
        clinic=world.clinic, name="Olivia Turner", email="olivia.turner@example.com"
    )
    sign_in(page, "olivia.turner@example.com")

    page.get_by_role("link", name="Your waitlist").click()
    expect(page.get_by_role("heading", name="Your waitlist")).to_be_visible()
    page.get_by_label("Treatment").select_option(
        label="Manual facial massage (Lumière Skin Clinic)"
    )
    page.get_by_role("button", name="Choose").click()
    expect(page.get_by_role("button", name="Join the waitlist")).to_be_visible()
    snap(page, "waitlist 1 join")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_role("status")).to_contain_text("You are on the waitlist")
    expect(page.locator("li.waitlist-entry")).to_contain_text("Manual facial massage")
    entry = Entry.objects.get(client__email="olivia.turner@example.com")
    assert entry.status == Entry.Status.WAITING

    services.appointment_cancel(
        appointment=taken, by=factories.StaffFactory(username="desk"), reason="Zoe is ill"
    )

    message = Message.objects.get(client=entry.client, kind=Message.Kind.WAITLIST_OFFER)
    email = render(message)
    assert "has come free" in email.text
    link = re.search(r"https?://\S+/waitlist/offers/\S+/", email.text).group(0)
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="A time for you")).to_be_visible()
    start = taken.start.astimezone(world.clinic.tzinfo)
    expect(page.locator("main")).to_contain_text(f"at {start:%H:%M}")
    snap(page, "waitlist 2 the offer")

    page.get_by_role("button", name="Accept and book").click()
    expect(page.get_by_role("status")).to_contain_text("Booked: Manual facial massage")
    booked = Appointment.objects.get(client=entry.client)
    assert (booked.status, booked.start) == (Appointment.Status.CONFIRMED, taken.start)
    assert Offer.objects.get(entry=entry).status == Offer.Status.ACCEPTED
    expect(page.locator("li.my-appointment").filter(has_text=booked.reference)).to_be_visible()
    snap(page, "waitlist 3 booked")
