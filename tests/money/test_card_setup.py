"""A card saved with a SetupIntent for fees charged later (issue 19): an online booking whose
policy asks no deposit but has a no-show fee is held while the client saves a card (a
Checkout Session in setup mode at the fake Stripe, nothing charged); the webhook saves the
card and confirms the booking; a no-show's fee is then charged to that card, off session."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange, BookingRequest
from diary import holds
from diary.errors import PaymentUnavailable
from money.models import Payment, PaymentPolicy, ProviderCall, ProviderEvent, SavedCard
from tests import factories
from tests.money.test_deposit_paths import DANA, api_book, book_signed_in, session_id
from tests.money.test_stripe import (
    NOW,
    confirm,
    deliver,
    fee_swept,
    hold,
    lapse,
    no_show,
    session_of,
    slot_free,
    text,
)


@pytest.fixture
def fee_policy(world):
    """No deposit; a no-show costs 50."""
    return PaymentPolicy.objects.create(
        clinic=world.clinic, deposit="none", no_show_fee="fixed", no_show_value=D("50")
    )


def confirmations(appointment) -> int:
    return Message.objects.filter(appointment=appointment, kind=Message.Kind.CONFIRMATION).count()


def saved(world, stripe_fake) -> Appointment:
    """A booking confirmed from its emailed hold once the client saved a card."""
    booked = confirm(hold(world))
    stripe_fake.pay(session_of(booked))
    assert [a.json()["outcome"] for a in deliver(stripe_fake.take_events())] == [
        "card saved",
        "ignored",
    ]
    booked.refresh_from_db()
    return booked


def test_a_fee_only_policy_holds_the_booking_until_a_card_is_saved(world, fee_policy, stripe_fake):
    held = confirm(hold(world))

    assert held.status == Appointment.Status.HELD and held.client.email == DANA
    assert held.held_until == NOW + timedelta(minutes=30)
    assert not slot_free(world), "the hold keeps the time"
    (session,) = stripe_fake.sessions.values()
    assert session["mode"] == "setup" and session["currency"] == "gbp"
    assert session["amount_total"] is None and "setup_future_usage" not in session
    assert session["setup_intent_metadata"] == {
        "lumiere_appointment": held.reference,
        "lumiere_purpose": "card",
    }
    call = ProviderCall.objects.get(kind="checkout", appointment=held)
    assert call.amount is None and stripe_fake.key_uses[call.key] == 1
    assert held.changes.order_by("pk").last().details["card_asked"] is True
    assert confirmations(held) == 0, "no email while the booking waits for its card"

    events = stripe_fake.pay(session["id"])
    answers = deliver(stripe_fake.take_events())

    held.refresh_from_db()
    assert [a.json()["outcome"] for a in answers] == ["card saved", "ignored"]
    assert held.status == Appointment.Status.CONFIRMED and held.held_until is None
    assert held.booking_request.outcome == BookingRequest.Outcome.CONFIRMED
    card = SavedCard.objects.get()
    intent = events[0]["data"]["object"]
    assert (card.client_id, card.clinic_id) == (held.client_id, world.clinic.pk)
    assert (card.customer, card.payment_method) == (intent["customer"], intent["payment_method"])
    assert stripe_fake.charges == [] and not Payment.objects.exists()
    assert confirmations(held) == 1
    booked = held.changes.get(action=AppointmentChange.Action.BOOKED)
    assert booked.details["card_saved"] is True

    again = deliver(events)  # Stripe delivers the same events again

    assert [a.json()["outcome"] for a in again] == ["duplicate", "duplicate"]
    another = stripe_fake.event("setup_intent.succeeded", {**intent, "payment_method": "pm_2"})
    assert deliver([another])[0].json()["outcome"] == "ignored: no card asked"
    assert SavedCard.objects.count() == 1 and confirmations(held) == 1
    assert held.changes.filter(action=AppointmentChange.Action.BOOKED).count() == 1
    assert ProviderEvent.objects.count() == 3


def test_a_no_show_after_the_card_was_saved_is_charged_to_it_once(world, fee_policy, stripe_fake):
    booked = saved(world, stripe_fake)
    card = SavedCard.objects.get()
    no_show(world, booked)
    call = ProviderCall.objects.get(kind="fee")
    assert (call.amount, call.status) == (D("50.00"), "pending")

    answers = fee_swept(stripe_fake)

    (fee,) = stripe_fake.charges
    assert fee["off_session"] and fee["amount"] == 5000
    assert (fee["customer"], fee["payment_method"]) == (card.customer, card.payment_method)
    assert [a.json()["outcome"] for a in answers] == ["fee already recorded"]
    paid = Payment.objects.get()
    assert (paid.kind, paid.amount, paid.provider_reference) == ("fee", D("50.00"), fee["id"])


def test_a_card_not_saved_in_time_releases_the_time_and_charges_nothing(
    world, fee_policy, stripe_fake
):
    held = confirm(hold(world))
    session = session_of(held)

    lapse()

    held.refresh_from_db()
    assert held.status == Appointment.Status.EXPIRED and slot_free(world)
    assert stripe_fake.sessions[session]["status"] == "expired"
    with pytest.raises(ValueError):
        stripe_fake.save_card(session)  # the page cannot be used any more
    assert stripe_fake.charges == [] and stripe_fake.setup_intents == {}
    assert not SavedCard.objects.exists() and confirmations(held) == 0


def test_a_card_saved_after_the_hold_was_released_changes_nothing(world, fee_policy, stripe_fake):
    held = confirm(hold(world))
    events = stripe_fake.pay(session_of(held))  # saved as the hold lapsed
    holds.hold_release(held, outcome=BookingRequest.Outcome.LAPSED)

    answers = deliver(stripe_fake.take_events())

    held.refresh_from_db()
    assert [a.json()["outcome"] for a in answers] == ["ignored: no card asked", "ignored"]
    assert held.status == Appointment.Status.EXPIRED and not SavedCard.objects.exists()
    unknown = events[0]["data"]["object"]
    unknown["metadata"]["lumiere_appointment"] = "NOPE"
    forged = stripe_fake.event("setup_intent.succeeded", unknown)
    assert deliver([forged])[0].json()["outcome"] == "ignored: not ours"


def test_stripe_down_while_asking_for_the_card_releases_the_time(world, fee_policy, stripe_fake):
    held = hold(world)
    stripe_fake.go_down()

    with pytest.raises(PaymentUnavailable):
        holds.hold_confirm(appointment=held, by=None)

    held.refresh_from_db()
    assert held.status == Appointment.Status.EXPIRED and slot_free(world)
    assert ProviderCall.objects.get(kind="checkout").status == ProviderCall.Status.CANCELLED
    assert not SavedCard.objects.exists() and confirmations(held) == 0


@pytest.fixture
def dana_with_card(world):
    dana = factories.ClientFactory(clinic=world.clinic, email=DANA)
    SavedCard.objects.create(
        client=dana, clinic=world.clinic, customer="cus_1", payment_method="pm_1"
    )
    return dana


def test_a_client_with_a_saved_card_is_confirmed_at_once(
    world, fee_policy, stripe_fake, dana_with_card
):
    booked = confirm(hold(world))

    assert booked.status == Appointment.Status.CONFIRMED and booked.client == dana_with_card
    assert confirmations(booked) == 1
    assert not ProviderCall.objects.exists() and stripe_fake.sessions == {}


def test_a_signed_in_client_with_a_saved_card_is_booked_at_once(
    world, fee_policy, stripe_fake, dana_with_card
):
    _, answer = book_signed_in(world)

    booked = Appointment.objects.get(client=dana_with_card)
    assert booked.status == Appointment.Status.CONFIRMED
    assert answer["Location"] == reverse(
        "online:confirmed", args=[booked.reference, booked.manage_token]
    )
    assert not ProviderCall.objects.exists() and stripe_fake.sessions == {}


def test_a_signed_in_client_is_sent_to_save_a_card_and_told_nothing_is_charged(
    world, fee_policy, stripe_fake
):
    browser, to_save = book_signed_in(world)

    held = Appointment.objects.get(client__email=DANA)
    assert held.status == Appointment.Status.HELD
    session = stripe_fake.sessions[session_id(to_save["Location"])]
    assert session["mode"] == "setup"
    page = text(browser.get(reverse("online:confirmed", args=[held.reference, held.manage_token])))
    assert "Your card is still to save" in page and "nothing is charged now" in page
    assert "deposit" not in page.lower()

    stripe_fake.save_card(session["id"])
    deliver(stripe_fake.take_events())

    held.refresh_from_db()
    assert held.status == Appointment.Status.CONFIRMED and confirmations(held) == 1
    assert SavedCard.objects.get().client == held.client


def test_the_api_answers_held_with_the_card_page(world, fee_policy, stripe_fake):
    answer = api_book(world)

    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "held"
    url = answer.json()["payment_url"]
    assert stripe_fake.sessions[session_id(url)]["mode"] == "setup"


# -- Nothing asked ----------------------------------------------------------------------------


def test_a_policy_without_fees_asks_no_card(world, stripe_fake):
    PaymentPolicy.objects.create(clinic=world.clinic, deposit="none")

    booked = confirm(hold(world))

    assert booked.status == Appointment.Status.CONFIRMED
    assert not ProviderCall.objects.exists() and stripe_fake.sessions == {}


def test_without_stripe_keys_a_fee_only_policy_asks_no_card(world, fee_policy):
    booked = confirm(hold(world))

    assert booked.status == Appointment.Status.CONFIRMED and confirmations(booked) == 1
    assert not ProviderCall.objects.exists()


def test_without_stripe_keys_a_signed_in_client_is_booked_at_once(world, fee_policy):
    book_signed_in(world)

    assert Appointment.objects.get(client__email=DANA).status == Appointment.Status.CONFIRMED
    assert not ProviderCall.objects.exists()
