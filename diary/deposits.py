"""Deposits taken online by card (Stripe), for a booking asked for online whose payment
policy asks one: the booking stays HELD (the diary's exclusion constraints count it, as any
hold) until the deposit is paid or DEPOSIT_HOLD_MINUTES pass.

1. `deposit_plan`, when the owner confirms the hold (holds.hold_confirm) and before anything
   is written for them, plans the Checkout Session as a ProviderCall; `checkout_open`, once
   that commits, makes the call at once (the client is waiting for the payment page). When
   Stripe cannot be reached the caller releases the hold: nothing is charged, nothing was
   written for the client, and the time is free again.
2. `deposit_hold`, in the transaction that binds the hold to its client, keeps it HELD for
   DEPOSIT_HOLD_MINUTES while the deposit is paid.
3. Stripe's webhook (`webhook_receive`) says the deposit is paid: the payment is kept (once),
   the card saved for later fees, and the booking confirmed with its emails planned.
4. A hold not paid in time is released by `holds_release_lapsed` (Celery beat), which also
   expires the Checkout Session (money/provider.py `checkout_release`), so it cannot be paid.

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
from money import due as rules
from money import provider, stripe_api
from money.currency import ZERO, minor_unit, shown
from money.errors import BadWebhook
from money.models import Payment, ProviderCall, ProviderEvent
from money.prices import price_of, terms_for
from money.selectors import paid_on
from money.services import card_save, provider_payment

DEPOSIT = "deposit"
# Stripe accepts a Checkout Session's expiry from 30 minutes on; the hold's release expires
# the session explicitly whenever it comes.
CHECKOUT_MIN_SECONDS = 31 * 60


def deposit_due(appointment: Appointment) -> Decimal:
    """What the policy asks an online booking to pay now, less what is paid (money/due.py)."""
    price = price_of(appointment)
    if price is None:
        return ZERO
    decision = rules.due(
        event=rules.Event.BOOKED,
        price=price,
        terms=terms_for(clinic=appointment.clinic, treatment_id=appointment.treatment_id),
        paid=paid_on(Payment.objects.filter(appointment=appointment)),
        online=True,
    )
    return decision.to_pay


def deposit_plan(held: Appointment, *, email: str, now) -> Decimal:
    """Before the hold is bound to its client: if card payments are on and the policy asks
    an online booking a deposit, plan its Checkout Session (in a transaction of its own,
    made by `checkout_open` once that commits). The amount asked; zero: nothing asked."""
    if not stripe_api.enabled():
        return ZERO
    with transaction.atomic():
        held = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("clinic", "treatment")
            .get(pk=held.pk)
        )
        amount = deposit_due(held)
        if amount <= ZERO or provider.checkout_live(held) is not None:
            return max(amount, ZERO)
        currency = held.currency or held.clinic.currency
        site = settings.SITE_URL.rstrip("/")
        link = reverse("online:confirmed", args=[held.reference, held.manage_token])
        until = now + timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES)
        description = f"Deposit for {held.treatment.name}, {held.clinic.name} ({held.reference})"
        provider.plan(
            kind=ProviderCall.Kind.CHECKOUT,
            appointment=held,
            amount=amount,
            currency=currency,
            enqueue=False,  # made by the request waiting for it
            payload={
                "email": email,
                "reference": held.reference,
                "currency": currency,
                "amount_minor": stripe_api.minor(amount, currency),
                "description": description,
                "metadata": {"lumiere_appointment": held.reference, "lumiere_purpose": DEPOSIT},
                "expires_at": int(max(until.timestamp(), time.time() + CHECKOUT_MIN_SECONDS)),
                "success_url": f"{site}{link}",
                "cancel_url": f"{site}{link}",
            },
        )
    return amount


def deposit_hold(locked: Appointment, *, now) -> Decimal:
    """In the transaction binding the hold to its client: with a payment page open for its
    deposit, it stays held DEPOSIT_HOLD_MINUTES for the deposit; the amount (zero: none)."""
    call = provider.checkout_live(locked)
    if call is None or call.status != ProviderCall.Status.SENT:
        return ZERO
    locked.held_until = now + timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES)
    return call.amount


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

    Only `payment_intent.succeeded` changes anything (a Checkout payment and a fee's charge
    both end in one, with our metadata); every other event is kept and ignored. So events
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
        _confirm_paid(appointment, amount=amount, currency=currency)
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


def _confirm_paid(appointment: Appointment, *, amount: Decimal, currency: str) -> None:
    """The deposit is paid: the held booking is the client's, confirmed (appointment
    locked by the caller)."""
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
        details={"deposit_paid": shown(amount, currency), "confirmed_from_hold": True},
    )
    planning.on_booked(appointment)
    plan_forms_reminder(appointment)
