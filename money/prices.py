"""The price an appointment keeps from the moment it is booked, and the terms that apply to
it (its treatment's payment policy, else its clinic's)."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Q

from clinic.models import Treatment
from money.currency import ZERO, rounded
from money.due import Deposit, Fee, Price, Terms
from money.models import PaymentPolicy


class DiscountInvalid(ValueError):
    """A discount that is not an amount from 0 to the price, or a percentage from 0 to 100."""


def booked_price(
    treatment: Treatment, *, discount: Decimal = ZERO, percent: Decimal | None = None
) -> dict:
    """The fields a new appointment keeps: the treatment's price now, the discount given (an
    amount, or `percent` of the price, rounded to the currency's minor unit) and the clinic's
    currency. Reads nothing the booking has not loaded (the treatment's clinic)."""
    currency = treatment.clinic.currency
    price = rounded(treatment.price, currency)
    if percent is not None:
        percent = Decimal(percent)
        if not percent.is_finite() or not ZERO <= percent <= 100:
            raise DiscountInvalid("Give a percentage from 0 to 100.")
        discount = price * percent / 100
    discount = Decimal(discount)
    if not discount.is_finite() or discount < ZERO:
        raise DiscountInvalid("Give a discount of zero or more.")
    discount = rounded(discount, currency)
    if discount > price:
        raise DiscountInvalid(f"A discount can be no more than the price ({price} {currency}).")
    return {"price": price, "discount": discount, "currency": currency}


def price_of(appointment) -> Price | None:
    if appointment.price is None:
        return None
    return Price(
        amount=appointment.price, discount=appointment.discount, currency=appointment.currency
    )


def terms_for(*, clinic, treatment_id: int) -> Terms:
    """The treatment's policy, else the clinic's, else none (one query)."""
    policy = (
        PaymentPolicy.objects.filter(clinic=clinic)
        .filter(Q(treatment_id=treatment_id) | Q(treatment__isnull=True))
        .order_by(F("treatment_id").asc(nulls_last=True))
        .first()
    )
    default_window = timedelta(hours=clinic.cancellation_window_hours)
    if policy is None:
        return Terms(late_cancel_window=default_window)
    return Terms(
        deposit=Deposit(policy.deposit),
        deposit_value=policy.deposit_value,
        deposit_online=policy.deposit_online,
        deposit_staff=policy.deposit_staff,
        late_cancel_window=(
            default_window
            if policy.late_cancel_window_hours is None
            else timedelta(hours=policy.late_cancel_window_hours)
        ),
        late_cancel_fee=Fee(policy.late_cancel_fee),
        late_cancel_value=policy.late_cancel_value,
        no_show_fee=Fee(policy.no_show_fee),
        no_show_value=policy.no_show_value,
    )
