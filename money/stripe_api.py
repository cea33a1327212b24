"""The calls this project makes to Stripe, through Stripe's official library (a StripeClient
per call, pointed at STRIPE_API_BASE), each with the planned row's key as its
Idempotency-Key, and the check of a webhook's signature. Nothing here touches the database:
money/provider.py plans, claims and records; this only speaks to Stripe."""

from decimal import Decimal

import stripe
from django.conf import settings

from money.currency import minor_unit

# What a call's failure is: worth trying again later (Stripe or the network down, rate
# limited), or final (a card declined, a request Stripe will never accept).
TRANSIENT = (
    stripe.APIConnectionError,
    stripe.RateLimitError,
    stripe.APIError,  # Stripe's 5xx
)
SignatureVerificationError = stripe.SignatureVerificationError
StripeError = stripe.StripeError


def enabled() -> bool:
    """Card payments are on: a secret key is configured (not in the demo)."""
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        # Our own retries, from the planned row, with the same key: never the library's.
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def is_transient(error: Exception) -> bool:
    if isinstance(error, TRANSIENT):
        return True
    status = getattr(error, "http_status", None)
    return isinstance(error, StripeError) and (status is None or status >= 500 or status == 409)


def minor(amount: Decimal, currency: str) -> int:
    """An amount in the currency's smallest unit, as Stripe counts it (pence for GBP)."""
    return int(Decimal(amount) / minor_unit(currency))


def checkout_create(*, key: str, payload: dict) -> dict:
    """A Checkout Session in payment mode for a deposit: the card is saved for later fees
    (setup_future_usage=off_session) and a customer made to hold it. With `mode: "setup"`
    in the payload, a session that only saves the card (a SetupIntent, nothing charged)."""
    common = {
        "customer_creation": "always",
        "customer_email": payload["email"],
        "client_reference_id": payload["reference"],
        "metadata": payload["metadata"],
        "expires_at": payload["expires_at"],
        "success_url": payload["success_url"],
        "cancel_url": payload["cancel_url"],
    }
    if payload.get("mode") == "setup":
        params = {
            **common,
            "mode": "setup",
            "currency": payload["currency"].lower(),
            "setup_intent_data": {
                "description": payload["description"],
                "metadata": payload["metadata"],
            },
        }
    else:
        params = {
            **common,
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payload["currency"].lower(),
                        "unit_amount": payload["amount_minor"],
                        "product_data": {"name": payload["description"]},
                    },
                }
            ],
            "payment_intent_data": {
                "setup_future_usage": "off_session",
                "description": payload["description"],
                "metadata": payload["metadata"],
            },
        }
    session = _client().v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    return {"session": session.id, "url": session.url}


def checkout_expire(*, key: str, session: str) -> dict:
    try:
        closed = _client().v1.checkout.sessions.expire(session, options={"idempotency_key": key})
    except stripe.InvalidRequestError:
        # Already expired or completed: nothing left to close (a payment that completed is
        # met by its webhook, which refunds it if the hold is gone).
        return {"session": session, "status": "not_open"}
    return {"session": closed.id, "status": closed.status}


def refund_create(*, key: str, payment_intent: str, amount_minor: int, metadata: dict) -> dict:
    refund = _client().v1.refunds.create(
        params={"payment_intent": payment_intent, "amount": amount_minor, "metadata": metadata},
        options={"idempotency_key": key},
    )
    return {"refund": refund.id, "status": refund.status, "amount_minor": refund.amount}


def fee_charge(
    *,
    key: str,
    customer: str,
    payment_method: str,
    amount_minor: int,
    currency: str,
    description: str,
    metadata: dict,
) -> dict:
    """Charge the saved card off session: the client is not there to authenticate."""
    intent = _client().v1.payment_intents.create(
        params={
            "amount": amount_minor,
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
            "description": description,
            "metadata": metadata,
        },
        options={"idempotency_key": key},
    )
    return {"payment_intent": intent.id, "status": intent.status, "amount_minor": intent.amount}


def event_from(payload: bytes, signature: str) -> stripe.Event:
    """The webhook's event, once its Stripe-Signature header is shown to be ours (raises
    SignatureVerificationError or ValueError otherwise)."""
    return stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
