"""Calls to the payment provider as an outbox: each is a ProviderCall row planned in the
transaction of the change that needs it, then made after that commits, by the request that
needs its answer (a deposit's payment page) or by a Celery task, and by beat's sweep for
whatever is left (a worker down, the broker down, Stripe down).

Making a call is three steps, and no database transaction is open across the HTTP call:
1. claim: under the row's lock, a PENDING call that is due and still needed (a fee not
   waived, a hold still waiting for its deposit) becomes SENDING, its attempts counted;
2. the call, with the row's key as Stripe's Idempotency-Key;
3. record, under the lock again: SENT with the provider's ids (and the payment or refund
   it made, with its receipt), or back to PENDING after a transient failure (backoff), or
   FAILED when Stripe refuses for good or the tries are used up.
A worker that dies between 1 and 3 leaves the row SENDING; the sweep gives it back after
the call's time limit and the retry, with the same key, gets Stripe's first answer: a
charge is never made twice, and no planned call is lost.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings.models import Appointment
from money import stripe_api
from money.currency import minor_unit
from money.models import Charge, Payment, ProviderCall, SavedCard

logger = logging.getLogger(__name__)

Kind, Status = ProviderCall.Kind, ProviderCall.Status
LIVE = (Status.PENDING, Status.SENDING, Status.SENT)
# A claim older than this is a worker that died mid-call: the sweep gives it back.
STALE_AFTER = timedelta(minutes=2)


def _new_key(kind: str) -> str:
    # Random, never derived from a row's id: a key reused within Stripe's 24 hours (a test
    # database made anew against one Stripe account) would get another call's answer.
    return f"lumiere-{kind}-{uuid.uuid4().hex}"


def _enqueue(call_id: int) -> None:
    from money.tasks import provider_call  # the task module imports this one

    try:
        provider_call.apply_async((call_id,), retry=False)
    except Exception:  # the broker down: beat's sweep makes the call
        logger.warning("Could not queue provider call %s; the sweep will", call_id, exc_info=True)


def plan(
    *,
    kind: str,
    appointment: Appointment | None = None,
    client_course=None,  # a course bought online (courses.ClientCourse), for its Checkout
    payload: dict,
    amount: Decimal | None = None,
    currency: str = "",
    charge: Charge | None = None,
    due_at: datetime | None = None,
    enqueue: bool = True,
) -> ProviderCall:
    """Plan a call in the caller's transaction; a task makes it once that commits (unless
    the caller makes it itself: then the sweep makes it if the caller could not)."""
    call = ProviderCall.objects.create(
        key=_new_key(kind),
        kind=kind,
        clinic_id=(appointment or client_course).clinic_id,
        appointment=appointment,
        client_course=client_course,
        charge=charge,
        amount=amount,
        currency=currency,
        payload=payload,
        due_at=due_at or timezone.now(),
    )
    if enqueue:
        transaction.on_commit(lambda: _enqueue(call.pk))
    return call


def _minor(amount: Decimal, currency: str) -> int:
    return stripe_api.minor(amount, currency)


def _major(amount_minor: int, currency: str) -> Decimal:
    return (Decimal(amount_minor) * minor_unit(currency)).quantize(minor_unit(currency))


# -- Planning, for the services ----------------------------------------------------------------


def checkout_live(appointment: Appointment) -> ProviderCall | None:
    """The deposit's Checkout call still in play for `appointment`, if any."""
    calls = ProviderCall.objects.filter(
        appointment=appointment, kind=Kind.CHECKOUT, status__in=LIVE
    )
    return next((c for c in calls.order_by("-pk") if not c.result.get("released")), None)


def checkout_release(appointment: Appointment | None = None, *, client_course=None) -> None:
    """The hold waiting for its deposit (or the course waiting for its payment) is gone, in
    that change's transaction: a Checkout call not made yet is not made; a session made is
    expired, so nothing can be paid."""
    target = {"appointment": appointment} if appointment else {"client_course": client_course}
    for call in ProviderCall.objects.select_for_update().filter(
        **target, kind=Kind.CHECKOUT, status__in=LIVE
    ):
        if call.result.get("released"):
            continue
        if call.status == Status.PENDING:
            call.status, call.done_at = Status.CANCELLED, timezone.now()
            call.save(update_fields=["status", "done_at"])
            if call.attempts == 0:
                continue  # never reached Stripe: nothing to close
            # Tried, with no answer kept: a session may exist that nobody has the address
            # of; the expiry asks for it again under the same key, and closes it.
        call.result = {**call.result, "released": True}
        call.save(update_fields=["result"])
        plan(kind=Kind.CHECKOUT_EXPIRE, **target, payload={"checkout": call.pk})


