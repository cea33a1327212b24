"""Deposits taken by card (Stripe), as the payment policy asks them (money/due.py
`deposit_online`, `deposit_staff`), on every booking path.

Asked of a booking made online (an anonymous visitor's hold confirmed from the emailed link,
holds.hold_confirm; a signed-in client booking for themself, services.appointment_book with
`pay_online`): the booking stays HELD (the diary's exclusion constraints count it, as any
hold) until the deposit is paid or DEPOSIT_HOLD_MINUTES pass.

1. The Checkout Session is planned as a ProviderCall (`deposit_plan` before the hold is
   bound to its client; `deposit_ask` in the booking's own transaction); once that commits
   the request makes the call (`checkout_open`, holds.deposit_page) and sends the client to
   the payment page. When Stripe cannot be reached the hold is released at once: nothing is
   charged and the time is free again.
2. `deposit_hold`, in the transaction that binds the hold to its client, keeps it HELD for
   DEPOSIT_HOLD_MINUTES while the deposit is paid.
3. Stripe's webhook (`webhook_receive`) says the deposit is paid: the payment is kept (once),
   the card saved for later fees, and the booking confirmed with its emails planned (none
   is planned while it waits).
4. A hold not paid in time is released by `holds_release_lapsed` (Celery beat), which also
   expires the Checkout Session (money/provider.py `checkout_release`), so it cannot be paid.

Asked of a booking staff make (the client on the phone, `deposit_staff`): the booking is
confirmed at once, the deposit shows as due on its payments page, and the client is emailed
(Message.Kind.DEPOSIT_DUE, planned in the booking's transaction) a link to a Lumière page
(online:deposit) that makes a Checkout Session when they press Pay (`deposit_checkout`).
Chosen over a Checkout Session made at booking time and put into the email: the booking
never waits on Stripe, an outage when booking or when the email goes costs nothing (the
page says to try again), and a session is made only when wanted, with a short life, rather
than one that would outlive Stripe's 24-hour limit before the client reads their email. The
webhook records the payment with its receipt; an unpaid deposit never releases the booking
(staff decide), and cancelling it closes a payment page still open (`deposit_withdraw`).

A card kept for fees (issue 19): an online booking whose policy asks no deposit but has a
late-cancellation or no-show fee, for a client with no card saved at the clinic, is held the
same way for a Checkout Session in setup mode (`CARD`: a SetupIntent, nothing charged). The
same ProviderCall kind carries it (payload `mode: "setup"`, no amount), so its lapse and
expiry are the deposit's; Stripe's `setup_intent.succeeded` saves the card and confirms the
booking as a paid deposit does. Chosen over saving nothing until a fee falls due: a fee can
only be charged off session to a card the client saved while present.

Without Stripe keys (the demo), nothing here asks for anything: the booking is confirmed as
before and the deposit is taken at the desk.
"""

import json
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from aftercare import planning
from bookings.history import change_record
from bookings.models import Appointment, AppointmentChange, BookingRequest
from consent.planning import plan_forms_reminder
from diary import course_payments
from diary.errors import PaymentUnavailable
from money import due as rules
from money import provider, stripe_api
from money.currency import ZERO, minor_unit, shown
from money.due import Price, Terms
from money.errors import BadWebhook
from money.models import Payment, ProviderCall, ProviderEvent, SavedCard
from money.prices import price_of, terms_for
from money.selectors import paid_on
from money.services import card_save, provider_payment

DEPOSIT = "deposit"
CARD = "card"  # a card saved for later fees (setup mode), nothing charged
SETUP = "setup"
# Stripe accepts a Checkout Session's expiry from 30 minutes on; the hold's release expires
# the session explicitly whenever it comes.
CHECKOUT_MIN_SECONDS = 31 * 60
# A session made for a confirmed booking's deposit is shown again while it has this long
# left; nearer its end, a new one is made.
CHECKOUT_REUSE_SECONDS = 10 * 60
PAYMENT_UNAVAILABLE_BOOKED = (
    "Card payments cannot be taken just now. Your booking stands and nothing was charged: "
    "please try again in a few minutes."
)


