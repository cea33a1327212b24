"""The booking pages in Chromium, as a client on a phone uses them: book (review, hold,
confirm from the email), be refused (and go Back) and ask again from the earliest date, lose
a slot to someone quicker, move (with its review) and cancel a booking.

The live server runs on the real clock (the browser and the server thread must agree), so
dates are counted from today in the clinic's time zone; the clinic is open every day, so
any date is bookable. Every step is saved as a screenshot at phone and desktop widths in
test-artifacts/screenshots/.
"""

import re
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftercare.models import Message
from bookings.models import Appointment
from diary import services
from diary.availability import find_slots
from tests import factories
from tests.browser.conftest import DESKTOP, screenshot
from tests.conftest import add_microcurrent, make_world
from tests.loopback import wait_until

# Every text and its background on the page, with the WCAG contrast ratio between them.
# Text hidden for screen readers only (clipped to 1 px) has no contrast to check.
CONTRAST_JS = """
() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width <= 1 || box.height <= 1) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className} "${text}" ${ratio.toFixed(2)}`);
  }
  return low;
}
"""


@pytest.fixture
def world(transactional_db):
    """The shared test clinic, dressed as a real one for the screenshots."""
    world = make_world()
    clinic = world.clinic
    clinic.name = "Lumière Skin Clinic"
    clinic.address = "18 Chiltern Street\nLondon W1U 7QA"
    clinic.email = "hello@lumiere.example.com"
    clinic.logo_url = "/static/bookings/img/lumiere-mark.svg"
    clinic.save()
    world.treatment.description = (
        "Our signature hands-only facial massage: tension released in the jaw and brow, "
        "fresh circulation, a brighter and more rested complexion."
    )
    world.treatment.save()
    factories.TreatmentFactory(
        clinic=clinic,
        name="Gua sha facial",
        position=1,
        duration_minutes=45,
        price=85,
        description="A cooled stone glided over the skin to ease puffiness and tension.",
    )
    microcurrent = add_microcurrent(world)
    microcurrent.position = 2
    microcurrent.save()
    return world


def today(world) -> date:
    return timezone.localdate(timezone=world.clinic.tzinfo)


def local(world, day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=world.clinic.tzinfo)


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"  # as the pages write it: Tuesday 2 March


def snap(page, name: str) -> None:
    """This step as the client sees it on a phone and on a desktop; the page is checked for
    sideways scrolling and for contrast below 4.5:1 at both widths."""
    phone = page.viewport_size
    for size in (phone, DESKTOP):
        page.set_viewport_size(size)
        screenshot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], name
        assert page.evaluate(CONTRAST_JS) == [], name
    page.set_viewport_size(phone)


def choose_day(page, day: date) -> None:
    page.get_by_role("link", name=re.compile(f"^{long_day(day)}, ")).click()
    expect(page.get_by_role("heading", name=f"Times on {long_day(day)}")).to_be_visible()


def choose_time(page, day: date, hhmm: str) -> None:
    page.get_by_role("link", name=f"{long_day(day)}, {hhmm}").click()
    expect(page.get_by_role("heading", name="Your details", exact=True)).to_be_visible()


def fill_contact(page, name="Dana Client", email="dana@example.com") -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)


def no_injections(page) -> None:
    page.get_by_role("group", name=re.compile("have you had dermal filler")).get_by_label(
        "No"
    ).check()


@pytest.fixture
def mailroom(start_worker, smtp_server):
    """A Celery worker (with its dispatcher) on a private Redis, delivering the outbox to an
    SMTP server on loopback: the client's inbox."""
    smtp_server.clear()
    start_worker("browser")
    yield smtp_server
    wait_until(
        lambda: not Message.objects.filter(status=Message.Status.SENDING).exists(),
        timeout=30,
        what="in-flight sends to finish before the database is emptied",
    )
    smtp_server.clear()


