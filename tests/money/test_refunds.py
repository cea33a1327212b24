"""Refunds as the policy decides (money/due.py), through the fake Stripe on loopback: a timely
cancellation gives the card deposit back in full; a late one or a no-show gives back what
the deposit paid beyond the fee (a partial refund) and charges the card nothing; a deposit
smaller than the fee is kept and the rest charged; each refund is planned once, survives
Stripe being down, and is never made twice; what was paid at the desk is the desk's to give
back."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.test import Client as Browser
from rest_framework.test import APIClient

from access.roles import MANAGER
from aftercare.models import Message
from bookings.models import Appointment
from diary.services import appointment_cancel, appointment_mark_no_show
from money import provider
from money.models import Payment, PaymentPolicy, ProviderCall, SavedCard
from money.selectors import appointment_account
from money.services import fee_waive, payment_record
from tests import factories
from tests.money.test_stripe import TUESDAY_10, confirm, deliver, hold, session_of

LATE = TUESDAY_10 - timedelta(hours=2)  # inside the 24 hours' window
AFTER_FEE_DELAY = TUESDAY_10 + timedelta(hours=4)  # past FEE_CHARGE_DELAY_MINUTES from any


def policy(world, *, deposit: str) -> PaymentPolicy:
    return PaymentPolicy.objects.create(
        clinic=world.clinic,
        deposit="fixed",
        deposit_value=D(deposit),
        late_cancel_window_hours=24,
        late_cancel_fee="fixed",
        late_cancel_value=D("25"),
        no_show_fee="fixed",
        no_show_value=D("25"),
    )


def paid_online(world, stripe_fake) -> Appointment:
    booked = confirm(hold(world))
    stripe_fake.pay(session_of(booked))
    assert all(a.status_code == 200 for a in deliver(stripe_fake.take_events()))
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CONFIRMED
    return booked


def cancel_for_client(booked, *, at):
    desk = factories.StaffFactory(username="desk")
    with time_machine.travel(at, tick=False):
        appointment_cancel(appointment=booked, by=desk, client_asked=True, now=at)
    booked.refresh_from_db()


def mark_no_show(booked):
    desk = factories.StaffFactory(username="desk")
    at = TUESDAY_10 + timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        appointment_mark_no_show(appointment=booked, by=desk, now=at)
    booked.refresh_from_db()


def sweep(at=AFTER_FEE_DELAY, times=2):
    with time_machine.travel(at, tick=False):
        for _ in range(times):
            provider.calls_sweep()


def refunds(stripe_fake) -> list[int]:
    return sorted(r["amount"] for r in stripe_fake.refunds.values())


def fees_charged(stripe_fake) -> list[int]:
    return [c["amount"] for c in stripe_fake.charges if c["off_session"]]


def receipts(booked) -> int:
    return Message.objects.filter(appointment=booked, kind=Message.Kind.RECEIPT).count()


def test_a_timely_cancellation_refunds_the_card_deposit_in_full(world, stripe_fake):
    policy(world, deposit="40")
    booked = paid_online(world, stripe_fake)

    cancel_for_client(booked, at=TUESDAY_10 - timedelta(hours=25))
    sweep()

    (refund,) = stripe_fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (stripe_fake.charges[0]["id"], 4000)
    back = Payment.objects.get(kind="refund")
    assert (back.amount, back.method, back.provider_reference) == (
        D("40.00"),
        "card_online",
        refund["id"],
    )
    assert receipts(booked) == 2  # the deposit's and the refund's
    assert fees_charged(stripe_fake) == [] and not hasattr(booked, "charge")
    account = appointment_account(booked)
    assert (account.paid, account.refund_due, account.refund_at_desk) == (D("0"), D("0"), D("0"))


@pytest.mark.parametrize("event", ["late cancellation", "no-show"])
def test_a_deposit_larger_than_the_fee_gives_back_the_rest(world, stripe_fake, event):
    policy(world, deposit="40")
    booked = paid_online(world, stripe_fake)

    if event == "no-show":
        mark_no_show(booked)
    else:
        cancel_for_client(booked, at=LATE)
    call = ProviderCall.objects.get(kind="refund")
    assert (call.amount, call.status) == (D("15.00"), "pending")
    assert appointment_account(booked).refund_to_card == D("15.00")
    sweep()

    assert refunds(stripe_fake) == [1500], "a partial refund: the deposit less the fee"
    assert fees_charged(stripe_fake) == [], "the deposit covers the fee"
    assert not ProviderCall.objects.filter(kind="fee").exists()
    assert Payment.objects.get(kind="refund").amount == D("15.00")
    assert receipts(booked) == 2
    account = appointment_account(booked)
    assert (account.paid, account.outstanding, account.refund_due) == (D("25"), D("0"), D("0"))


@pytest.mark.parametrize("event", ["late cancellation", "no-show"])
def test_a_deposit_smaller_than_the_fee_is_kept_and_the_rest_charged(world, stripe_fake, event):
    policy(world, deposit="20")
    booked = paid_online(world, stripe_fake)
    card = SavedCard.objects.get()

    if event == "no-show":
        mark_no_show(booked)
    else:
        cancel_for_client(booked, at=LATE)
    sweep()

    assert stripe_fake.refunds == {} and not ProviderCall.objects.filter(kind="refund").exists()
    fees = [c for c in stripe_fake.charged(card.payment_method) if c["off_session"]]
    assert [f["amount"] for f in fees] == [500]
    assert appointment_account(booked).outstanding == D("0")


def test_a_refund_survives_stripe_down_and_is_made_once(world, stripe_fake):
    policy(world, deposit="40")
    booked = paid_online(world, stripe_fake)
    stripe_fake.go_down()

    cancel_for_client(booked, at=LATE)
    sweep(at=LATE + timedelta(minutes=1), times=1)
    call = ProviderCall.objects.get(kind="refund")
    call.refresh_from_db()
    assert (call.status, call.attempts) == ("pending", 1)
    assert stripe_fake.refunds == {}
    stripe_fake.come_back()
    stripe_fake.lose_answers = 1  # the refund is made, its answer lost: the retry's key gets it
    sweep(at=LATE + timedelta(minutes=5), times=1)
    sweep(at=LATE + timedelta(minutes=15))

    call.refresh_from_db()
    assert (call.status, call.attempts) == ("sent", 3)
    assert stripe_fake.key_uses[call.key] == 2  # the first try never reached it
    assert refunds(stripe_fake) == [1500], "one refund at Stripe, whatever the tries"
    assert Payment.objects.filter(kind="refund").count() == 1
    assert receipts(booked) == 2


def test_a_refund_is_never_planned_twice(world, stripe_fake):
    """Cancelled twice (the second refused), the hooks met again, a late duplicate webhook of
    the deposit: one refund call, one refund at Stripe."""
    from money.services import on_cancelled, on_no_show

    policy(world, deposit="40")
    booked = confirm(hold(world))
    stripe_fake.pay(session_of(booked))
    deposit_events = stripe_fake.take_events()
    deliver(deposit_events)
    booked.refresh_from_db()

    cancel_for_client(booked, at=LATE)
    with pytest.raises(Exception, match="cannot be cancelled"):
        cancel_for_client(booked, at=LATE)
    booked.refresh_from_db()
    on_cancelled(booked, by_clinic=False, at=LATE)  # the hook again (a retried write)
    on_no_show(booked, at=LATE)  # then marked a no-show as well (same fee)
    sweep()
    on_cancelled(booked, by_clinic=False, at=LATE)  # and again once Stripe has answered
    sweep()
    assert deliver(deposit_events)[0].json()["outcome"] == "duplicate"
    sweep()

    assert refunds(stripe_fake) == [1500]
    call = ProviderCall.objects.get(kind="refund")
    assert stripe_fake.key_uses[call.key] == 1
    assert Payment.objects.filter(kind="refund").count() == 1
    assert appointment_account(booked).paid == D("25.00")


def test_waiving_a_fee_the_deposit_covered_refunds_the_rest(world, stripe_fake):
    policy(world, deposit="40")
    booked = paid_online(world, stripe_fake)
    cancel_for_client(booked, at=LATE)
    sweep()
    booked.refresh_from_db()
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])

    fee_waive(charge=booked.charge, by=manager, reason="Her train was cancelled.")
    sweep()

    assert refunds(stripe_fake) == [1500, 2500]
    assert appointment_account(booked).paid == D("0")
    with pytest.raises(Exception, match="already"):
        fee_waive(charge=booked.charge, by=manager, reason="Again.")
    sweep()
    assert len(stripe_fake.refunds) == 2


def test_what_was_paid_at_the_desk_is_refunded_there(world, stripe_fake):
    policy(world, deposit="40")
    client = factories.ClientFactory(clinic=world.clinic)
    desk = factories.StaffFactory(username="front")
    from diary.services import appointment_book

    booked = appointment_book(
        treatment=world.treatment, start=TUESDAY_10, client=client, by=desk
    ).appointment
    payment_record(appointment=booked, amount="40.00", kind="deposit", method="cash", by=desk)

    cancel_for_client(booked, at=LATE)
    sweep()

    assert stripe_fake.requests == {} and not ProviderCall.objects.exists()
    account = appointment_account(booked)
    assert (account.refund_due, account.refund_to_card, account.refund_at_desk) == (
        D("15.00"),
        D("0"),
        D("15.00"),
    )
    browser = Browser()
    browser.force_login(desk)
    page = browser.get(f"/staff/appointments/{booked.reference}/payments/").content.decode()
    assert "To refund at the desk" in page and "£15.00" in page
    api = APIClient()
    api.force_authenticate(desk)
    shown = api.get(f"/api/v1/appointments/{booked.reference}/payments/").json()
    assert (shown["refund_due"], shown["refund_to_card"], shown["refund_at_desk"]) == (
        "15.00",
        "0",
        "15.00",
    )


def test_a_card_refunds_no_more_than_it_paid(world, stripe_fake):
    """A card deposit and cash at the desk, then a clinic's cancellation: the card gets its
    40 back, the desk owes the cash."""
    policy(world, deposit="40")
    booked = paid_online(world, stripe_fake)
    desk = factories.StaffFactory(username="front")
    payment_record(appointment=booked, amount="30.00", kind="balance", method="cash", by=desk)

    appointment_cancel(appointment=booked, by=desk, reason="Therapist unwell")
    booked.refresh_from_db()
    account = appointment_account(booked)
    assert (account.refund_to_card, account.refund_at_desk) == (D("40.00"), D("30.00"))
    sweep()

    assert refunds(stripe_fake) == [4000]
    account = appointment_account(booked)
    assert (account.refund_to_card, account.refund_at_desk) == (D("0"), D("30.00"))