def _asked(price, *, clinic, treatment_id: int, paid: Decimal, online: bool) -> Decimal:
    decision = rules.due(
        event=rules.Event.BOOKED,
        price=price,
        terms=terms_for(clinic=clinic, treatment_id=treatment_id),
        paid=paid,
        online=online,
    )
    return decision.to_pay


def deposit_due(appointment: Appointment) -> Decimal:
    """What the policy asks the booking to pay now, for the channel it was booked through,
    less what is paid (money/due.py)."""
    price = price_of(appointment)
    if price is None:
        return ZERO
    return _asked(
        price,
        clinic=appointment.clinic,
        treatment_id=appointment.treatment_id,
        paid=paid_on(Payment.objects.filter(appointment=appointment)),
        online=appointment.channel == Appointment.Channel.ONLINE,
    )


def deposit_asked(*, treatment, price: dict, online: bool) -> Decimal:
    """What the policy asks a booking about to be made to pay by card (zero: nothing, and
    always without card payments on). `price`: the fields it will keep (money/prices.py), so
    a course's session, whose whole price is its discount, asks nothing."""
    if not stripe_api.enabled():
        return ZERO
    kept = Price(amount=price["price"], discount=price["discount"], currency=price["currency"])
    return _asked(
        kept, clinic=treatment.clinic, treatment_id=treatment.pk, paid=ZERO, online=online
    )


def _fees_asked(price: Price, terms: Terms) -> bool:
    """A late cancellation or a no-show would cost this booking something."""
    moment = timezone.now()  # cancelled at its very start: late for any window but zero
    late = rules.due(event=rules.Event.CANCELLED, price=price, terms=terms, start=moment, at=moment)
    no_show = rules.due(event=rules.Event.NO_SHOW, price=price, terms=terms)
    return late.charge > ZERO or no_show.charge > ZERO


def _card_wanted(price: Price | None, *, clinic, treatment_id: int, client) -> bool:
    if price is None or not stripe_api.enabled():
        return False
    if client is not None and SavedCard.objects.filter(client=client, clinic=clinic).exists():
        return False
    return _fees_asked(price, terms_for(clinic=clinic, treatment_id=treatment_id))


def card_asked(*, treatment, price: dict, client) -> bool:
    """An online booking about to be made that asks no deposit: does its policy have a fee
    a saved card would pay, with no card of `client`'s saved at the clinic yet? Then it is
    held while the client saves one (setup mode, nothing charged)."""
    kept = Price(amount=price["price"], discount=price["discount"], currency=price["currency"])
    return _card_wanted(kept, clinic=treatment.clinic, treatment_id=treatment.pk, client=client)


def _checkout_plan(
    appointment: Appointment, *, email: str, amount: Decimal, until, back: str, booked: bool
) -> ProviderCall:
    """Plan the deposit's Checkout Session (in the caller's transaction); made by the request
    waiting for it. `back`: the page Stripe sends the client back to; `booked`: the booking
    stands whether or not it is paid (staff's), so the call is wanted while it is confirmed.
    `amount` zero: a card saved for later fees, in setup mode, nothing charged."""
    currency = appointment.currency or appointment.clinic.currency
    site = settings.SITE_URL.rstrip("/")
    treatment, clinic = appointment.treatment, appointment.clinic
    reference = appointment.reference
    if amount > ZERO:
        description = f"Deposit for {treatment.name}, {clinic.name} ({reference})"
        ask = {"amount_minor": stripe_api.minor(amount, currency)}
        purpose = DEPOSIT
    else:
        description = f"Card kept by {clinic.name} for its cancellation and no-show fees"
        ask, amount, purpose = {"mode": SETUP}, None, CARD
    return provider.plan(
        kind=ProviderCall.Kind.CHECKOUT,
        appointment=appointment,
        amount=amount,
        currency=currency,
        enqueue=False,  # made by the request waiting for it
        payload={
            "email": email,
            "reference": reference,
            "currency": currency,
            **ask,
            "description": description,
            "metadata": {"lumiere_appointment": reference, "lumiere_purpose": purpose},
            "expires_at": int(max(until.timestamp(), time.time() + CHECKOUT_MIN_SECONDS)),
            "success_url": f"{site}{back}",
            "cancel_url": f"{site}{back}",
            **({"booked": True} if booked else {}),
        },
    )


