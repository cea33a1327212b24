"""money/due.py on its own: plain data in, a decision out; no database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from money.currency import minor_unit, rounded, shown
from money.due import Deposit, Event, Fee, Owed, Price, Terms, due, is_late

START = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
GBP_95 = Price(amount=D("95.00"), currency="GBP")


def test_it_asks_no_deposit_without_a_policy():
    decision = due(event=Event.BOOKED, price=GBP_95, terms=Terms())
    assert (decision.owed, decision.charge, decision.to_pay) == (Owed.NOTHING, D(0), D(0))


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (Deposit.FIXED, D("20"), D("20.00")),
        (Deposit.PERCENTAGE, D("25"), D("23.75")),
        (Deposit.FULL, D("0"), D("95.00")),
        (Deposit.FIXED, D("500"), D("95.00")),  # never more than the price
        (Deposit.NONE, D("30"), D("0")),
    ],
)
def test_it_asks_the_deposit_of_the_policy(kind, value, expected):
    terms = Terms(deposit=kind, deposit_value=value)
    decision = due(event=Event.BOOKED, price=GBP_95, terms=terms)
    assert decision.charge == expected
    assert decision.to_pay == expected
    assert decision.currency == "GBP"


def test_a_percentage_deposit_is_of_the_discounted_price():
    price = Price(amount=D("95.00"), discount=D("15.00"), currency="GBP")
    terms = Terms(deposit=Deposit.PERCENTAGE, deposit_value=D("50"))
    assert due(event=Event.BOOKED, price=price, terms=terms).charge == D("40.00")


def test_a_full_deposit_is_the_discounted_price():
    price = Price(amount=D("95.00"), discount=D("10.50"), currency="GBP")
    assert due(event=Event.BOOKED, price=price, terms=Terms(deposit=Deposit.FULL)).charge == D(
        "84.50"
    )


@pytest.mark.parametrize(
    ("amount", "percent", "currency", "expected"),
    [
        (D("99.99"), D("33"), "GBP", D("33.00")),  # 32.9967 -> 33.00
        (D("10.10"), D("25"), "GBP", D("2.53")),  # 2.525 rounds half up
        (D("10.30"), D("15"), "GBP", D("1.55")),  # 1.545 rounds half up
        (D("9999"), D("12.5"), "JPY", D("1250")),  # no minor unit: 1249.875 -> 1250
        (D("8001"), D("50"), "JPY", D("4001")),  # 4000.5 -> 4001
    ],
)
def test_it_rounds_to_the_currency_minor_unit(amount, percent, currency, expected):
    terms = Terms(deposit=Deposit.PERCENTAGE, deposit_value=percent)
    price = Price(amount=amount, currency=currency)
    decision = due(event=Event.BOOKED, price=price, terms=terms)
    assert decision.charge == expected
    assert decision.charge.as_tuple().exponent == minor_unit(currency).as_tuple().exponent


def test_the_deposit_asks_only_the_channels_the_policy_names():
    online_only = Terms(deposit=Deposit.FIXED, deposit_value=D("20"))
    assert due(event=Event.BOOKED, price=GBP_95, terms=online_only, online=True).charge == D("20")
    assert due(event=Event.BOOKED, price=GBP_95, terms=online_only, online=False).charge == D(0)
    staff_only = Terms(
        deposit=Deposit.FIXED, deposit_value=D("20"), deposit_online=False, deposit_staff=True
    )
    assert due(event=Event.BOOKED, price=GBP_95, terms=staff_only, online=True).charge == D(0)
    assert due(event=Event.BOOKED, price=GBP_95, terms=staff_only, online=False).charge == D("20")


def test_a_deposit_paid_is_not_asked_again_nor_refunded():
    terms = Terms(deposit=Deposit.FIXED, deposit_value=D("20"))
    part = due(event=Event.BOOKED, price=GBP_95, terms=terms, paid=D("5"))
    assert (part.to_pay, part.refund) == (D("15"), D(0))
    more = due(event=Event.BOOKED, price=GBP_95, terms=terms, paid=D("50"))
    assert (more.to_pay, more.refund) == (D(0), D(0))


LATE = Terms(
    late_cancel_window=timedelta(hours=24),
    late_cancel_fee=Fee.PERCENTAGE,
    late_cancel_value=D("50"),
)


@pytest.mark.parametrize(
    ("before_start", "late"),
    [
        (timedelta(hours=24, seconds=1), False),
        (timedelta(hours=24), False),  # exactly the window is in time
        (timedelta(hours=24) - timedelta(microseconds=1), True),
        (timedelta(hours=1), True),
        (timedelta(0), True),
        (-timedelta(hours=1), True),  # after the start
    ],
)
def test_the_late_cancellation_window_edges(before_start, late):
    assert is_late(start=START, at=START - before_start, window=timedelta(hours=24)) is late
    decision = due(
        event=Event.CANCELLED, price=GBP_95, terms=LATE, start=START, at=START - before_start
    )
    assert decision.charge == (D("47.50") if late else D(0))
    assert decision.owed == (Owed.LATE_CANCELLATION_FEE if late else Owed.NOTHING)


def test_a_late_cancellation_counts_what_was_paid_towards_the_fee():
    at = START - timedelta(hours=2)
    short = due(event=Event.CANCELLED, price=GBP_95, terms=LATE, start=START, at=at, paid=D(20))
    assert (short.to_pay, short.refund) == (D("27.50"), D(0))
    over = due(event=Event.CANCELLED, price=GBP_95, terms=LATE, start=START, at=at, paid=D(95))
    assert (over.to_pay, over.refund) == (D(0), D("47.50"))


def test_a_cancellation_in_time_refunds_everything_paid():
    at = START - timedelta(days=3)
    decision = due(
        event=Event.CANCELLED, price=GBP_95, terms=LATE, start=START, at=at, paid=D("20")
    )
    assert (decision.charge, decision.to_pay, decision.refund) == (D(0), D(0), D("20"))


def test_a_cancellation_needs_its_times():
    with pytest.raises(ValueError):
        due(event=Event.CANCELLED, price=GBP_95, terms=LATE)


@pytest.mark.parametrize(
    ("fee", "value", "expected"),
    [
        (Fee.FIXED, D("30"), D("30.00")),
        (Fee.PERCENTAGE, D("100"), D("95.00")),
        (Fee.PERCENTAGE, D("10"), D("9.50")),
        (Fee.FIXED, D("200"), D("95.00")),
        (Fee.NONE, D("50"), D(0)),
    ],
)
def test_a_no_show_is_charged_the_no_show_fee(fee, value, expected):
    terms = Terms(no_show_fee=fee, no_show_value=value)
    decision = due(event=Event.NO_SHOW, price=GBP_95, terms=terms, paid=D("20"))
    assert decision.charge == expected
    assert decision.to_pay == max(expected - D("20"), D(0))
    assert decision.refund == max(D("20") - expected, D(0))


def test_a_no_show_fee_is_of_the_discounted_price():
    price = Price(amount=D("100"), discount=D("20"), currency="GBP")
    terms = Terms(no_show_fee=Fee.PERCENTAGE, no_show_value=D("50"))
    assert due(event=Event.NO_SHOW, price=price, terms=terms).charge == D("40.00")


def test_a_clinic_cancellation_refunds_everything_and_charges_nothing():
    terms = Terms(
        deposit=Deposit.FULL,
        late_cancel_fee=Fee.PERCENTAGE,
        late_cancel_value=D(100),
        no_show_fee=Fee.FIXED,
        no_show_value=D(50),
    )
    decision = due(
        event=Event.CANCELLED_BY_CLINIC,
        price=GBP_95,
        terms=terms,
        paid=D("95.00"),
        start=START,
        at=START - timedelta(minutes=5),
    )
    assert decision.owed == Owed.NOTHING
    assert (decision.charge, decision.to_pay, decision.refund) == (D(0), D(0), D("95.00"))


def test_completing_leaves_the_balance_of_the_discounted_price():
    price = Price(amount=D("95.00"), discount=D("5.00"), currency="GBP")
    decision = due(event=Event.COMPLETED, price=price, terms=Terms(), paid=D("20"))
    assert (decision.owed, decision.charge, decision.to_pay) == (Owed.BALANCE, D("90.00"), D(70))
    overpaid = due(event=Event.COMPLETED, price=price, terms=Terms(), paid=D("100"))
    assert (overpaid.to_pay, overpaid.refund) == (D(0), D("10.00"))


def test_a_discount_larger_than_the_price_leaves_nothing_to_pay():
    price = Price(amount=D("50"), discount=D("80"), currency="GBP")
    assert price.net == D(0)
    assert due(event=Event.BOOKED, price=price, terms=Terms(deposit=Deposit.FULL)).charge == D(0)


def test_currency_helpers():
    assert minor_unit("GBP") == D("0.01")
    assert minor_unit("JPY") == D("1")
    assert rounded(D("1.005"), "GBP") == D("1.01")
    assert shown(D("95"), "GBP") == "£95.00"
    assert shown(None, "GBP") == ""
