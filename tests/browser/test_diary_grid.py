"""The diary in Chromium at a desktop's 1280 px and a tablet's 768 px, against the live
server with the real clock (dates are built from today in the clinic's zone):

- a free time clicked asks who it is for; a new client is added and booked at that time;
  the walk-in button finds a client on file;
- an appointment dragged to another practitioner's free time moves there; the Move form,
  from the keyboard, moves it again; a drop the service refuses says why and moves nothing;
- time is blocked from the diary, and time that holds an appointment is refused.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Appointment
from clinic.models import Client, TimeOff
from diary.services import appointment_book
from tests import factories
from tests.browser.conftest import _new_page, screenshot
from tests.browser.test_workspace import PASSWORD, at
from tests.conftest import default_rules, open_every_day, works_every_day

TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 860}
GRIP = {"x": 8, "y": 6}  # where an appointment is picked up: its times, not its links


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=[DESKTOP, TABLET], ids=["1280px", "768px"])
def grid_page(request, browser, live_server):
    context, page = _new_page(browser, live_server, request.param)
    yield page
    context.close()


@pytest.fixture
def clinic(transactional_db):
    default_rules()
    clinic = factories.ClinicFactory(slug="lumiere", name="Lumière")
    open_every_day(clinic)
    room = factories.ResourceKindFactory(slug="treatment-room")
    factories.ResourceFactory(clinic=clinic, kind=room, name="Room 1")
    factories.ResourceFactory(clinic=clinic, kind=room, name="Room 2")
    clinic.massage = factories.TreatmentFactory(
        clinic=clinic, slug="manual-facial-massage", name="Manual facial massage", kinds=[room]
    )
    clinic.alice, clinic.bob = (
        factories.PractitionerFactory(clinic=clinic, name=name, treatments=[clinic.massage])
        for name in ("Alice Practitioner", "Bob Practitioner")
    )
    works_every_day(clinic.alice)
    works_every_day(clinic.bob)
    clinic.tomorrow = timezone.localdate(timezone=clinic.tzinfo) + timedelta(days=1)
    clinic.desk = factories.StaffFactory(username="desk", first_name="Dee", last_name="Desk")
    return clinic


def open_diary(page, clinic) -> None:
    """Log in (the diary is the workspace's home), then look at tomorrow."""
    page.goto("/staff/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name=re.compile(r"^Diary"))).to_be_visible()
    page.goto(f"/staff/?date={clinic.tomorrow.isoformat()}")


def free(page, clinic, practitioner, hhmm: str):
    return page.locator(
        f'a.free[href$="?date={clinic.tomorrow.isoformat()}&time={hhmm}'
        f'&practitioner={practitioner.pk}"]'
    )


def zoes_visit(clinic):
    """Zoë's massage with Alice tomorrow at 10:00, booked by the front desk."""
    zoe = factories.ClientFactory(clinic=clinic, name="Zoë Client")
    return appointment_book(
        treatment=clinic.massage,
        start=at(clinic, clinic.tomorrow, 10),
        client=zoe,
        practitioner=clinic.alice,
        by=clinic.desk,
    ).appointment


def drag(page, block, target) -> None:
    """Press on the appointment's times (not its links), move in steps as a hand does,
    release over the target."""
    block.scroll_into_view_if_needed()
    box = block.bounding_box()
    page.mouse.move(box["x"] + GRIP["x"], box["y"] + GRIP["y"])
    page.mouse.down()
    target.scroll_into_view_if_needed()
    box = block.bounding_box()  # the grid may have scrolled
    to = target.bounding_box()
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + to["height"] / 2, steps=8)
    page.mouse.up()


def test_book_a_free_time_for_a_new_client_and_take_a_walk_in(clinic, grid_page):
    page = grid_page
    factories.ClientFactory(clinic=clinic, name="Olivia Turner", email="olivia@example.com")
    open_diary(page, clinic)
    screenshot(page, "diary-day")

    free(page, clinic, clinic.alice, "14:00").click()
    expect(page.get_by_role("heading", name="Who is it for?")).to_be_visible()
    page.fill("#id_name", "Nina New")
    page.fill("#id_email", "nina@example.com")
    page.get_by_role("button", name="Add and choose the time").click()
    expect(page.locator("input[name=start]:checked")).to_have_value(
        at(clinic, clinic.tomorrow, 14).isoformat()
    )
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("with Alice Practitioner")

    nina = Client.objects.get(email="nina@example.com")
    booked = Appointment.objects.get(client=nina)
    assert (booked.start, booked.practitioner) == (at(clinic, clinic.tomorrow, 14), clinic.alice)

    page.goto(f"/staff/?date={clinic.tomorrow.isoformat()}")
    expect(page.locator(f'.appt[data-reference="{booked.reference}"]')).to_contain_text("Nina New")
    page.get_by_role("link", name="Walk-in").click()
    expect(page.get_by_role("heading", name="Walk-in: who is it for?")).to_be_visible()
    page.fill("#who-q", "Olivia")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=re.compile("Book for Olivia Turner")).click()
    expect(page.get_by_role("heading", name="Book for Olivia Turner")).to_be_visible()
    screenshot(page, "diary-walk-in-booking")