def _confirmed_page(appointment: Appointment) -> str:
    return reverse("online:confirmed", args=[appointment.reference, appointment.manage_token])


def deposit_plan(held: Appointment, *, email: str, client, now) -> bool:
    """Before the hold is bound to its client (`client`: the one on record for the address,
    if any): if card payments are on and the policy asks an online booking a deposit, or a
    card for its fees that the client has not saved at the clinic, plan its Checkout
    Session (in a transaction of its own, made by `checkout_open` once that commits).
    False: nothing asked."""
    if not stripe_api.enabled():
        return False
    with transaction.atomic():
        held = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("clinic", "treatment")
            .get(pk=held.pk)
        )
        amount = deposit_due(held)
        if amount <= ZERO and not _card_wanted(
            price_of(held), clinic=held.clinic, treatment_id=held.treatment_id, client=client
        ):
            return False
        if provider.checkout_live(held) is not None:
            return True
        _checkout_plan(
            held,
            email=email,
            amount=max(amount, ZERO),
            until=now + timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES),
            back=_confirmed_page(held),
            booked=False,
        )
    return True


def deposit_ask(appointment: Appointment, *, amount: Decimal, email: str) -> None:
    """In the transaction of a booking made online and held for its deposit, or (`amount`
    zero) for a card saved for its fees (services.appointment_book, `held_until` set): plan
    its Checkout Session, which the caller makes once that commits (holds.deposit_page)."""
    _checkout_plan(
        appointment,
        email=email,
        amount=amount,
        until=appointment.held_until,
        back=_confirmed_page(appointment),
        booked=False,
    )


def deposit_request(appointment: Appointment, *, amount: Decimal) -> None:
    """In the transaction of a booking staff made whose deposit the policy asks: email the
    client the link to the page where they pay it (online:deposit). A client with no
    address is asked at the desk."""
    if appointment.client.email:
        currency = appointment.currency or appointment.clinic.currency
        planning.on_deposit_due(appointment, amount=shown(amount, currency))


def deposit_checkout(appointment: Appointment, *, now) -> str | None:
    """The payment page for the deposit still due on a confirmed booking (staff's, from the
    emailed link): a Checkout Session planned and made now, or the one made a moment ago if
    it is still open for a while. None: nothing to pay (paid, cancelled, card payments off).
    Stripe unreachable: the call is dropped (its session, if one was made, expired) and
    PaymentUnavailable raised; the booking stands."""
    if not stripe_api.enabled():
        return None
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("clinic", "treatment", "client")
            .get(pk=appointment.pk)
        )
        amount = deposit_due(locked)
        if locked.status != Appointment.Status.CONFIRMED or amount <= ZERO:
            return None
        live = provider.checkout_live(locked)
        fresh = now.timestamp() + CHECKOUT_REUSE_SECONDS
        if live is None or live.payload.get("expires_at", 0) < fresh:
            provider.checkout_release(locked)  # one about to lapse is closed, a new one made
            _checkout_plan(
                locked,
                email=locked.client.email,
                amount=amount,
                until=now,
                back=reverse("online:deposit", args=[locked.reference, locked.manage_token]),
                booked=True,
            )
    url = checkout_open(appointment)
    if url is None:
        with transaction.atomic():
            provider.checkout_release(
                Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
            )
        raise PaymentUnavailable(PAYMENT_UNAVAILABLE_BOOKED)
    return url


