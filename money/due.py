"""What is due for an event in an appointment's life: one pure function, plain data in, a
decision out (no database, no clock), so every path asks the same question the same way.

- booked: the deposit the policy asks for this channel (online or staff), less what is paid.
- cancelled (by or for the client): inside the late-cancellation window (less than the window
  before the start, or after it) the late-cancellation fee; outside it nothing. What was paid
  counts towards the fee; anything paid beyond it is refunded.
- no-show: the no-show fee, counted against what was paid the same way.
- cancelled by the clinic: no fee, everything paid is refunded.
- completed: the price, less any discount, less what was paid.

Deposits and fees are of the discounted price, never more than it, and rounded half up to
the currency's minor unit (money/currency.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from money.currency import ZERO, rounded

HUNDRED = Decimal(100)


class Event(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    CANCELLED_BY_CLINIC = "cancelled_by_clinic"
    COMPLETED = "completed"


class Deposit(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    PERCENTAGE = "percentage"
    FULL = "full"


class Fee(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    PERCENTAGE = "percentage"


class Owed(StrEnum):
    """What the charge of a Due is."""

    NOTHING = "nothing"
    DEPOSIT = "deposit"
    BALANCE = "balance"
    LATE_CANCELLATION_FEE = "late_cancellation_fee"
    NO_SHOW_FEE = "no_show_fee"


@dataclass(frozen=True)
class Price:
    """The price kept on the appointment when it was booked."""

    amount: Decimal
    currency: str
    discount: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return max(self.amount - self.discount, ZERO)


@dataclass(frozen=True)
class Terms:
    """A clinic's policy for one treatment (money.models.PaymentPolicy, resolved)."""

    deposit: Deposit = Deposit.NONE
    deposit_value: Decimal = ZERO  # an amount (fixed) or a percentage
    deposit_online: bool = True
    deposit_staff: bool = False
    late_cancel_window: timedelta = timedelta(hours=24)
    late_cancel_fee: Fee = Fee.NONE
    late_cancel_value: Decimal = ZERO
    no_show_fee: Fee = Fee.NONE
    no_show_value: Decimal = ZERO


@dataclass(frozen=True)
class Due:
    owed: Owed
    charge: Decimal  # what this event costs the client in all (a deposit, a fee, the price)
    to_pay: Decimal  # what of the charge is still to pay
    refund: Decimal  # what was paid beyond the charge and goes back
    currency: str


def _part(kind: str, value: Decimal, price: Price) -> Decimal:
    if kind in (Deposit.NONE, Fee.NONE):
        return ZERO
    if kind == Deposit.FULL:
        part = price.net
    elif kind == Deposit.PERCENTAGE:  # Fee.PERCENTAGE is the same string
        part = price.net * value / HUNDRED
    else:
        part = value
    return rounded(min(max(part, ZERO), price.net), price.currency)


def _settle(owed: Owed, charge: Decimal, *, paid: Decimal, price: Price) -> Due:
    if charge == ZERO and owed != Owed.BALANCE:
        owed = Owed.NOTHING
    return Due(
        owed=owed,
        charge=charge,
        to_pay=max(charge - paid, ZERO),
        refund=max(paid - charge, ZERO),
        currency=price.currency,
    )


def is_late(*, start: datetime, at: datetime, window: timedelta) -> bool:
    """Cancelled less than `window` before the start (exactly the window is in time)."""
    return start - at < window


def due(
    *,
    event: Event,
    price: Price,
    terms: Terms,
    paid: Decimal = ZERO,
    online: bool = True,
    start: datetime | None = None,
    at: datetime | None = None,
) -> Due:
    """What is due for `event`. `paid`: the payments kept so far, less refunds. `online`: the
    booking was made online (else by staff). `start` and `at` (the cancellation's time) are
    needed for a cancellation only."""
    if event == Event.BOOKED:
        asks = terms.deposit_online if online else terms.deposit_staff
        deposit = _part(terms.deposit, terms.deposit_value, price) if asks else ZERO
        # A deposit already paid is not asked again, nor refunded because it was booked.
        return Due(
            owed=Owed.DEPOSIT if deposit else Owed.NOTHING,
            charge=deposit,
            to_pay=max(deposit - paid, ZERO),
            refund=ZERO,
            currency=price.currency,
        )
    if event == Event.COMPLETED:
        return _settle(Owed.BALANCE, rounded(price.net, price.currency), paid=paid, price=price)
    if event == Event.NO_SHOW:
        fee = _part(terms.no_show_fee, terms.no_show_value, price)
        return _settle(Owed.NO_SHOW_FEE, fee, paid=paid, price=price)
    if event == Event.CANCELLED:
        if start is None or at is None:
            raise ValueError("A cancellation needs the start and the time it was cancelled.")
        late = is_late(start=start, at=at, window=terms.late_cancel_window)
        fee = _part(terms.late_cancel_fee, terms.late_cancel_value, price) if late else ZERO
        return _settle(Owed.LATE_CANCELLATION_FEE, fee, paid=paid, price=price)
    if event == Event.CANCELLED_BY_CLINIC:
        return _settle(Owed.NOTHING, ZERO, paid=paid, price=price)
    raise ValueError(f"Unknown event {event!r}.")
