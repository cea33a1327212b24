"""Refusals a booking operation can give. Each carries the API's `code`, a sentence for a
person, and the HTTP status the API answers with, so every caller words them alike."""


class BookingError(Exception):
    code = "booking_error"
    status = 400
    detail = "The booking could not be made."

    def __init__(self, detail: str | None = None, **extra):
        self.detail = detail or self.detail
        self.extra = extra
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail, **self.extra}


class SlotUnavailable(BookingError):
    """The time is taken or not offered. `alternatives` are the nearest free slots."""

    code = "slot_unavailable"
    status = 409
    detail = "That time is no longer available. Please choose another."

    def __init__(self, detail: str | None = None, *, alternatives: list | None = None):
        super().__init__(detail)
        self.alternatives = alternatives or []

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail, "alternatives": self.alternatives}


class TooLateToCancel(BookingError):
    code = "too_late_to_cancel"
    status = 409
    detail = (
        "This appointment is too close to its start to be changed online. Please call the clinic."
    )


class InvalidTransition(BookingError):
    """E.g. cancelling a completed appointment, completing one that has not started."""

    code = "invalid_status"
    status = 409
    detail = "The appointment cannot change that way from its current status."


class FormsUnsigned(InvalidTransition):
    """The client has not signed a form the treatment needs (consent/rules.py)."""

    code = "forms_unsigned"
    detail = "The client has not signed every form this treatment needs."

    def __init__(self, detail: str | None = None, *, forms: list[str]):
        super().__init__(detail or f"{self.detail} Still to sign: {', '.join(forms)}.", forms=forms)
        self.forms = forms


class EligibilityRefused(BookingError):
    """A clinic rule refuses the booking (waiting period, contraindication)."""

    code = "refused"
    status = 422


class WaitingPeriod(EligibilityRefused):
    """Too soon after filler, Botox or similar. `earliest_date` only when the caller may
    know it: it comes from what they declared or from their own record."""

    code = "waiting_period"
    detail = "This treatment cannot be booked this soon after your injectable treatment."

    def __init__(self, detail: str | None = None, *, earliest_date=None):
        extra = {"earliest_date": earliest_date.isoformat()} if earliest_date else {}
        super().__init__(detail, **extra)
        self.earliest_date = earliest_date


class Contraindicated(EligibilityRefused):
    code = "contraindicated"
    detail = "This treatment is not suitable with a condition you have declared."


class PrerequisiteMissing(EligibilityRefused):
    """The treatment needs another appointment first (a patch test, a consultation: see
    clinical/prerequisites.py). `required_treatment` is the slug of the one to book, when
    the clinic offers one; `available_from` the instant the booking would be allowed, when a
    prerequisite already booked makes it so later."""

    code = "prerequisite_missing"
    detail = "This treatment needs another appointment first. Please contact the clinic."

    def __init__(
        self,
        detail: str | None = None,
        *,
        required_treatment: str | None = None,
        required_name: str | None = None,
        available_from=None,
    ):
        extra = {}
        if required_treatment:
            extra["required_treatment"] = required_treatment
        if available_from:
            extra["available_from"] = available_from.isoformat()
        super().__init__(detail, **extra)
        self.required_treatment = required_treatment
        self.required_name = required_name
        self.available_from = available_from


class WarningsNotAcknowledged(EligibilityRefused):
    """Allowed, but only once the client has read and accepted these warnings."""

    code = "warnings_not_acknowledged"
    detail = "Please read these warnings and confirm you accept them to book."

    def __init__(self, detail: str | None = None, *, warnings: list[str]):
        super().__init__(detail, warnings=list(warnings))
        self.warnings = list(warnings)


class OverrideNotAllowed(BookingError):
    """Booking past a clinical rule needs the override permission."""

    code = "permission_denied"
    status = 403
    detail = "You do not have permission to book past a clinical rule."


class RoleDoesNotChange(BookingError):
    """Staff whose role does not book at the clinic (a practitioner) may not cancel or move
    its appointments, whatever manage token they present (access.may_change_appointment)."""

    code = "permission_denied"
    status = 403
    detail = (
        "Your role does not cancel or move appointments, with or without the client's link; "
        "ask the clinic's front desk."
    )


class HoldGone(BookingError):
    """The held booking was confirmed already, or released (refused, or lapsed and taken)."""

    code = "hold_gone"
    status = 410
    detail = "This booking request was already confirmed or has been released."


class TooManyHolds(BookingError):
    """Too many bookings were asked for one address lately without being confirmed: each
    emails that address, so their number is capped per address (HOLDS_PER_ADDRESS_PER_HOUR),
    whoever asks. The same for any address, client or not."""

    code = "throttled"
    status = 429
    detail = (
        "Several bookings were asked for this email address in the last hour. Please confirm "
        "one from the emails we sent, or sign in and book."
    )


class SignOffPending(BookingError):
    """A clinic rule asks for a practitioner's approval of this appointment and none has
    signed it off yet: it cannot be completed (diary/signoff.py)."""

    code = "sign_off_pending"
    status = 409
    detail = (
        "This appointment needs a practitioner's sign-off before it can be completed: "
        "approve it (or decline it) first."
    )


class NoSignOffPending(BookingError):
    """Approving or declining an appointment that waits for no sign-off (none was asked
    for, or it was decided already)."""

    code = "no_sign_off_pending"
    status = 409
    detail = "This appointment is not waiting for a sign-off."


class SignOffNotAllowed(BookingError):
    """Only a practitioner (or a clinic manager) who has the appointment on their day sheet
    signs it off (access.may_sign_off)."""

    code = "permission_denied"
    status = 403
    detail = "Only a practitioner or a clinic manager can sign off an appointment."


class PaymentUnavailable(BookingError):
    """The deposit's payment page could not be had from the payment provider (down, slow):
    the time held for it is released and nothing is charged."""

    code = "payment_unavailable"
    status = 503
    detail = (
        "Card payments cannot be taken just now, so your booking was not made and nothing "
        "was charged. Please try again in a few minutes."
    )


class CourseNotUsable(BookingError):
    """A course named for a booking cannot pay for it (another client's, not for this
    treatment, expired by the visit, its sessions all used or booked), or its sessions were
    all used by the time this appointment was completed."""

    code = "course_not_usable"
    status = 409
    detail = "This course cannot pay for this appointment."


class DiscountRefused(BookingError):
    code = "discount_refused"
    status = 400
    detail = "The discount could not be given."


class OfferGone(BookingError):
    """A waitlist offer another client accepted first, or that expired or was withdrawn:
    the time is not theirs to book any more."""

    code = "offer_gone"
    status = 409
    detail = (
        "Sorry, this time has gone: another client accepted it first, or the offer expired. "
        "You are still on the waitlist and will be offered the next time that suits you."
    )


class OfferNotYours(BookingError):
    """Accepting an offer made to another client: as if it did not exist."""

    code = "not_found"
    status = 404
    detail = "No such offer."
