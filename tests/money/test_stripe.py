"""Card payments through Stripe's official library, against the fake Stripe on loopback
(tests/money/fake_stripe.py): a deposit held for and paid online, a hold that lapses unpaid,
Stripe down while booking, a charge retried after its answer was lost, webhooks duplicated
and out of order, a no-show fee charged to the saved card, a waived fee, a clinic's
cancellation refunded."""

import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse
from rest_framework.test import APIClient

from access.roles import MANAGER
from aftercare.models import Message
from bookings.models import Appointment, BookingRequest
from clinic.models import Client
from diary import holds
from diary.reservation import SlotRequest, free_practitioners
from diary.services import appointment_book, appointment_cancel, appointment_mark_no_show
from money import provider
from money.models import Payment, ProviderCall, ProviderEvent, SavedCard
from money.selectors import appointment_account
from money.services import fee_waive
from tests import factories
from tests.helpers import book_on_pages, booking_form
from tests.money.fake_stripe import sign

LONDON = ZoneInfo("Europe/London")
TUESDAY_10 = datetime.combine(date(2027, 3, 2), time(10), tzinfo=LONDON)
NOW = datetime(2027, 3, 1, 8, tzinfo=LONDON)  # the frozen clock (tests/conftest.py)
WEBHOOK = "/api/v1/payments/stripe/webhook/"


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def hold(world, email="dana@example.com") -> Appointment:
    return holds.appointment_hold(
        treatment=world.treatment,
        start=TUESDAY_10,
        contact=holds.Contact(name="Dana Client", email=email),
    ).appointment


def confirm(held: Appointment) -> Appointment:
    """The owner of the address confirms from the emailed link (diary/holds.py)."""
    booked = holds.hold_confirm(appointment=held, by=None).appointment
    booked.refresh_from_db()
    return booked


def deliver(events, api=None) -> list:
    """Post Stripe's events to the webhook, signed as Stripe signs them."""
    api = api or APIClient()
    answers = []
    for event in events:
        payload = json.dumps(event).encode()
        answers.append(
            api.post(
                WEBHOOK,
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(payload),
            )
        )
    return answers


def session_of(appointment: Appointment) -> str:
    return provider.checkout_live(appointment).result["session"]


def paid(world, stripe_fake, email="dana@example.com") -> Appointment:
    """A booking whose deposit was paid online with the test card."""
    booked = confirm(hold(world, email))
    stripe_fake.pay(session_of(booked))
    assert all(a.status_code == 200 for a in deliver(stripe_fake.take_events()))
    booked.refresh_from_db()
    return booked


def lapse() -> None:
    """DEPOSIT_HOLD_MINUTES pass: beat releases the one hold and closes its payment page."""
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        assert holds.holds_release_lapsed() == 1
        provider.calls_sweep()


def slot_free(world) -> bool:
    request = SlotRequest(treatment=world.treatment, start=TUESDAY_10, online=True, now=NOW)
    return bool(free_practitioners(request))


# -- Deposits ---------------------------------------------------------------------------------


def test_without_keys_nothing_asks_for_a_card(world, deposit_policy):
    booked = confirm(hold(world))

    assert booked.status == Appointment.Status.CONFIRMED
    assert not ProviderCall.objects.exists()
    assert appointment_account(booked).outstanding == D("20.00")  # taken at the desk