def refunds_plan(appointment: Appointment, *, reason: str, payments=None) -> list[ProviderCall]:
    """Refund in full, through the provider, each card payment made online for
    `appointment` (all of them, or those given) that no refund is planned for yet."""
    if payments is None:
        payments = appointment.payments.filter(method=Payment.Method.CARD_ONLINE).exclude(
            kind=Payment.Kind.REFUND
        )
    planned = {
        call.payload.get("payment_intent")
        for call in ProviderCall.objects.filter(appointment=appointment, kind=Kind.REFUND)
    }
    calls = []
    for payment in payments:
        if payment.provider_reference in planned:
            continue
        calls.append(
            plan(
                kind=Kind.REFUND,
                appointment=appointment,
                amount=payment.amount,
                currency=payment.currency,
                payload={"payment_intent": payment.provider_reference, "reason": reason},
            )
        )
    return calls


# A refund call counts as given from its planning on, until it is CANCELLED (never made, or
# settled at the desk by hand): one that FAILED waits for a person (money/problems.py), and
# is not planned a second time by the next event.
REFUND_COUNTED = (Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED)


def refunds_planned(appointment: Appointment) -> Decimal:
    """What is refunded to cards for `appointment`, made or still to make (REFUND_COUNTED)."""
    calls = ProviderCall.objects.filter(
        appointment=appointment, kind=Kind.REFUND, status__in=REFUND_COUNTED
    )
    return sum((c.amount or Decimal(0) for c in calls), Decimal(0))


def refund_plan(appointment: Appointment, *, amount: Decimal, reason: str) -> list[ProviderCall]:
    """Refund up to `amount` to the cards that paid online for `appointment` (in the caller's
    transaction), newest payment first, each no more than what is left of it after the
    refunds counted against it: one call per payment drawn on, partial where the amount asks
    (Stripe's Refund with `amount`). What the cards cannot take back is the desk's to give;
    the caller asks only what is not refunded yet (money/services.py `_refund_surplus`)."""
    payments = (
        appointment.payments.filter(method=Payment.Method.CARD_ONLINE)
        .exclude(kind=Payment.Kind.REFUND)
        .exclude(provider_reference="")
        .order_by("-recorded_at", "-pk")
    )
    counted: dict[str, Decimal] = {}
    for call in ProviderCall.objects.filter(
        appointment=appointment, kind=Kind.REFUND, status__in=REFUND_COUNTED
    ):
        intent = call.payload.get("payment_intent", "")
        counted[intent] = counted.get(intent, Decimal(0)) + (call.amount or Decimal(0))
    calls = []
    for payment in payments:
        if amount <= 0:
            break
        left = payment.amount - counted.get(payment.provider_reference, Decimal(0))
        part = min(left, amount)
        if part <= 0:
            continue
        calls.append(
            plan(
                kind=Kind.REFUND,
                appointment=appointment,
                amount=part,
                currency=payment.currency,
                payload={"payment_intent": payment.provider_reference, "reason": reason},
            )
        )
        amount -= part
    return calls


def fee_plan(charge: Charge, *, to_pay: Decimal) -> ProviderCall | None:
    """Charge `to_pay` of a fee to the client's saved card, after FEE_CHARGE_DELAY_MINUTES
    (the desk's time to waive it). No saved card: the fee waits at the desk."""
    card = SavedCard.objects.filter(client_id=charge.client_id, clinic_id=charge.clinic_id).first()
    if card is None or to_pay <= 0:
        return None
    if ProviderCall.objects.filter(charge=charge, kind=Kind.FEE, status__in=LIVE).exists():
        return None
    return plan(
        kind=Kind.FEE,
        appointment=charge.appointment,
        charge=charge,
        amount=to_pay,
        currency=charge.currency,
        payload={"customer": card.customer, "payment_method": card.payment_method},
        due_at=timezone.now() + timedelta(minutes=settings.FEE_CHARGE_DELAY_MINUTES),
    )


