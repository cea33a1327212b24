"""Treatment records in Chromium on a 768 px tablet, against the live server with the real
clock: a practitioner opens yesterday's microcurrent session from their day sheet, records
it with the device's settings and a before photo (after recording the client's consent),
and sees it as "last time" on the next appointment's sheet."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.roles import PRACTITIONER
from diary.services import appointment_book
from records.models import TreatmentRecord
from tests import factories
from tests.browser.conftest import _new_page, screenshot
from tests.browser.test_workspace import at, log_in
from tests.conftest import default_rules, open_every_day, works_every_day
from tests.records.test_photos import jpeg_with_gps

TABLET = {"width": 768, "height": 1024}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tablet(browser, live_server):
    context, page = _new_page(browser, live_server, TABLET)
    yield page
    context.close()


@pytest.fixture
def sessions(transactional_db):
    """Mia's microcurrent course with Alice (the user pat): yesterday at 10:00 (booked the
    day before) and tomorrow at 10:00."""
    default_rules()
    clinic = factories.ClinicFactory(slug="lumiere", name="Lumière")
    open_every_day(clinic)
    device = factories.ResourceKindFactory(slug="microcurrent-device")
    factories.ResourceFactory(clinic=clinic, kind=device, name="Microcurrent unit")
    microcurrent = factories.TreatmentFactory(
        clinic=clinic,
        slug="microcurrent-toning",
        name="Microcurrent toning",
        category="microcurrent",
        kinds=[device],
    )
    pat = factories.StaffFactory(username="pat", roles=[PRACTITIONER], clinics=[clinic])
    alice = factories.PractitionerFactory(
        clinic=clinic, name="Alice Practitioner", treatments=[microcurrent], user=pat
    )
    works_every_day(alice)
    mia = factories.ClientFactory(clinic=clinic, name="Mia Lindqvist", email="mia@example.com")
    today = timezone.localdate(timezone=clinic.tzinfo)
    desk = factories.StaffFactory(username="desk", clinics=[clinic])
    book = dict(treatment=microcurrent, client=mia, practitioner=alice, by=desk)
    yesterday = today - timedelta(days=1)
    first = appointment_book(
        start=at(clinic, yesterday, 10), now=at(clinic, yesterday - timedelta(days=1), 9), **book
    ).appointment
    second = appointment_book(start=at(clinic, today + timedelta(days=1), 10), **book).appointment
    return first, second


def test_a_practitioner_records_a_microcurrent_session_and_sees_it_next_time(sessions, tablet):
    first, second = sessions
    page = tablet
    log_in(page, "pat")

    page.goto(f"/staff/sheet/?date={first.start.astimezone(first.clinic.tzinfo).date()}")
    page.get_by_role("link", name=f"Record {first.reference}").click()
    expect(page.get_by_role("heading", name="Treatment record · Mia Lindqvist")).to_be_visible()
    page.get_by_label("Intensity at start (µA) *").fill("120")
    page.get_by_label("Intensity at end (µA) *").fill("5000")
    page.get_by_label("Minutes (min)").fill("30")
    page.get_by_label("Jawline").check()
    page.get_by_label("Notes").fill("Started low; raised slowly along the jawline.")
    page.get_by_label("Product 1").fill("Oil-free gel")
    page.get_by_label("Lot", exact=True).first.fill("GEL-2027-03")
    page.get_by_role("button", name="Save record").click()
    # Refused with words, what was typed kept.
    expect(page.get_by_text("Intensity at end must be at most 1000 µA.")).to_be_visible()
    expect(page.get_by_label("Intensity at start (µA) *")).to_have_value("120")
    screenshot(page, "record refused")
    page.get_by_label("Intensity at end (µA) *").fill("280")
    page.get_by_role("button", name="Save record").click()
    expect(page.get_by_text(f"{first.reference}: record saved (version 1).")).to_be_visible()
    page.goto(f"/staff/appointments/{first.reference}/record/")
    page.get_by_role("button", name="Record the client's photo consent").click()
    expect(page.get_by_text("Photo consent recorded.")).to_be_visible()
    page.get_by_label("Photo (JPEG, PNG or WebP)").set_input_files(
        {"name": "before.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}
    )
    page.get_by_label("Area").select_option("jawline")
    page.get_by_label("Before or after").select_option("before")
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Photo saved.")).to_be_visible()
    expect(page.locator("[data-area=jawline] h3")).to_contain_text("Jawline")
    before = page.get_by_role("img", name="Before, jawline")
    expect(before).to_be_visible()
    assert before.evaluate("img => img.naturalWidth") == 480  # served, and turned upright
    screenshot(page, "record with a before photo")
    # The client's photos across visits: the area's first day beside its latest (one so far).
    page.get_by_role("link", name="Compare this client's photos across visits").click()
    expect(page.get_by_role("heading", name="Photos across visits · Mia Lindqvist")).to_be_visible()
    compared = page.locator(".photo-compare img").first
    expect(compared).to_be_visible()
    assert compared.evaluate("img => img.naturalWidth") == 480
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    screenshot(page, "photos across visits")
    assert TreatmentRecord.objects.get().device_settings == {
        "intensity_start": 120,
        "intensity_end": 280,
        "minutes": 30,
    }

    page.goto(f"/staff/sheet/?date={second.start.astimezone(second.clinic.tzinfo).date()}")
    row = page.locator(f"tr[data-reference='{second.reference}']")
    last = row.locator("[data-last-time]")
    expect(last).to_contain_text("Last time")
    expect(last).to_contain_text("Intensity at start: 120 µA · Intensity at end: 280 µA")
    expect(last).to_contain_text("Oil-free gel (lot GEL-2027-03)")
    expect(last).to_contain_text("Started low; raised slowly along the jawline.")
    screenshot(page, "last time on the next sheet")
    # The practitioner's tablet shows the sheet without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