def test_a_client_books_a_manual_facial_massage_end_to_end(page, world, mailroom):
    """Not signed in: review, hold, the emailed link on the real worker and SMTP server,
    confirm (which signs the client in), the confirmation email with its calendar event."""
    day = today(world) + timedelta(days=2)

    page.goto("/")
    expect(page.get_by_role("heading", name="Book a treatment")).to_be_visible()
    assert page.locator(".brand__logo").evaluate("logo => logo.naturalWidth") > 0
    snap(page, "01 treatments")
    page.get_by_role("link", name="Choose a time for Manual facial massage").click()
    choose_day(page, day)
    snap(page, "02 calendar")
    choose_time(page, day, "10:00")
    fill_contact(page)
    page.get_by_label("Mobile phone (optional)").fill("07911 123123")
    no_injections(page)
    snap(page, "03 details")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    review = page.locator("main")
    expect(review).to_contain_text(f"{long_day(day)} {day.year} at 10:00")
    expect(review).to_contain_text("£")  # the price
    expect(review).to_contain_text("You can move or cancel this appointment online until")
    snap(page, "04 review")
    assert not Appointment.objects.exists()
    page.get_by_role("button", name="Book and email me the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    snap(page, "05 held")
    held = Appointment.objects.get()
    assert held.status == Appointment.Status.HELD and held.client is None
    [hold_email] = wait_until(
        lambda: [m for m in mailroom.messages if m["To"] == "dana@example.com"],
        timeout=60,
        what="the email with the link to confirm",
    )
    link = re.search(r"https?://[^/\s]+(/hold/\S+/)", hold_email.get_body(("plain",)).get_content())
    page.goto(link.group(1))
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    snap(page, "06 confirm from the email")
    page.get_by_role("button", name="Confirm my booking").click()

    expect(page.get_by_role("heading", name="You’re booked")).to_be_visible()
    snap(page, "07 confirmed")
    appointment = Appointment.objects.get()
    assert appointment.client.email == "dana@example.com"
    assert (
        appointment.treatment == world.treatment
        and appointment.status == Appointment.Status.CONFIRMED
    )
    assert appointment.start.astimezone(world.clinic.tzinfo).strftime("%H:%M") == "10:00"
    expect(page.locator("main")).to_contain_text(appointment.reference)
    [email] = wait_until(
        lambda: [
            m
            for m in mailroom.messages
            if m["To"] == "dana@example.com" and m["Subject"].startswith("Booked")
        ],
        timeout=60,
        what="the confirmation email",
    )
    assert email["Subject"].startswith("Booked: Manual facial massage")
    assert appointment.reference in email.get_body(("plain",)).get_content()
    [ics] = [p for p in email.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert (event.decoded("dtstart"), event.decoded("dtend")) == (
        appointment.start,
        appointment.end,
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to my calendar").click()
    ics = download.value.path().read_text()
    assert "BEGIN:VEVENT" in ics and f"UID:{appointment.reference}@" in ics
    page.get_by_role("link", name="Manage my booking").click()
    expect(page.get_by_role("heading", name="Your booking")).to_be_visible()
    snap(page, "08 manage")


def test_filler_ten_days_before_is_refused_then_booked_from_the_earliest_date(page, world):
    """The refusal comes after a POST, as a page of its own: Back returns to the review,
    never to "Confirm form resubmission"."""
    chosen = today(world) + timedelta(days=3)
    injected = chosen - timedelta(days=10)
    earliest = injected + timedelta(days=14)
    day_20 = injected + timedelta(days=20)

    page.goto(f"/book/{world.treatment.slug}/")
    choose_day(page, chosen)
    choose_time(page, chosen, "11:00")
    fill_contact(page)
    page.get_by_role("group", name=re.compile("have you had dermal filler")).get_by_label(
        "Yes"
    ).check()
    latest = page.get_by_role("group", name="Your most recent injectable treatment")
    latest.get_by_label("Treatment", exact=True).select_option("filler")
    latest.get_by_label("Date of the treatment").fill(injected.isoformat())
    latest.get_by_label("Cheeks").check()
    latest.get_by_label("Lips").check()
    snap(page, "06 details with filler")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Dermal filler on")
    expect(page.locator("main")).to_contain_text("(cheeks, lips)")
    page.get_by_role("button", name="Book and email me the link").click()

    expect(page.get_by_role("heading", name="This date is too soon")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        f"The earliest date you can book is {long_day(earliest)} {earliest.year}"
    )
    snap(page, "07 refused with the earliest date")
    page.go_back()
    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    page.go_forward()
    expect(page.get_by_role("heading", name="This date is too soon")).to_be_visible()
    page.get_by_role("link", name=f"See times from {long_day(earliest)}").click()  # one click
    expect(page.get_by_role("heading", name=f"Times on {long_day(earliest)}")).to_be_visible()
    assert not Appointment.objects.exists()

    choose_day(page, day_20)
    choose_time(page, day_20, "14:00")
    expect(page.get_by_label("Full name")).to_have_value("Dana Client")  # nothing retyped
    expect(latest.get_by_label("Date of the treatment")).to_have_value(injected.isoformat())
    expect(latest.get_by_label("Lips")).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Book and email me the link").click()

    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    expect(page.locator(".warnings")).to_contain_text("ideally four")
    snap(page, "08 warnings")
    page.get_by_role("button", name="Book and email me the link").click()  # without ticking
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_label("I have read this and I want to go ahead")).to_have_attribute(
        "aria-describedby", "id_acknowledge_error"
    )
    expect(page.locator("#id_acknowledge_error")).to_contain_text("Tick the box")
    snap(page, "09 warnings not ticked")
    assert not Appointment.objects.exists()
    page.get_by_label("I have read this and I want to go ahead").check()
    page.get_by_role("button", name="Book and email me the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    held = Appointment.objects.get()
    assert world.clinic.local_date(held.start) == day_20
    assert held.booking_request.declared["injectables"][0]["areas"] == ["cheeks", "lips"]


def test_a_slot_taken_while_choosing_offers_the_nearest_alternatives(page, world):
    day = today(world) + timedelta(days=2)
    page.goto(f"/book/{world.treatment.slug}/")
    choose_day(page, day)
    choose_time(page, day, "10:00")
    fill_contact(page)
    no_injections(page)
    page.get_by_role("button", name="Continue").click()
    quicker = factories.ClientFactory(clinic=world.clinic, email="quicker@example.com")
    services.appointment_book(
        treatment=world.treatment, start=local(world, day, 10), client=quicker
    )

    page.get_by_role("button", name="Book and email me the link").click()

    expect(page.get_by_role("heading", name="That time has just gone")).to_be_visible()
    snap(page, "10 slot taken, alternatives")
    alternatives = page.locator("main .time-list a")
    expect(alternatives.first).to_have_text(re.compile(r"^Book \w{3} \d+ \w{3}, 09:00$"))
    page.get_by_role("link", name=re.compile(r", 11:00$")).click()
    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    page.get_by_role("button", name="Book and email me the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    mine = Appointment.objects.get(booking_request__email="dana@example.com")
    assert mine.start == local(world, day, 11)


@pytest.fixture
def appointment(world):
    start = local(world, today(world) + timedelta(days=3), 10)
    client = factories.ClientFactory(clinic=world.clinic, name="Erin Moss")
    return services.appointment_book(
        treatment=world.treatment, start=start, client=client
    ).appointment


def manage_path(appointment) -> str:
    return f"/booking/{appointment.reference}/{appointment.manage_token}/"


def test_a_client_moves_then_cancels_through_the_manage_link(page, world, appointment):
    """Move with the review step (from, to, with whom, the policy), then cancel."""
    new_day = world.clinic.local_date(appointment.start) + timedelta(days=1)

    page.goto(manage_path(appointment))
    expect(page.locator("main")).to_contain_text(appointment.reference)
    page.get_by_role("link", name="Choose another time").click()
    choose_day(page, new_day)
    snap(page, "11 reschedule")
    page.get_by_role("button", name=f"Move to {long_day(new_day)}, 11:00").click()

    expect(page.get_by_role("heading", name="Check the new time")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"{long_day(new_day)} {new_day.year} at 11:00")
    expect(page.locator("main")).to_contain_text("You can move or cancel this appointment online")
    snap(page, "12 review the move")
    appointment.refresh_from_db()
    assert world.clinic.local_date(appointment.start) != new_day, "nothing moves yet"
    page.get_by_role("button", name="Move my appointment").click()

    expect(page.get_by_role("status")).to_contain_text(f"moved to {long_day(new_day)} at 11:00")
    snap(page, "13 moved")
    appointment.refresh_from_db()
    assert world.clinic.local_date(appointment.start) == new_day
    page.get_by_role("link", name="Cancel appointment").click()
    expect(page.get_by_role("heading", name="Cancel your appointment?")).to_be_visible()
    snap(page, "14 cancel")
    page.get_by_role("button", name="Yes, cancel it").click()

    expect(page.get_by_role("status")).to_contain_text("Your appointment is cancelled.")
    expect(page.locator(".status")).to_have_text("Cancelled")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_cancelling_inside_the_window_is_refused_with_the_clinics_phone(page, world):
    now = timezone.now()
    soon = next(
        slot
        for slot in find_slots(
            treatment=world.treatment,
            first_day=today(world),
            last_day=today(world) + timedelta(days=1),
            online=False,
        )
        if slot.start > now + timedelta(minutes=30)
    )
    client = factories.ClientFactory(clinic=world.clinic)
    appointment = services.appointment_book(
        treatment=world.treatment, start=soon.start, client=client, by=factories.StaffFactory()
    ).appointment

    page.goto(manage_path(appointment) + "cancel/")
    page.get_by_role("button", name="Yes, cancel it").click()

    expect(page.get_by_role("heading", name="It’s too late to change this online")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"Call the clinic on {world.clinic.phone}")
    snap(page, "15 too late to cancel")
    page.go_back()
    expect(page.get_by_role("heading", name="Cancel your appointment?")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_the_pages_work_from_the_keyboard_with_errors_tied_to_their_fields(page, world):
    day = today(world) + timedelta(days=2)
    page.goto("/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Choose a time for Manual facial massage")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/book/{world.treatment.slug}/$"))

    start = local(world, day, 10).isoformat().replace("+", "%2B")
    page.goto(f"/book/{world.treatment.slug}/details/?start={start}")
    page.get_by_label("Full name").fill("Dana <b>Client</b>")
    page.get_by_label("Email address").fill("dana at example")
    page.keyboard.press("Enter")  # submits from the keyboard

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Email address: Enter an email address like name@example.com.")
    email = page.get_by_label("Email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "id_email_helptext id_email_error")
    expect(page.get_by_label("Full name")).to_have_value("Dana <b>Client</b>")
    snap(page, "16 details with errors")
    summary.get_by_role("link", name=re.compile("Email address")).click()
    expect(email).to_be_focused()


def test_on_a_desktop_the_times_sit_beside_the_calendar(desktop_page, world):
    desktop_page.goto(f"/book/{world.treatment.slug}/")

    days = desktop_page.locator("table.days").bounding_box()
    times = desktop_page.locator("#times").bounding_box()
    assert times["x"] > days["x"] + days["width"]
    assert desktop_page.evaluate(CONTRAST_JS) == []
