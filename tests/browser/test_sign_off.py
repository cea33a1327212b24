"""A practitioner's sign-off in Chromium at 1280 px and 768 px: the diary shows "Needs
sign-off" on an appointment a "needs practitioner approval" rule asks about, and the
practitioner approves it from the appointment's panel with a note; the badge goes."""

import re

import pytest
from playwright.sync_api import expect

from access.roles import PRACTITIONER
from bookings.models import SignOff
from clinical.models import ContraindicationRule
from clinical.rules import Declared
from diary.services import appointment_book
from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_diary_grid import clinic, grid_page  # noqa: F401 (fixtures)
from tests.browser.test_workspace import PASSWORD, at

RULE = "Pregnancy: your practitioner checks with you before a facial massage."


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_grid_shows_needs_sign_off_and_the_practitioner_approves_it(clinic, grid_page):  # noqa: F811
    page = grid_page
    pat = factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    clinic.alice.user = pat
    clinic.alice.save(update_fields=["user"])
    ContraindicationRule.objects.create(
        clinic=clinic,
        condition="pregnancy",
        treatment_category=clinic.massage.category,
        action=ContraindicationRule.Action.NEEDS_APPROVAL,
        message=RULE,
    )
    visit = appointment_book(
        treatment=clinic.massage,
        start=at(clinic, clinic.tomorrow, 10),
        client=factories.ClientFactory(clinic=clinic, name="Zoë Client"),
        practitioner=clinic.alice,
        by=clinic.desk,
        declared=Declared(conditions=["pregnancy"]),
        acknowledge_warnings=True,
    ).appointment

    page.goto("/staff/login/")
    page.fill("#id_username", "pat")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name=re.compile(r"^Diary"))).to_be_visible()
    page.goto(f"/staff/?date={clinic.tomorrow.isoformat()}")

    block = page.locator(f'.appt[data-reference="{visit.reference}"]')
    expect(block.locator('[data-sign-off="pending"]')).to_have_text("Needs sign-off")
    expect(block).to_contain_text(RULE)
    block.locator("summary").click()
    block.get_by_label("Note").fill("Second trimester; GP letter seen.")
    screenshot(page, "diary-sign-off")
    block.get_by_role("button", name="Approve").click()

    expect(page.locator(".messages")).to_contain_text(f"{visit.reference}: approved.")
    expect(page.locator(f'.appt[data-reference="{visit.reference}"]')).to_be_visible()
    expect(page.locator('[data-sign-off="pending"]')).to_have_count(0)
    sign_off = SignOff.objects.get(appointment=visit)
    assert (sign_off.status, sign_off.decided_by, sign_off.note) == (
        SignOff.Status.APPROVED,
        pat,
        "Second trimester; GP letter seen.",
    )
