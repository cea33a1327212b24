"""Refusals of the money services, in the API's shape (a `code`, a sentence, a status), as
diary/errors.py words the booking's."""


class MoneyError(Exception):
    code = "payment_error"
    status = 400
    detail = "The payment could not be recorded."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.detail
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail}


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
