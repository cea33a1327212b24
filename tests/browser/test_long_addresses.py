"""No booking page scrolls sideways on a 360 px phone when the address is a long one: 60
characters with nowhere to break, the client's on the review, held, confirmed and manage
pages, and the clinic's in every page's footer.

Runs on the real clock, as the other browser tests (tests/browser/test_booking_pages.py).
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from bookings.models import Appointment
from clinic.identity import client_login_link
from tests import factories
from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_booking_pages import choose_day, choose_time, no_injections, today
from tests.conftest import make_world

LONG_ADDRESS = "oliviaturnerwhosebookingaddressneverbreaksanywher@example.co"
CLINIC_ADDRESS = "frontdeskandbookingsatthelumiereskinclinic@lumiere.example.com"
assert len(LONG_ADDRESS) == 60 and " " not in LONG_ADDRESS


@pytest.fixture
def world(transactional_db):
    world = make_world()
    world.clinic.email = CLINIC_ADDRESS
    world.clinic.save()
    return world


def fits_the_phone(page, name: str) -> None:
    screenshot(page, f"long address {name}")
    assert page.viewport_size == PHONE
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide"


def sign_in(page, live_server, user) -> None:
    """A session for `user` in the browser, as signing in with a code leaves one."""
    session = DjangoClient()
    session.force_login(user)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def to_the_review(page, world, *, email=None) -> None:
    day = today(world) + timedelta(days=2)
    page.goto(f"/book/{world.treatment.slug}/")
    choose_day(page, day)
    choose_time(page, day, "10:00")
    page.get_by_label("Full name").fill("Olivia Turner")
    if email:
        page.get_by_label("Email address").fill(email)
    no_injections(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text(LONG_ADDRESS)


def test_a_signed_in_client_with_a_long_address_books_without_sideways_scrolling(
    page, world, live_server
):
    olivia = client_login_link(
        factories.ClientFactory(clinic=world.clinic, email=LONG_ADDRESS, phone="+447911123456")
    )
    sign_in(page, live_server, olivia.user)

    to_the_review(page, world)  # their address is filled in for them
    fits_the_phone(page, "review")
    page.get_by_role("button", name="Book now").click()

    expect(page.get_by_role("heading", name="You’re booked")).to_be_visible()
    expect(page.locator("main")).to_contain_text(LONG_ADDRESS)
    fits_the_phone(page, "confirmed")
    page.get_by_role("link", name="Manage my booking").click()
    expect(page.get_by_role("heading", name="Your booking")).to_be_visible()
    expect(page.locator("main")).to_contain_text(LONG_ADDRESS)
    fits_the_phone(page, "manage")
    assert Appointment.objects.get().client == olivia


def test_a_visitor_with_a_long_address_is_held_without_sideways_scrolling(page, world):
    to_the_review(page, world, email=LONG_ADDRESS)
    fits_the_phone(page, "review, not signed in")
    page.get_by_role("button", name="Book and email me the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text(LONG_ADDRESS)
    fits_the_phone(page, "held")
