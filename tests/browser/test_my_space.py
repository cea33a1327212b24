"""The client's own space in Chromium, on a phone (each step also checked at 1280 px): sign in
with the code emailed through the outbox (read here from its Message row), see their
bookings, see before trying that one is inside the cancellation window (and that trying
anyway is refused), and cancel one outside it.

The live server runs on the real clock, so times are found among the clinic's free slots
from now on.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftercare.models import Message
from bookings.models import Appointment
from clinic.services import client_get_or_create
from diary import services
from diary.availability import find_slots
from tests import factories
from tests.browser.test_booking_pages import snap
from tests.conftest import make_world


@pytest.fixture
def world(transactional_db):
    world = make_world()
    world.clinic.name = "Lumière Skin Clinic"
    world.clinic.address = "18 Chiltern Street\nLondon W1U 7QA"
    world.clinic.save()
    return world


@pytest.fixture
def bookings(world):
    """Olivia's two bookings: one in about a week, one inside the 24-hour window."""
    now = timezone.now()
    today = timezone.localdate(timezone=world.clinic.tzinfo)
    slots = find_slots(
        treatment=world.treatment,
        first_day=today,
        last_day=today + timedelta(days=8),
        online=False,
    )
    soon = next(
        s for s in slots if now + timedelta(minutes=30) < s.start < now + timedelta(hours=23)
    )
    later = next(s for s in slots if s.start > now + timedelta(days=6))
    olivia, _ = client_get_or_create(
        clinic=world.clinic, name="Olivia Turner", email="olivia.turner@example.com"
    )
    desk = factories.StaffFactory(username="desk")  # books at short notice for her
    book = services.appointment_book
    return {
        "soon": book(
            treatment=world.treatment, start=soon.start, client=olivia, by=desk
        ).appointment,
        "later": book(treatment=world.treatment, start=later.start, client=olivia).appointment,
    }


def card(page, appointment):
    return page.locator("li.my-appointment").filter(has_text=appointment.reference)


def sign_in(page, email: str) -> None:
    page.goto("/my/")  # not signed in: sent to sign in, and back here after
    expect(page.get_by_role("heading", name="Your bookings")).to_be_visible()
    snap(page, "my 1 sign in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    snap(page, "my 2 enter the code")
    code = Message.objects.get(to=email, kind=Message.Kind.SIGN_IN_CODE).data["code"]
    page.get_by_label("Sign-in code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def test_a_client_signs_in_by_code_and_sees_their_bookings(page, world, bookings):
    sign_in(page, "olivia.turner@example.com")

    expect(page).to_have_url(f"{page.url.split('/my/')[0]}/my/")
    expect(page.get_by_role("heading", name="Coming up")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Signed in as olivia.turner@example.com")
    for appointment in bookings.values():
        expect(card(page, appointment)).to_contain_text("Lumière Skin Clinic")
    snap(page, "my 3 bookings")


def test_the_window_is_told_before_trying_and_a_booking_outside_it_is_cancelled(
    page, world, bookings
):
    soon, later = bookings["soon"], bookings["later"]
    sign_in(page, "olivia.turner@example.com")

    # Inside the window: said on the page, with the clinic's phone, and no Cancel button.
    inside = card(page, soon)
    expect(inside).to_contain_text("Inside the 24-hour cancellation window")
    expect(inside).to_contain_text(f"call Lumière Skin Clinic on {world.clinic.phone}")
    expect(inside.get_by_role("link", name="Cancel")).to_have_count(0)
    # Outside it: until when, and the way to cancel.
    outside = card(page, later)
    expect(outside).to_contain_text("Free to move or cancel online until")
    snap(page, "my 4 the window")

    # Trying anyway, through the booking's own page, is refused in the same words.
    inside.get_by_role("link", name="Details and calendar file").click()
    page.get_by_role("link", name="Cancel appointment").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("heading", name="It’s too late to change this online")).to_be_visible()
    soon.refresh_from_db()
    assert soon.status == Appointment.Status.CONFIRMED

    page.goto("/my/")
    card(page, later).get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Cancel your appointment?")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("status")).to_contain_text("Your appointment is cancelled.")
    later.refresh_from_db()
    assert later.status == Appointment.Status.CANCELLED

    page.goto("/my/")
    past = page.get_by_role("region", name="Past and cancelled")
    expect(past).to_contain_text("Cancelled")
    expect(card(page, later)).to_have_count(0)
    snap(page, "my 5 after cancelling")


def test_a_wrong_code_is_said_at_the_field(page, world, bookings):
    page.goto("/account/sign-in/")
    page.get_by_label("Email address").fill("olivia.turner@example.com")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("Sign-in code").fill("12345x")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("Incorrect code.")
    expect(page.get_by_label("Sign-in code")).to_have_attribute("aria-invalid", "true")
    snap(page, "my 6 wrong code")