def fee_cancel(charge: Charge) -> int:
    """A waived fee is never charged: its planned call, not made yet, is dropped (in the
    waiver's transaction; a claim re-checks the waiver under the fee's lock), and one the
    card refused no longer waits for a person (money/problems.py)."""
    return ProviderCall.objects.filter(
        charge=charge, kind=Kind.FEE, status__in=(Status.PENDING, Status.FAILED)
    ).update(status=Status.CANCELLED, done_at=timezone.now())


# -- Making a call -----------------------------------------------------------------------------


def _still_needed(call: ProviderCall) -> bool:
    """Read under the call's lock, with what it depends on locked too."""
    if call.kind == Kind.CHECKOUT and call.appointment_id is None:
        # A course's: its payment or its lapse releases this call under this row's lock.
        return not call.result.get("released")
    if call.kind == Kind.CHECKOUT:
        held = Appointment.objects.select_for_update(of=("self",)).get(pk=call.appointment_id)
        # EXPIRED: a link opened after its hold lapsed books the time again if it is free.
        live = (Appointment.Status.HELD, Appointment.Status.EXPIRED)
        if call.payload.get("booked"):  # the deposit of a booking that stands (staff's)
            live = (Appointment.Status.CONFIRMED,)
        return held.status in live and not call.result.get("released")
    if call.kind == Kind.FEE:
        charge = Charge.objects.select_for_update().get(pk=call.charge_id)
        return not charge.is_waived
    return True


def _claim(call_id: int, now: datetime) -> ProviderCall | None:
    with transaction.atomic():
        call = ProviderCall.objects.select_for_update().filter(pk=call_id).first()
        if call is None or call.status != Status.PENDING or call.due_at > now:
            return None
        if call.kind == Kind.CHECKOUT_EXPIRE:
            checkout = ProviderCall.objects.get(pk=call.payload["checkout"])
            if checkout.status == Status.SENDING:
                call.due_at = now + timedelta(seconds=30)  # its session id is not known yet
                call.save(update_fields=["due_at"])
                return None
            if "session" in checkout.result:
                call.payload = {**call.payload, "session": checkout.result["session"]}
            elif checkout.attempts == 0:
                call.status, call.done_at = Status.CANCELLED, now
                call.save(update_fields=["status", "done_at"])
                return None
            else:
                call.payload = {**call.payload, "key": checkout.key, "ask": checkout.payload}
        if not _still_needed(call):
            call.status, call.done_at = Status.CANCELLED, now
            call.save(update_fields=["status", "done_at"])
            return None
        if call.attempts >= settings.PROVIDER_CALL_ATTEMPTS:  # its runs died, every one
            call.status, call.done_at = Status.FAILED, now
            call.last_error = call.last_error or "Its worker stopped during every try."
            call.save(update_fields=["status", "done_at", "last_error"])
            return None
        call.status, call.claimed_at = Status.SENDING, now
        call.attempts += 1
        call.save(update_fields=["status", "claimed_at", "attempts", "payload"])
    return call


def _send(call: ProviderCall) -> dict:
    payload, key = call.payload, call.key
    reference = call.appointment.reference if call.appointment_id else ""
    metadata = {"lumiere_appointment": reference, "lumiere_call": key}
    if call.kind == Kind.CHECKOUT:
        return stripe_api.checkout_create(key=key, payload=payload)
    if call.kind == Kind.CHECKOUT_EXPIRE:
        session = payload.get("session")
        if session is None:  # the Checkout call's answer was lost: its key gets it back
            session = stripe_api.checkout_create(key=payload["key"], payload=payload["ask"])
            session = session["session"]
        return stripe_api.checkout_expire(key=key, session=session)
    if call.kind == Kind.REFUND:
        return stripe_api.refund_create(
            key=key,
            payment_intent=payload["payment_intent"],
            amount_minor=_minor(call.amount, call.currency),
            metadata=metadata,
        )
    if call.kind == Kind.FEE:
        return stripe_api.fee_charge(
            key=key,
            customer=payload["customer"],
            payment_method=payload["payment_method"],
            amount_minor=_minor(call.amount, call.currency),
            currency=call.currency,
            description=f"{call.charge.get_kind_display()} {call.appointment.reference}",
            metadata={**metadata, "lumiere_purpose": "fee"},
        )
    raise ValueError(f"Unknown provider call {call.kind!r}")


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** (attempts - 1), 900))


