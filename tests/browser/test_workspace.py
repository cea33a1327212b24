"""The staff workspace in Chromium, against the live server with the real clock: dates are
built from today in the clinic's timezone.

- the desk looks a client up as they type and sees when a facial massage is allowed again;
- recording filler on the face diagram lists the appointment it now conflicts with;
- the day sheet shows the practitioner's cautions (and prints without its buttons);
- a practitioner cannot open the rules, in the workspace or the admin.
"""

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from access.roles import MANAGER, PRACTITIONER
from diary.services import appointment_book
from tests import factories
from tests.browser.conftest import screenshot
from tests.conftest import default_rules, open_every_day, works_every_day

PASSWORD = "pw-for-tests-1"  # tests/factories.py's UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic(transactional_db):
    default_rules()  # the live server's database is flushed between tests, rules included
    clinic = factories.ClinicFactory(slug="lumiere", name="Lumière")
    open_every_day(clinic)
    room = factories.ResourceKindFactory(slug="treatment-room")
    factories.ResourceFactory(clinic=clinic, kind=room, name="Room 1")
    clinic.massage = factories.TreatmentFactory(
        clinic=clinic, slug="manual-facial-massage", name="Manual facial massage", kinds=[room]
    )
    clinic.alice = factories.PractitionerFactory(
        clinic=clinic, name="Alice Practitioner", treatments=[clinic.massage]
    )
    works_every_day(clinic.alice)
    clinic.today = timezone.localdate(timezone=clinic.tzinfo)
    clinic.desk = factories.StaffFactory(username="desk", first_name="Dee", last_name="Desk")
    return clinic


def at(clinic, day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clinic.tzinfo)


def long_date(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"  # as the pages write it: "Wed 10 Mar 2027"


def log_in(page, username: str) -> None:
    page.goto("/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name=re.compile(r"^Diary"))).to_be_visible()


def test_look_up_a_client_and_see_when_a_facial_massage_is_allowed(clinic, desktop_page):
    page = desktop_page
    injected = clinic.today - timedelta(days=5)
    zoe = factories.ClientFactory(clinic=clinic, name="Zoë Ångström", email="zoe@example.com")
    factories.InjectableRecordFactory(client=zoe, date=injected, areas=["cheeks"])
    factories.ClientFactory(clinic=clinic, name="Zachary Other")

    log_in(page, "desk")
    page.get_by_role("link", name="Clients", exact=True).click()
    # Accents are ignored where the trigram index does the search (PostgreSQL).
    page.fill("#q", "zoe" if connection.vendor == "postgresql" else "Zoë")
    page.get_by_role("link", name="Zoë Ångström").click()

    row = page.locator("tr[data-category=facial_massage]")
    expect(row).to_contain_text("Not allowed")
    expect(row.locator(".allowed-from")).to_have_text(long_date(injected + timedelta(days=14)))
    expect(row.locator(".recommended-from")).to_have_text(long_date(injected + timedelta(days=28)))
    expect(page.locator(".timeline")).to_contain_text("Cheeks")
    screenshot(page, "workspace-client-page")


def test_record_filler_and_see_the_conflicting_appointment_flagged(clinic, desktop_page):
    page = desktop_page
    bruno = factories.ClientFactory(clinic=clinic, name="Bruno Costa", email="bruno@example.com")
    visit = appointment_book(
        treatment=clinic.massage,
        start=at(clinic, clinic.today + timedelta(days=3), 10),
        client=bruno,
        by=clinic.desk,
    ).appointment

    log_in(page, "desk")
    page.goto(f"/staff/clients/{bruno.pk}/")
    page.get_by_role("link", name="Record injectable").click()
    page.fill("#id_date", clinic.today.isoformat())
    cheeks = page.get_by_role("checkbox", name="Cheeks").first  # the diagram's region
    cheeks.locator("ellipse").first.click()  # the left cheek
    jawline = page.locator('g.area[data-area="jawline"]')
    jawline.focus()
    page.keyboard.press("Space")  # the diagram works from the keyboard too
    expect(page.locator("input[name=areas][value=cheeks]")).to_be_checked()
    expect(page.locator("input[name=areas][value=jawline]")).to_be_checked()
    expect(jawline).to_have_attribute("aria-checked", "true")
    expect(cheeks).to_have_attribute("aria-checked", "true")
    screenshot(page, "workspace-record-injectable")
    page.get_by_role("button", name="Save the record").click()

    conflict = page.locator(f'#conflicts .conflict[data-reference="{visit.reference}"]')
    expect(conflict).to_contain_text("Flagged")
    expect(conflict).to_contain_text("filler")
    expect(conflict.get_by_role("link", name="Email client")).to_have_attribute(
        "href", f"mailto:bruno@example.com?subject=Your%20appointment%20{visit.reference}"
    )
    screenshot(page, "workspace-conflicts")
    conflict.get_by_role("link", name="Reschedule").click()
    expect(page.locator("body")).to_contain_text(
        f"The rules allow this treatment from {long_date(clinic.today + timedelta(days=14))}"
    )
    expect(page.locator(".slot").first).to_be_visible()


def test_the_day_sheet_shows_the_cautions(clinic, page):
    tomorrow = clinic.today + timedelta(days=1)
    olivia = factories.ClientFactory(clinic=clinic, name="Olivia Turner")
    injected = clinic.today - timedelta(days=40)
    factories.InjectableRecordFactory(client=olivia, date=injected, areas=["cheeks", "jawline"])
    appointment_book(
        treatment=clinic.massage, start=at(clinic, tomorrow, 11), client=olivia, by=clinic.desk
    )
    pat = factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    clinic.alice.user = pat
    clinic.alice.save(update_fields=["user"])

    log_in(page, "pat")  # a practitioner, on a phone, looks at tomorrow
    page.goto(f"/staff/sheet/?date={tomorrow.isoformat()}")

    row = page.locator("table.sheet tbody tr").first
    expect(row).to_contain_text("Olivia Turner")
    expect(row).to_contain_text("Room 1")
    expect(row.locator(".caution")).to_have_text(
        f"avoid deep pressure: cheeks, jawline (filler {injected.isoformat()})"
    )
    screenshot(page, "workspace-day-sheet")
    page.emulate_media(media="print")
    expect(row.locator(".caution")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()


def test_a_practitioner_cannot_open_the_rules(clinic, desktop_page, page):
    factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    factories.StaffFactory(username="mia", roles=[MANAGER])

    log_in(desktop_page, "pat")
    expect(desktop_page.get_by_role("link", name="Rules")).to_have_count(0)
    for address, status, heading in [
        ("/staff/rules/", 403, "access"),
        ("/admin/clinical/waitingrule/", 403, "access"),
        # A row the admin does not show them is not there at all.
        ("/admin/clinical/waitingrule/1/change/", 404, "can’t find"),
    ]:
        response = desktop_page.goto(address)
        assert response.status == status, address
        expect(desktop_page.get_by_role("heading", level=1)).to_contain_text(heading)

    log_in(page, "mia")  # the manager, in another browser, does get in
    page.get_by_role("link", name="Rules").click()
    expect(page.get_by_role("heading", name="Clinical rules")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Dermal filler")
    assert page.goto("/admin/clinical/waitingrule/").status == 200