def test_a_deposit_paid_online_confirms_the_booking(world, deposit_policy, stripe_fake):
    browser = Browser()
    book_on_pages(browser, world.treatment.slug, booking_form(TUESDAY_10))
    held = Appointment.objects.get(booking_request__email="dana@example.com")
    link = reverse("online:hold", args=[held.reference, held.hold_link_token()])

    to_pay = browser.post(link)

    held.refresh_from_db()
    assert to_pay.status_code == 302 and to_pay["Location"].startswith(f"{stripe_fake.base}/pay/")
    assert held.status == Appointment.Status.HELD and held.client.email == "dana@example.com"
    assert held.held_until == NOW + timedelta(minutes=30)
    session = stripe_fake.sessions[to_pay["Location"].rsplit("/", 1)[1]]
    assert (session["amount_total"], session["currency"]) == (2000, "gbp")
    assert session["setup_future_usage"] == "off_session"
    call = ProviderCall.objects.get(kind="checkout")
    assert stripe_fake.key_uses[call.key] == 1  # the row's key was Stripe's Idempotency-Key
    waiting = text(
        browser.get(reverse("online:confirmed", args=[held.reference, held.manage_token]))
    )
    assert "Your deposit is still to pay" in waiting
    assert not Message.objects.filter(appointment=held, kind=Message.Kind.CONFIRMATION).exists()

    stripe_fake.pay(session["id"])
    answers = deliver(stripe_fake.take_events())

    held.refresh_from_db()
    assert [a.json()["outcome"] for a in answers] == ["confirmed", "ignored"]
    assert held.status == Appointment.Status.CONFIRMED and held.held_until is None
    assert held.booking_request.outcome == BookingRequest.Outcome.CONFIRMED
    deposit = Payment.objects.get(appointment=held)
    assert (deposit.kind, deposit.method, deposit.amount) == ("deposit", "card_online", D("20.00"))
    assert deposit.provider_reference == stripe_fake.charges[0]["id"]
    assert Message.objects.filter(appointment=held, kind=Message.Kind.RECEIPT).count() == 1
    assert Message.objects.filter(appointment=held, kind=Message.Kind.CONFIRMATION).count() == 1
    card = SavedCard.objects.get(client=held.client)
    assert card.payment_method == stripe_fake.charges[0]["payment_method"]
    assert "You’re booked" in text(
        browser.get(reverse("online:confirmed", args=[held.reference, held.manage_token]))
    )


def test_a_hold_not_paid_in_time_frees_the_time_and_charges_nothing(
    world, deposit_policy, stripe_fake
):
    held = confirm(hold(world))
    session = session_of(held)
    assert not slot_free(world)

    lapse()

    held.refresh_from_db()
    assert held.status == Appointment.Status.EXPIRED and slot_free(world)
    assert stripe_fake.sessions[session]["status"] == "expired"
    assert stripe_fake.charges == [] and not Payment.objects.exists()
    with pytest.raises(ValueError):
        stripe_fake.pay(session)  # the page cannot be paid any more


def test_stripe_down_while_booking_is_a_clear_answer_and_no_charge(
    world, deposit_policy, stripe_fake
):
    browser = Browser()
    book_on_pages(browser, world.treatment.slug, booking_form(TUESDAY_10))
    held = Appointment.objects.get(booking_request__email="dana@example.com")
    stripe_fake.go_down()

    answer = browser.post(reverse("online:hold", args=[held.reference, held.hold_link_token()]))
    page = text(browser.get(answer["Location"]))

    held.refresh_from_db()
    assert answer["Location"] == reverse("online:sorry", args=[world.treatment.slug])
    assert "We can’t take card payments just now" in page and "nothing was charged" in page
    assert held.status == Appointment.Status.EXPIRED and slot_free(world)
    assert held.client is None and not Client.objects.exists(), "nothing written for them"
    assert ProviderCall.objects.get(kind="checkout").status == ProviderCall.Status.CANCELLED
    stripe_fake.come_back()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        provider.calls_sweep()
    # Whether the call reached Stripe is not known: its key is asked again and the session
    # it gets, the first one if there was one, is closed.
    assert ProviderCall.objects.get(kind="checkout_expire").status == ProviderCall.Status.SENT
    assert {s["status"] for s in stripe_fake.sessions.values()} <= {"expired"}
    assert stripe_fake.charges == []


def test_stripe_failing_while_booking_is_the_api_error_shape(world, deposit_policy, stripe_fake):
    stripe_fake.fail_for(60)

    with pytest.raises(holds.PaymentUnavailable) as refused:
        confirm(hold(world))

    assert refused.value.as_dict()["code"] == "payment_unavailable"
    assert refused.value.status == 503
    assert Appointment.objects.get().status == Appointment.Status.EXPIRED
    assert stripe_fake.charges == [] and stripe_fake.sessions == {}


