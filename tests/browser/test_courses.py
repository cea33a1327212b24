"""A course in Chromium, on a phone: a client signed in by code buys a course in their space
(reserved, to pay at the clinic: no card is asked without a card provider), books session 1
of it on the booking pages, and sees the visit covered and the balance move; with card
payments on, pays for it on the (fake, loopback) Stripe page first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bookings.models import Appointment
from clinic.services import client_get_or_create
from courses.models import ClientCourse, CourseOffer, Redemption
from tests.browser.test_booking_pages import choose_day, choose_time, no_injections, snap, today
from tests.browser.test_deposit import stripe_fake  # noqa: F401 (a fixture)
from tests.browser.test_my_space import sign_in
from tests.conftest import make_world


@pytest.fixture
def world(transactional_db):
    world = make_world()
    CourseOffer.objects.create(
        clinic=world.clinic,
        name="Ten facial massages",
        treatment=world.treatment,
        sessions=10,
        price=Decimal("850.00"),
        currency=world.clinic.currency,
        validity=6,
    )
    client_get_or_create(clinic=world.clinic, name="Olivia Turner", email="olivia@example.com")
    return world


def to_review_with_the_course(page, world) -> None:
    """From the client's space to the review of session 1, two days on at 10:00, with the
    course chosen to pay for it."""
    page.get_by_role("link", name="Book a session of Ten facial massages").click()
    day = today(world) + timedelta(days=2)
    choose_day(page, day)
    choose_time(page, day, "10:00")
    no_injections(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    expect(page.get_by_label("Use a session of Ten facial massages")).to_be_checked()


def test_a_signed_in_client_buys_a_course_and_books_session_one_with_it(page, world):
    sign_in(page, "olivia@example.com")
    expect(page.get_by_role("heading", name="Your courses")).to_be_visible()
    page.get_by_role("button", name="Buy Ten facial massages, pay at the clinic").click()

    courses = page.locator("#courses-section")
    expect(courses).to_contain_text("0 of 10 used, 0 booked, 10 left to book")
    expect(courses).to_contain_text("not paid yet: pay at the clinic on your first visit")
    snap(page, "course 1 bought")
    course = ClientCourse.objects.get()
    assert course.client.email == "olivia@example.com" and not course.is_paid

    to_review_with_the_course(page, world)
    snap(page, "course 2 review")
    page.get_by_role("button", name="Book now").click()

    expect(page.get_by_role("heading", name="You’re booked")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Covered by your course: Ten facial massages")
    snap(page, "course 3 booked")
    visit = Appointment.objects.get()
    assert Redemption.objects.get(appointment=visit).client_course == course
    assert visit.net_price == Decimal("0.00")

    page.goto("/my/")
    expect(page.locator("#courses-section")).to_contain_text(
        "0 of 10 used, 1 booked, 9 left to book"
    )


def test_a_client_pays_for_a_course_with_the_test_card_and_books_session_one(
    page,
    world,
    stripe_fake,  # noqa: F811 (the fixture imported above)
):
    sign_in(page, "olivia@example.com")
    page.get_by_role("button", name="Buy Ten facial massages, pay by card").click()

    expect(page.get_by_role("heading", name="Pay 850.00 GBP")).to_be_visible()
    assert page.url.startswith(f"{stripe_fake.base}/pay/")
    course = ClientCourse.objects.get()
    assert course.awaits_card and not course.is_paid
    page.get_by_role("button", name="Pay with test card 4242").click()

    courses = page.locator("#courses-section")
    expect(courses).to_contain_text("(card online)")
    snap(page, "course paid by card")
    course.refresh_from_db()
    assert course.is_paid and course.paid_method == "card_online"
    [(event, answer)] = [(e, a) for e, a in stripe_fake.sent if e["type"].startswith("payment")]
    assert answer == 200 and course.payment_reference == event["data"]["object"]["id"]

    to_review_with_the_course(page, world)
    page.get_by_role("button", name="Book now").click()

    expect(page.get_by_role("heading", name="You’re booked")).to_be_visible()
    visit = Appointment.objects.get()
    assert Redemption.objects.get(appointment=visit).client_course == course