def _record(call_id: int, *, result: dict | None, error: Exception | None, now: datetime) -> str:
    from money.services import provider_payment  # services plan calls through this module

    with transaction.atomic():
        call = (
            ProviderCall.objects.select_for_update(of=("self",))
            .select_related("appointment")
            .get(pk=call_id)
        )
        if call.status != Status.SENDING:
            return call.status  # swept and made again meanwhile: that run records it
        if error is None and call.kind == Kind.FEE and result.get("status") != "succeeded":
            error = RuntimeError(f"The payment is {result.get('status')}, not succeeded.")
            final = True
        else:
            final = error is not None and not stripe_api.is_transient(error)
        if error is None:
            call.status, call.result, call.done_at = Status.SENT, {**call.result, **result}, now
            call.last_error = ""
            if call.kind == Kind.REFUND and call.appointment_id:  # a course's: no ledger row
                provider_payment(
                    appointment=call.appointment,
                    amount=_major(result["amount_minor"], call.currency),
                    kind=Payment.Kind.REFUND,
                    reference=result["refund"],
                )
            elif call.kind == Kind.FEE:
                provider_payment(
                    appointment=call.appointment,
                    amount=_major(result["amount_minor"], call.currency),
                    kind=Payment.Kind.FEE,
                    reference=result["payment_intent"],
                )
        else:
            call.last_error = f"{type(error).__name__}: {error}"[:2000]
            if final:  # Stripe said no: a retry under this key gets the same no
                call.result = {**call.result, "refused": True}
            if final or call.attempts >= settings.PROVIDER_CALL_ATTEMPTS:
                call.status, call.done_at = Status.FAILED, now
            else:
                call.status, call.due_at = Status.PENDING, now + _backoff(call.attempts)
        call.save(update_fields=["status", "result", "done_at", "last_error", "due_at"])
    return call.status


def call_run(call_id: int, *, now: datetime | None = None) -> str | None:
    """Make the planned call `call_id` if it is due and still needed; the status it is left
    in (None: not this run's to make). Never inside a transaction of the caller's."""
    now = now or timezone.now()
    call = _claim(call_id, now)
    if call is None:
        return None
    try:
        result, error = _send(call), None
    except stripe_api.StripeError as failure:
        result, error = None, failure
        logger.warning("Provider call %s (%s) failed: %s", call.pk, call.kind, failure)
    status = _record(call.pk, result=result, error=error, now=timezone.now())
    logger.info("Provider call %s (%s, try %s): %s", call.pk, call.kind, call.attempts, status)
    return status


def answer_of(call: ProviderCall) -> dict | None:
    """The provider's answer to `call` (a Checkout's, for the client waiting for its page),
    making it now if nobody has, or waiting for the runner making it (never inside a
    transaction: it waits on Stripe). None: Stripe could not be reached."""
    if call.status == Status.PENDING:
        call_run(call.pk)
    deadline = time.monotonic() + settings.STRIPE_TIMEOUT_SECONDS + 5
    call.refresh_from_db()
    while call.status == Status.SENDING and time.monotonic() < deadline:
        time.sleep(0.2)  # another runner (the sweep) is making it
        call.refresh_from_db()
    return call.result if call.status == Status.SENT else None


def calls_sweep(*, now: datetime | None = None, limit: int = 200, budget: float = 15) -> int:
    """Beat: give back claims whose worker died mid-call, then make the calls that are due
    (a retry after a failure, one whose task was never queued), starting none after `budget`
    seconds (the task's time limit; the next sweep goes on). How many were made."""
    now = now or timezone.now()
    ProviderCall.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_AFTER).update(
        status=Status.PENDING
    )
    due = ProviderCall.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at")
    stop = time.monotonic() + budget
    made = 0
    for pk in due.values_list("pk", flat=True)[:limit]:
        if time.monotonic() > stop:
            break
        made += call_run(pk, now=now) is not None
    return made