def test_a_link_opened_after_the_hold_lapsed_asks_the_deposit_too(
    world, deposit_policy, stripe_fake
):
    held = hold(world)
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        holds.holds_release_lapsed()
        booked = confirm(held)
        session = session_of(booked)

    assert booked.status == Appointment.Status.HELD and booked.client is not None
    assert booked.held_until == NOW + timedelta(minutes=16 + 30)
    stripe_fake.pay(session)
    deliver(stripe_fake.take_events())
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CONFIRMED


def test_a_second_confirmation_while_paying_sends_to_the_same_page(
    world, deposit_policy, stripe_fake
):
    booked = confirm(hold(world))
    again = confirm(booked)

    assert again.status == Appointment.Status.HELD
    assert len(stripe_fake.sessions) == 1 and ProviderCall.objects.count() == 1


# -- Webhooks ---------------------------------------------------------------------------------


def test_duplicate_and_out_of_order_webhooks_leave_one_state(world, deposit_policy, stripe_fake):
    booked = confirm(hold(world))
    succeeded, completed = stripe_fake.pay(session_of(booked))
    stripe_fake.take_events()
    intent = succeeded["data"]["object"]
    failed_late = stripe_fake.event("payment_intent.payment_failed", {**intent, "status": "x"})
    resent = stripe_fake.event("payment_intent.succeeded", intent)  # another id, same payment

    answers = deliver([completed, succeeded, succeeded, failed_late, resent, succeeded])

    booked.refresh_from_db()
    assert [a.json()["outcome"] for a in answers] == [
        "ignored",
        "confirmed",
        "duplicate",
        "ignored",
        "already booked",
        "duplicate",
    ]
    assert booked.status == Appointment.Status.CONFIRMED
    assert Payment.objects.filter(appointment=booked).count() == 1
    assert Message.objects.filter(appointment=booked, kind=Message.Kind.RECEIPT).count() == 1
    assert ProviderEvent.objects.count() == 4


def test_a_deposit_paid_after_the_hold_was_released_is_refunded(world, deposit_policy, stripe_fake):
    booked = confirm(hold(world))
    succeeded, _ = stripe_fake.pay(session_of(booked))  # paid as the hold lapsed
    stripe_fake.take_events()
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        holds.holds_release_lapsed()
        answers = deliver([succeeded])
        provider.calls_sweep()

    booked.refresh_from_db()
    assert answers[0].json()["outcome"] == "refunded: the hold was released"
    assert booked.status == Appointment.Status.EXPIRED
    (refund,) = stripe_fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (succeeded["data"]["object"]["id"], 2000)
    assert appointment_account(booked).paid == D("0.00")


def test_a_webhook_not_signed_by_stripe_is_refused(world, deposit_policy, stripe_fake):
    booked = confirm(hold(world))
    succeeded, _ = stripe_fake.pay(session_of(booked))
    payload = json.dumps(succeeded).encode()
    api = APIClient()

    forged = api.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret="whsec_someone_else"),
    )
    unsigned = api.post(WEBHOOK, payload, content_type="application/json")
    tampered = api.post(
        WEBHOOK,
        payload.replace(b'"amount_received": 2000', b'"amount_received": 1'),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )

    for answer in (forged, unsigned, tampered):
        assert answer.status_code == 400
        assert answer.json()["code"] == "invalid_signature"
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.HELD
    assert not Payment.objects.exists() and not ProviderEvent.objects.exists()


# -- Fees and refunds -------------------------------------------------------------------------


def no_show(world, booked) -> Appointment:
    desk = factories.StaffFactory(username="desk")
    with time_machine.travel(TUESDAY_10 + timedelta(hours=2), tick=False):
        return appointment_mark_no_show(appointment=booked, by=desk)


