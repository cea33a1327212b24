"""A deposit paid in Chromium: the client confirms their held booking from the emailed
link, is sent to the (fake, loopback) Stripe payment page, pays with the test card 4242,
and comes back to the booking confirmed by Stripe's signed webhook."""

from datetime import datetime, time, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Appointment
from diary import holds
from money.models import Payment, PaymentPolicy, SavedCard
from tests.browser.conftest import screenshot
from tests.conftest import make_world
from tests.money.fake_stripe import fake_in_use


@pytest.fixture
def world(transactional_db):
    return make_world()


@pytest.fixture
def stripe_fake(settings, live_server):
    fake = fake_in_use(settings, webhook_url=f"{live_server.url}/api/v1/payments/stripe/webhook/")
    settings.SITE_URL = live_server.url
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": ["'self'", fake.base]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    yield fake
    fake.stop()


def test_a_client_pays_the_deposit_with_the_test_card_and_is_booked(page, world, stripe_fake):
    PaymentPolicy.objects.create(clinic=world.clinic, deposit="fixed", deposit_value=D("20"))
    day = timezone.localdate(timezone=world.clinic.tzinfo) + timedelta(days=2)
    held = holds.appointment_hold(
        treatment=world.treatment,
        start=datetime.combine(day, time(10), tzinfo=world.clinic.tzinfo),
        contact=holds.Contact(name="Dana Client", email="dana@example.com"),
    ).appointment

    page.goto(reverse("online:hold", args=[held.reference, held.hold_link_token()]))
    page.get_by_role("button", name="Confirm my booking").click()

    expect(page.get_by_role("heading", name="Pay 20.00 GBP")).to_be_visible()
    assert page.url.startswith(f"{stripe_fake.base}/pay/")
    held.refresh_from_db()
    assert held.status == Appointment.Status.HELD and held.client.email == "dana@example.com"
    page.get_by_role("button", name="Pay with test card 4242").click()

    expect(page.get_by_role("heading", name="You’re booked")).to_be_visible()
    expect(page.locator("main")).to_contain_text(held.reference)
    screenshot(page, "deposit paid")
    held.refresh_from_db()
    assert held.status == Appointment.Status.CONFIRMED
    [(event, answer)] = [(e, a) for e, a in stripe_fake.sent if e["type"].startswith("payment")]
    assert answer == 200
    deposit = Payment.objects.get(appointment=held)
    assert (deposit.kind, deposit.amount) == ("deposit", D("20.00"))
    assert deposit.provider_reference == event["data"]["object"]["id"]
    assert SavedCard.objects.filter(client=held.client).exists()
