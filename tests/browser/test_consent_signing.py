"""Signing a consent form in Chromium with a DRAWN signature (the canvas driven with the
mouse): the client on a phone (360 px) from the link in their booking's emails, and on the
clinic's tablet (768 px) opened by the front desk. The signed PDF's text is read back."""

import io
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from consent.models import Submission
from consent.services import pdf_bytes
from diary.services import appointment_book
from tests import factories
from tests.browser.conftest import _new_page, screenshot
from tests.browser.test_booking_pages import snap
from tests.browser.test_workspace import clinic, log_in  # noqa: F401  (the fixture)

TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def visit(clinic):  # noqa: F811
    """Olivia's massage in three days, and the consent form every facial massage needs."""
    factories.consent_form(
        organisation=clinic.organisation, name="Massage consent", category="facial_massage"
    )
    olivia = factories.ClientFactory(
        clinic=clinic, name="Olivia Turner", email="olivia.turner@example.com"
    )
    day = timezone.localdate(timezone=clinic.tzinfo) + timedelta(days=3)
    return appointment_book(
        treatment=clinic.massage,
        start=datetime.combine(day, time(11), tzinfo=clinic.tzinfo),
        client=olivia,
    ).appointment


def draw_signature(page) -> None:
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in ((0.25, 0.2), (0.4, 0.8), (0.55, 0.3), (0.7, 0.75), (0.9, 0.4)):
        page.mouse.move(x + w * fx, y + h * fy, steps=6)
    page.mouse.up()


def fill_and_sign(page) -> None:
    page.get_by_role("group", name="Are you pregnant?").get_by_label("No").check()
    page.get_by_label("Epilepsy").check()
    page.get_by_label("Anything else we should know?").fill("Sensitive skin around the jaw")
    page.get_by_label("I have read this form").check()
    draw_signature(page)
    page.get_by_role("button", name="Sign and send").click()


def signed_pdf_text(submission: Submission) -> str:
    reader = PdfReader(io.BytesIO(pdf_bytes(submission)))
    assert len(reader.pages[0].images) == 1  # the drawn signature
    return "\n".join(p.extract_text() for p in reader.pages)


def test_a_client_signs_on_their_phone_with_a_drawn_signature(page, visit):
    page.goto(f"/booking/{visit.reference}/{visit.manage_token}/")
    page.get_by_role("link", name="Sign your forms before your visit").click()
    page.get_by_role("link", name="Sign: Massage consent").click()
    expect(page.get_by_role("heading", name="Massage consent", level=1)).to_be_visible()
    snap(page, "consent 1 the form")
    page.set_viewport_size({"width": 360, "height": 780})

    # Sent without a signature: said, and nothing kept.
    page.get_by_role("group", name="Are you pregnant?").get_by_label("No").check()
    page.get_by_label("I have read this form").check()
    page.get_by_role("button", name="Sign and send").click()
    expect(page.locator("main")).to_contain_text("Draw your signature, or type your name.")
    assert not Submission.objects.exists()

    fill_and_sign(page)

    expect(page.get_by_role("status")).to_contain_text("is signed. We have emailed you a copy.")
    expect(page.locator("main")).to_contain_text("Nothing left to sign for this booking.")
    snap(page, "consent 2 signed")
    signed = Submission.objects.get()
    assert (signed.signature, signed.channel) == ("drawn", "online")
    assert signed.answers["conditions"] == ["epilepsy"]
    assert "Chrom" in signed.user_agent and signed.ip_address == "127.0.0.1"
    text = signed_pdf_text(signed)
    for words in (
        "Massage consent (version 1)",
        "Client: Olivia Turner",
        "Are you pregnant?",
        "Epilepsy",
        "Sensitive skin around the jaw",
        "127.0.0.1",
        visit.reference,
    ):
        assert words in text, words


def test_the_front_desk_hands_the_tablet_to_the_client(browser, live_server, visit):
    context, tablet = _new_page(browser, live_server, TABLET)
    try:
        log_in(tablet, "desk")
        tablet.goto("/staff/sheet/?date=" + visit.start.date().isoformat())
        expect(tablet.get_by_text("Forms to sign")).to_be_visible()
        tablet.get_by_role("link", name=f"Open on the tablet for {visit.reference}").click()
        tablet.get_by_role("link", name="Sign: Massage consent").click()
        assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
        screenshot(tablet, "consent 3 on the tablet")

        fill_and_sign(tablet)

        expect(tablet.locator("main")).to_contain_text("Nothing left to sign for this appointment.")
        screenshot(tablet, "consent 4 signed on the tablet")
    finally:
        context.close()
    signed = Submission.objects.get()
    assert (signed.signature, signed.channel, signed.taken_by.username) == (
        "drawn",
        "tablet",
        "desk",
    )
    assert "Client: Olivia Turner" in signed_pdf_text(signed)