def test_move_by_drag_by_keyboard_and_a_refused_drop(clinic, grid_page):
    page = grid_page
    visit = zoes_visit(clinic)
    block = page.locator(f'.appt[data-reference="{visit.reference}"]')
    open_diary(page, clinic)

    # A drop where the treatment does not fit before closing: the service says so.
    drag(page, block, free(page, clinic, clinic.bob, "17:30"))
    expect(page.locator(".messages .error")).to_contain_text(
        f"{visit.reference} was not moved: That time is no longer available."
    )
    visit.refresh_from_db()
    assert (visit.start, visit.practitioner) == (at(clinic, clinic.tomorrow, 10), clinic.alice)
    screenshot(page, "diary-refused-move")

    drag(page, block, free(page, clinic, clinic.bob, "15:00"))
    expect(page.locator(".messages .success")).to_contain_text(f"Moved {visit.reference}")
    visit.refresh_from_db()
    assert (visit.start, visit.practitioner) == (at(clinic, clinic.tomorrow, 15), clinic.bob)
    screenshot(page, "diary-moved-by-drag")

    # The keyboard's way: the appointment's Move link, then its form.
    block.get_by_role("link", name=re.compile("^Move")).focus()
    page.keyboard.press("Enter")
    page.fill("#id_time", "16:00")
    page.select_option("#id_practitioner", label="Alice Practitioner")
    page.locator("#id_time").press("Enter")
    expect(page.locator(".messages .success")).to_contain_text("with Alice Practitioner")
    visit.refresh_from_db()
    assert (visit.start, visit.practitioner) == (at(clinic, clinic.tomorrow, 16), clinic.alice)


def test_block_time_from_the_diary(clinic, grid_page):
    page = grid_page
    visit = appointment_book(
        treatment=clinic.massage,
        start=at(clinic, clinic.tomorrow, 10),
        client=factories.ClientFactory(clinic=clinic, name="Zoë Client"),
        practitioner=clinic.bob,
        by=clinic.desk,
    ).appointment
    open_diary(page, clinic)

    page.get_by_role("link", name="Block time").click()
    page.select_option("#id_practitioner", label="Bob Practitioner")
    page.fill("#id_start", "09:30")
    page.fill("#id_end", "10:30")
    page.get_by_role("button", name="Block this time").click()
    expect(page.get_by_role("alert")).to_contain_text("Bob Practitioner has an appointment")
    assert not TimeOff.objects.exists()

    page.fill("#id_start", "13:00")
    page.fill("#id_end", "14:00")
    page.fill("#id_reason", "Training")
    page.get_by_role("button", name="Block this time").click()
    expect(page.locator(".diary .off")).to_contain_text("13:00–14:00 Training")
    assert TimeOff.objects.get().practitioner == clinic.bob
    assert Appointment.objects.get(pk=visit.pk).status == Appointment.Status.CONFIRMED
    screenshot(page, "diary-blocked-time")
    page.get_by_label("Span").select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Diary · week of"))).to_be_visible()
    expect(page.locator(".diary.week .off")).to_contain_text("Training")
    screenshot(page, "diary-week")


def test_a_move_the_rules_refuse_says_why_and_moves_nothing(clinic, grid_page):
    """A filler recorded since the booking: a drop to another time that day is still inside
    the waiting period, and the reschedule service's refusal is shown in its own words."""
    page = grid_page
    visit = zoes_visit(clinic)
    zoe = visit.client
    factories.InjectableRecordFactory(
        client=zoe, kind="filler", date=clinic.tomorrow - timedelta(days=1)
    )
    open_diary(page, clinic)

    drag(
        page,
        page.locator(f'.appt[data-reference="{visit.reference}"]'),
        free(page, clinic, clinic.bob, "15:00"),
    )

    refusal = page.locator(".messages .error")
    expect(refusal).to_contain_text(f"{visit.reference} was not moved:")
    expect(refusal).to_contain_text("filler")
    screenshot(page, "diary-move-refused-by-the-rules")
    visit.refresh_from_db()
    assert (visit.start, visit.practitioner) == (at(clinic, clinic.tomorrow, 10), clinic.alice)
