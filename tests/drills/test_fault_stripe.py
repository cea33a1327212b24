"""Drill: the payment provider fails (every call a 500) for a minute while 50 online
bookings with deposits are made, paid, left unpaid or cancelled by the clinic, with a few
of Stripe's answers lost on the way besides. Afterwards: no card charged twice, no
payment or refund lost, every hold resolved (paid, or released with its payment page
closed), no planned call left behind. The fake Stripe listens on 127.0.0.1 only; the drill
stops by itself (about 80 seconds)."""

import json
import time
from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from bookings.models import Appointment
from diary import holds
from diary.errors import PaymentUnavailable
from diary.services import appointment_cancel
from money import provider
from money.models import Payment, PaymentPolicy, ProviderCall
from tests import factories
from tests.money.fake_stripe import fake_in_use, sign

pytestmark = pytest.mark.drill

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 1, 8, tzinfo=LONDON)  # the frozen clock (tests/conftest.py)
BOOKINGS = 50
PACE = 1.6  # seconds between bookings: 50 of them span the minute of failure and more
FAIL_FROM, FAIL_FOR = 10.0, 60.0


def slots(n: int) -> list[datetime]:
    times = [
        datetime(2027, 3, 2 + day, hour, tzinfo=LONDON) for day in range(8) for hour in range(9, 17)
    ]
    return times[:n]


@pytest.fixture
def fake(settings):
    stripe = fake_in_use(settings)
    yield stripe
    stripe.stop()


def deliver(api, events) -> None:
    for event in events:
        payload = json.dumps(event).encode()
        answer = api.post(
            "/api/v1/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload),
        )
        assert answer.status_code == 200, answer.content


def test_stripe_failing_for_a_minute_while_50_deposits_are_taken(world, fake, drill_report):
    PaymentPolicy.objects.create(clinic=world.clinic, deposit="fixed", deposit_value=D("20"))
    desk = factories.StaffFactory(username="desk")
    api = APIClient()
    outcomes = {"unavailable": 0, "paid": 0, "left unpaid": 0, "cancelled by clinic": 0}
    started = time.monotonic()
    failing_started = False
    to_cancel = []  # paid before the failure: the clinic cancels them while Stripe fails
    fake.lose_answers = 2  # the first two calls: made at Stripe, their answers lost

    for i, start in enumerate(slots(BOOKINGS)):
        while time.monotonic() < started + i * PACE:
            time.sleep(0.05)
        if not failing_started and time.monotonic() >= started + FAIL_FROM:
            fake.fail_for(FAIL_FOR)
            failing_started = True
        if fake.failing and to_cancel and i % 3 == 0:
            appointment_cancel(appointment=to_cancel.pop(), by=desk, reason="The room flooded")
            outcomes["cancelled by clinic"] += 1
            provider.calls_sweep()  # the refund meets the failure and waits
        held = holds.appointment_hold(
            treatment=world.treatment,
            start=start,
            contact=holds.Contact(name=f"Client {i}", email=f"client{i}@example.com"),
        ).appointment
        try:
            booked = holds.hold_confirm(appointment=held, by=None).appointment
        except PaymentUnavailable:
            outcomes["unavailable"] += 1
            continue
        if i % 4 == 3:
            outcomes["left unpaid"] += 1  # lapses later, its page closed
            continue
        events = fake.pay(provider.checkout_live(booked).result["session"])
        fake.take_events()
        deliver(api, events + events[:1])  # Stripe delivers at least once: a duplicate
        outcomes["paid"] += 1
        if not failing_started:
            to_cancel.append(booked)

    while fake.failing:  # bounded: the minute ends
        time.sleep(0.5)
    later = NOW + timedelta(hours=3)
    holds.holds_release_lapsed(now=later)
    for minutes in range(0, 240, 20):  # beat's sweeps over the next hours
        provider.calls_sweep(now=later + timedelta(minutes=minutes))

    appointments = list(Appointment.objects.all())
    statuses = {a.status for a in appointments}
    deposits = Payment.objects.filter(kind="deposit")
    refunds = Payment.objects.filter(kind="refund")
    per_intent = {}
    for refund in fake.refunds.values():
        per_intent[refund["payment_intent"]] = per_intent.get(refund["payment_intent"], 0) + 1
    left = ProviderCall.objects.exclude(status__in=["sent", "cancelled"])
    drill_report(
        f"stripe: {BOOKINGS} bookings with deposits while Stripe failed {FAIL_FOR:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in outcomes.items())
        + f"; charges {len(fake.charges)}, deposits kept {deposits.count()}, refunds "
        f"{len(fake.refunds)}/{refunds.count()} kept; calls left {left.count()}"
    )

    assert len(appointments) == BOOKINGS, "every booking asked for is there"
    assert Appointment.Status.HELD not in statuses, "every hold resolved"
    assert statuses <= {"confirmed", "expired", "cancelled"}
    assert outcomes["unavailable"] >= 20, "the failure met the bookings made in its minute"
    assert outcomes["paid"] >= 4 and outcomes["cancelled by clinic"] >= 1
    # None charged twice, none lost: one card payment per paid booking, each kept once.
    assert len(fake.charges) == outcomes["paid"] == deposits.count()
    assert {p.provider_reference for p in deposits} == {c["id"] for c in fake.charges}
    assert Appointment.objects.filter(status="confirmed").count() == (
        outcomes["paid"] - outcomes["cancelled by clinic"]
    )
    # Each clinic cancellation refunded exactly once, after the failure.
    assert len(fake.refunds) == refunds.count() == outcomes["cancelled by clinic"]
    assert set(per_intent.values()) <= {1}
    # Every page that could still be paid is closed; no planned call left behind.
    unpaid = Appointment.objects.filter(status="expired", payments__isnull=True)
    for appointment in unpaid:
        for call in appointment.provider_calls.filter(kind="checkout", status="sent"):
            assert fake.sessions[call.result["session"]]["status"] == "expired"
    assert left.count() == 0, list(left.values("kind", "status", "last_error"))
    assert [s["id"] for s in fake.sessions.values() if s["status"] == "open"] == []