def deposit_withdraw(appointment: Appointment) -> None:
    """In the transaction cancelling a booking: a payment page still open for its deposit
    (staff's booking, from the emailed link) is closed, so nothing is paid for a visit that
    will not happen. A session already paid is left alone (its refund is the cancellation's)."""
    if not stripe_api.enabled() or provider.checkout_live(appointment) is None:
        return
    if deposit_due(appointment) > ZERO:
        provider.checkout_release(appointment)


def deposit_hold(locked: Appointment, *, now) -> dict:
    """In the transaction binding the hold to its client: with a payment page open for its
    deposit (or its card), it stays held DEPOSIT_HOLD_MINUTES; what is asked, for the
    booking's history (empty: nothing, it is confirmed)."""
    call = provider.checkout_live(locked)
    if call is None or call.status != ProviderCall.Status.SENT:
        return {}
    locked.held_until = now + timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES)
    return asked_details(call.amount or ZERO)


def asked_details(amount: Decimal) -> dict:
    """What a booking held for its payment page asks, as its history keeps it."""
    return {"deposit_asked": str(amount)} if amount > ZERO else {"card_asked": True}


def is_card_setup(appointment: Appointment) -> bool:
    """Its payment page saves a card for fees and charges nothing."""
    call = provider.checkout_live(appointment)
    return call is not None and call.payload.get("mode") == SETUP


def is_waiting_for_deposit(appointment: Appointment) -> bool:
    return (
        appointment.status == Appointment.Status.HELD
        and appointment.client_id is not None
        and provider.checkout_live(appointment) is not None
    )


def checkout_open(appointment: Appointment) -> str | None:
    """The address of the deposit's payment page, making the planned call now if nobody has
    (never inside a transaction: it waits on Stripe). None: Stripe could not be reached."""
    call = provider.checkout_live(appointment)
    answer = provider.answer_of(call) if call is not None else None
    return answer.get("url") if answer else None


def payment_url(appointment: Appointment) -> str | None:
    call = provider.checkout_live(appointment)
    return call.result.get("url") if call is not None else None


# -- Stripe's webhook --------------------------------------------------------------------------


def webhook_receive(*, payload: bytes, signature: str) -> str:
    """Apply one webhook event, once: its id is kept in the transaction of its effects, so a
    second delivery changes nothing. Raises BadWebhook for a body the signature does not
    prove (or when card payments are off). Returns what it did, for the log.

    Only `payment_intent.succeeded` (a Checkout payment and a fee's charge both end in one,
    with our metadata) and `setup_intent.succeeded` (a card saved for fees) change anything;
    every other event is kept and ignored. So events
    arriving out of order cannot undo a payment: a `payment_failed` or `checkout.session.
    expired` after the success is ignored, and a success for a payment already kept (under
    any event id) is recognised by its PaymentIntent id.

    A deposit paid after its hold was released (the session was paid as the hold lapsed,
    before its expiry reached Stripe) is refunded in full, automatically: the time may be
    someone else's by then, and booking it "if still free" would confirm a time the client
    was told had lapsed. The client books again."""
    if not stripe_api.enabled():
        raise BadWebhook("Card payments are not configured here.")
    try:
        event = stripe_api.event_from(payload, signature)
        body = json.loads(payload)
    except (stripe_api.SignatureVerificationError, ValueError):
        raise BadWebhook() from None
    with transaction.atomic():
        _, new = ProviderEvent.objects.get_or_create(
            event_id=event.id, defaults={"type": body.get("type", "")[:80]}
        )
        if not new:
            return "duplicate"
        outcome = _apply(body)
        ProviderEvent.objects.filter(event_id=event.id).update(outcome=outcome)
    return outcome