def fee_swept(stripe_fake) -> list:
    """Beat's sweeps around the fee's due time (FEE_CHARGE_DELAY_MINUTES after the no-show):
    nothing before it, the charge after; the webhook's answers."""
    with time_machine.travel(TUESDAY_10 + timedelta(hours=2, minutes=30), tick=False):
        assert provider.calls_sweep() == 0  # the desk's hour to waive it
    with time_machine.travel(TUESDAY_10 + timedelta(hours=3, minutes=1), tick=False):
        provider.calls_sweep()
        provider.calls_sweep()
        return deliver(stripe_fake.take_events())


def test_a_no_show_fee_is_charged_once_to_the_saved_card(world, deposit_policy, stripe_fake):
    booked = paid(world, stripe_fake)
    card = SavedCard.objects.get()
    no_show(world, booked)
    call = ProviderCall.objects.get(kind="fee")
    assert (call.amount, call.status) == (D("30.00"), "pending")  # 50 less the 20 deposit

    answers = fee_swept(stripe_fake)

    fees = [c for c in stripe_fake.charged(card.payment_method) if c["off_session"]]
    assert len(fees) == 1 and fees[0]["amount"] == 3000
    assert (fees[0]["customer"], fees[0]["payment_method"]) == (card.customer, card.payment_method)
    assert [a.json()["outcome"] for a in answers] == ["fee already recorded"]
    fee = Payment.objects.get(kind="fee")
    assert (fee.amount, fee.method, fee.provider_reference) == (
        D("30.00"),
        "card_online",
        fees[0]["id"],
    )
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.NO_SHOW
    assert appointment_account(booked).outstanding == D("0.00")  # the fee is paid in full


def test_without_a_saved_card_the_fee_waits_at_the_desk(world, deposit_policy, stripe_fake):
    client = factories.ClientFactory(clinic=world.clinic)
    front = factories.StaffFactory(username="front")

    booked = appointment_book(
        treatment=world.treatment, start=TUESDAY_10, client=client, by=front
    ).appointment
    missed = no_show(world, booked)

    assert not ProviderCall.objects.exists()
    assert appointment_account(missed).outstanding == D("50.00")


def test_a_retried_charge_is_one_charge(world, deposit_policy, stripe_fake):
    booked = paid(world, stripe_fake)
    no_show(world, booked)
    call = ProviderCall.objects.get(kind="fee")
    stripe_fake.lose_answers = 1  # Stripe charges the card; its answer never comes back

    with time_machine.travel(TUESDAY_10 + timedelta(hours=3, minutes=1), tick=False):
        provider.calls_sweep()
    call.refresh_from_db()
    assert (call.status, call.attempts) == ("pending", 1)
    assert len(stripe_fake.charges) == 2  # the deposit and the fee: Stripe did it
    with time_machine.travel(TUESDAY_10 + timedelta(hours=3, minutes=5), tick=False):
        provider.calls_sweep()

    call.refresh_from_db()
    assert (call.status, call.attempts) == ("sent", 2)
    assert stripe_fake.key_uses[call.key] == 2
    assert len(stripe_fake.charges) == 2, "the retry got the first charge back, not a second"
    assert Payment.objects.filter(kind="fee").count() == 1


def test_a_call_whose_worker_died_is_made_again_with_its_key(world, deposit_policy, stripe_fake):
    booked = paid(world, stripe_fake)
    no_show(world, booked)
    call = ProviderCall.objects.get(kind="fee")
    late = TUESDAY_10 + timedelta(hours=3, minutes=1)
    assert provider._claim(call.pk, late) is not None  # claimed, then the worker died

    with time_machine.travel(late + timedelta(minutes=3), tick=False):
        provider.calls_sweep()

    call.refresh_from_db()
    assert call.status == "sent" and len(stripe_fake.charges) == 2
    assert Payment.objects.filter(kind="fee").count() == 1


