"""Refusals of the money services, in the API's shape (a `code`, a sentence, a status), as
diary/errors.py words the booking's."""

from clinic.errors import Refusal


class MoneyError(Refusal):
    code = "payment_error"
    detail = "The payment could not be recorded."


class PaymentRefused(MoneyError):
    """Bad input: an amount that is not a positive amount of the currency, a refund larger
    than what was paid, an appointment nobody has confirmed."""

    code = "payment_refused"


class NotAllowed(MoneyError):
    code = "permission_denied"
    status = 403
    detail = "Your role does not do that."


class AlreadyWaived(MoneyError):
    code = "invalid_status"
    status = 409
    detail = "This fee is already waived."


class BadWebhook(MoneyError):
    """A webhook whose Stripe-Signature does not prove it came from Stripe, or whose body
    is not an event."""

    code = "invalid_signature"
    status = 400
    detail = "The webhook's signature does not match its body."
