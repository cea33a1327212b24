"""The front desk's actions in Chromium, at 1280 and 768 px, against the live server with the
real clock: the desk cancels a client's appointment with a reason from the client's page;
the manager finds a duplicate record and merges it. Screenshots in test-artifacts.
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.roles import MANAGER
from bookings.models import Appointment
from clinic.models import Client
from diary.services import appointment_book
from tests import factories
from tests.browser.conftest import _new_page, screenshot
from tests.conftest import default_rules, open_every_day, works_every_day

PASSWORD = "pw-for-tests-1"  # tests/factories.py's UserFactory
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "tablet": {"width": 768, "height": 1024}}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=WIDTHS, ids=list(WIDTHS))
def screen(request, browser, live_server):
    context, page = _new_page(browser, live_server, WIDTHS[request.param])
    yield page
    context.close()


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
    clinic.tomorrow = timezone.localdate(timezone=clinic.tzinfo) + timedelta(days=1)
    clinic.desk = factories.StaffFactory(username="desk", first_name="Dee", last_name="Desk")
    clinic.manager = factories.StaffFactory(username="mia", roles=[MANAGER])
    return clinic


def log_in(page, username: str) -> None:
    page.goto("/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/staff/login/" not in url)


def test_the_desk_cancels_an_appointment_with_a_reason(clinic, screen):
    olivia = factories.ClientFactory(clinic=clinic, name="Olivia Turner")
    visit = appointment_book(
        treatment=clinic.massage,
        start=datetime.combine(clinic.tomorrow, time(11), tzinfo=clinic.tzinfo),
        client=olivia,
        by=clinic.desk,
    ).appointment

    log_in(screen, "desk")
    screen.goto(f"/staff/clients/{olivia.pk}/")
    screen.locator(f'tr[data-reference="{visit.reference}"]').get_by_role(
        "link", name="Cancel"
    ).click()
    expect(screen.get_by_role("heading", name="Cancel Manual facial massage")).to_be_visible()
    screen.get_by_label("Reason").fill("Client phoned: unwell.")
    screenshot(screen, "front-desk-cancel")
    screen.get_by_role("button", name="Cancel this appointment").click()

    expect(screen.get_by_role("status")).to_contain_text(f"Cancelled {visit.reference}")
    expect(screen.locator(f'tr[data-reference="{visit.reference}"]')).to_contain_text("Cancelled")
    screenshot(screen, "front-desk-cancelled")
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED


def test_the_manager_merges_a_duplicate_client(clinic, screen):
    olivia = factories.ClientFactory(
        clinic=clinic, name="Olivia Turner", email="olivia@example.com"
    )
    twin = factories.ClientFactory(
        clinic=clinic, name="Olivia T.", email="olivia@work.example.com", phone="07700 900202"
    )
    appointment_book(
        treatment=clinic.massage,
        start=datetime.combine(clinic.tomorrow, time(15), tzinfo=clinic.tzinfo),
        client=twin,
        by=clinic.desk,
    )

    log_in(screen, "mia")
    screen.goto(f"/staff/clients/{olivia.pk}/")
    screen.get_by_role("link", name="Merge a duplicate").click()
    screen.get_by_label("Find the duplicate").fill("work.example")
    screen.get_by_role("button", name="Search").click()
    screen.get_by_role("link", name="Olivia T.").click()
    expect(screen.get_by_text("Moves 1 appointment")).to_be_visible()
    screenshot(screen, "front-desk-merge-confirm")
    screen.get_by_role("button", name="Merge and remove Olivia T.").click()

    expect(screen.get_by_role("status")).to_contain_text("Merged Olivia T.")
    expect(screen.get_by_role("heading", name="Upcoming appointments")).to_be_visible()
    screenshot(screen, "front-desk-merged")
    assert not Client.objects.filter(pk=twin.pk).exists()
    assert olivia.appointments.count() == 1


def test_the_desk_marks_a_no_show_from_the_client_page(clinic, screen):
    """An appointment that started half an hour ago and nobody came: its row on the client's
    page offers Completed and No-show; No-show marks it and comes back to the page."""
    olivia = factories.ClientFactory(clinic=clinic, name="Olivia Turner")
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    visit = Appointment.objects.create(  # booked earlier; the service books nothing past
        clinic=clinic,
        client=olivia,
        treatment=clinic.massage,
        practitioner=clinic.alice,
        start=start,
        end=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
    )

    log_in(screen, "desk")
    screen.goto(f"/staff/clients/{olivia.pk}/")
    row = screen.locator(f'tr[data-reference="{visit.reference}"]')
    expect(row.get_by_role("button", name="Completed")).to_be_visible()
    row.get_by_role("button", name="No-show").click()

    expect(screen.locator(f'tr[data-reference="{visit.reference}"]')).to_contain_text("No-show")
    screenshot(screen, "front-desk-no-show")
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.NO_SHOW