def test_a_waived_fee_is_never_charged(world, deposit_policy, stripe_fake):
    booked = paid(world, stripe_fake)
    no_show(world, booked)
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])

    fee_waive(charge=booked.charge, by=manager, reason="Her train was cancelled.")
    with time_machine.travel(TUESDAY_10 + timedelta(hours=4), tick=False):
        provider.calls_sweep()

    assert ProviderCall.objects.get(kind="fee").status == ProviderCall.Status.CANCELLED
    assert len(stripe_fake.charges) == 1  # the deposit only
    assert not Payment.objects.filter(kind="fee").exists()


def test_a_fee_waived_after_it_was_planned_is_not_claimed(world, deposit_policy, stripe_fake):
    """The claim re-checks the waiver under the fee's lock, whatever the call's status."""
    booked = paid(world, stripe_fake)
    no_show(world, booked)
    booked.charge.waived_at, booked.charge.waive_reason = NOW, "By hand."
    booked.charge.save()

    with time_machine.travel(TUESDAY_10 + timedelta(hours=4), tick=False):
        provider.calls_sweep()

    assert ProviderCall.objects.get(kind="fee").status == ProviderCall.Status.CANCELLED
    assert len(stripe_fake.charges) == 1


def test_a_clinic_cancellation_is_refunded_to_the_card(world, deposit_policy, stripe_fake):
    booked = paid(world, stripe_fake)
    desk = factories.StaffFactory(username="desk")

    appointment_cancel(appointment=booked, by=desk, reason="Therapist unwell")
    provider.calls_sweep()
    provider.calls_sweep()

    (refund,) = stripe_fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (stripe_fake.charges[0]["id"], 2000)
    back = Payment.objects.get(kind="refund")
    assert (back.amount, back.method, back.provider_reference) == (
        D("20.00"),
        "card_online",
        refund["id"],
    )
    assert appointment_account(booked).paid == D("0.00")
    assert Message.objects.filter(appointment=booked, kind=Message.Kind.RECEIPT).count() == 2


# -- The outbox's tasks -----------------------------------------------------------------------


def test_beat_sweeps_the_provider_calls_and_the_task_makes_one(world, deposit_policy, stripe_fake):
    from config.celery import app as celery_app
    from money.tasks import provider_call

    booked = paid(world, stripe_fake)
    appointment_cancel(appointment=booked, by=factories.StaffFactory(username="desk"), reason="")
    call = ProviderCall.objects.get(kind="refund")

    sweep = celery_app.conf.beat_schedule["money-provider-sweep"]
    assert (sweep["task"], sweep["schedule"]) == ("money.provider_sweep", 30)
    assert {"money.provider_sweep", "money.provider_call"} <= set(celery_app.tasks)
    assert provider_call.run(call.pk) == "sent"
    assert provider_call.run(call.pk) is None  # a second delivery of the task does nothing
    assert len(stripe_fake.refunds) == 1


def test_a_declined_card_leaves_the_fee_at_the_desk(world, deposit_policy, stripe_fake):
    booked = paid(world, stripe_fake)
    stripe_fake.decline_cards.add(SavedCard.objects.get().payment_method)
    missed = no_show(world, booked)

    with time_machine.travel(TUESDAY_10 + timedelta(hours=3, minutes=1), tick=False):
        provider.calls_sweep()
        provider.calls_sweep()

    call = ProviderCall.objects.get(kind="fee")
    assert (call.status, call.attempts) == ("failed", 1)  # a decline is final: not retried
    assert "declined" in call.last_error
    assert len(stripe_fake.charges) == 1 and not Payment.objects.filter(kind="fee").exists()
    assert appointment_account(missed).outstanding == D("30.00")


def test_a_call_whose_runs_all_died_is_marked_failed(world, deposit_policy, stripe_fake, settings):
    booked = paid(world, stripe_fake)
    no_show(world, booked)
    call = ProviderCall.objects.get(kind="fee")
    call.attempts = settings.PROVIDER_CALL_ATTEMPTS
    call.save()

    with time_machine.travel(TUESDAY_10 + timedelta(hours=3, minutes=1), tick=False):
        provider.calls_sweep()

    call.refresh_from_db()
    assert call.status == "failed" and len(stripe_fake.charges) == 1