def _amount(obj: dict, currency: str) -> Decimal:
    unit = minor_unit(currency)
    return (Decimal(int(obj.get("amount_received") or obj.get("amount") or 0)) * unit).quantize(
        unit
    )


def _apply(body: dict) -> str:
    if body.get("type") == "setup_intent.succeeded":
        return _card_saved(body.get("data", {}).get("object", {}))
    if body.get("type") != "payment_intent.succeeded":
        return "ignored"
    intent = body.get("data", {}).get("object", {})
    metadata = intent.get("metadata") or {}
    purpose = metadata.get("lumiere_purpose")
    if purpose == course_payments.COURSE:
        return course_payments.course_paid(intent)
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "treatment")
        .filter(reference=metadata.get("lumiere_appointment", ""))
        .first()
    )
    if appointment is None or appointment.client_id is None or purpose not in (DEPOSIT, "fee"):
        return "ignored: not ours"
    currency = appointment.currency or appointment.clinic.currency
    amount = _amount(intent, currency)
    if amount <= ZERO:
        return "ignored: no amount"
    if purpose == "fee":
        _, new = provider_payment(
            appointment=appointment, amount=amount, kind=Payment.Kind.FEE, reference=intent["id"]
        )
        return "fee recorded" if new else "fee already recorded"
    payment, new = provider_payment(
        appointment=appointment, amount=amount, kind=Payment.Kind.DEPOSIT, reference=intent["id"]
    )
    card_save(
        client_id=appointment.client_id,
        clinic_id=appointment.clinic_id,
        customer=intent.get("customer") or "",
        payment_method=intent.get("payment_method") or "",
    )
    if appointment.status == Appointment.Status.HELD:
        _confirm_held(appointment, details={"deposit_paid": shown(amount, currency)})
        return "confirmed"
    if appointment.status in (
        Appointment.Status.CONFIRMED,
        Appointment.Status.COMPLETED,
        Appointment.Status.NO_SHOW,
    ):
        return "already booked"
    if new:
        provider.refunds_plan(
            appointment, payments=[payment], reason="paid after the hold was released"
        )
    return "refunded: the hold was released"


def _card_saved(intent: dict) -> str:
    """A card saved for fees (setup mode): kept, and the booking held for it confirmed. Only
    while it waits for one: a second card, or a card saved after the hold was released,
    changes nothing (nothing was charged, so nothing is refunded)."""
    metadata = intent.get("metadata") or {}
    if metadata.get("lumiere_purpose") != CARD:
        return "ignored: not ours"
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "treatment")
        .filter(reference=metadata.get("lumiere_appointment", ""))
        .first()
    )
    if appointment is None or appointment.client_id is None:
        return "ignored: not ours"
    if appointment.status != Appointment.Status.HELD or not is_card_setup(appointment):
        return "ignored: no card asked"
    card_save(
        client_id=appointment.client_id,
        clinic_id=appointment.clinic_id,
        customer=intent.get("customer") or "",
        payment_method=intent.get("payment_method") or "",
    )
    _confirm_held(appointment, details={"card_saved": True})
    return "card saved"


def _confirm_held(appointment: Appointment, *, details: dict) -> None:
    """The deposit is paid (or the card saved): the held booking is the client's,
    confirmed (appointment locked by the caller)."""
    appointment.status = Appointment.Status.CONFIRMED
    appointment.held_until = None
    appointment.save(update_fields=["status", "held_until", "updated_at"])
    BookingRequest.objects.filter(appointment=appointment).update(
        outcome=BookingRequest.Outcome.CONFIRMED, decided_at=timezone.now()
    )
    change_record(
        appointment,
        action=AppointmentChange.Action.BOOKED,
        by=None,
        channel=Appointment.Channel.ONLINE,
        from_status=Appointment.Status.HELD,
        details={**details, "confirmed_from_hold": True},
    )
    planning.on_booked(appointment)
    plan_forms_reminder(appointment)
