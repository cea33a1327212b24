"""Amounts as exact decimals with an ISO 4217 currency: rounding to the currency's minor unit
and showing an amount, from the CLDR data through Babel.

Why not django-money / py-moneyed: a clinic works in one currency (Clinic.currency), copied
onto each appointment and payment beside a plain DecimalField, so a Money object per field
(two columns each, with its own currency) would add a second place the currency lives and a
custom field to every migration. What we need from a money library is the currency's minor
unit (2 for GBP, 0 for JPY, 3 for BHD) and its formatting, and Babel, which py-moneyed itself
uses for both, gives exactly that.
"""

from decimal import ROUND_HALF_UP, Decimal

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision, is_currency

ZERO = Decimal("0")
LOCALE = Locale.parse("en_GB")


def is_known(code: str) -> bool:
    return bool(code) and is_currency(code)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal("0.01") for GBP, Decimal("1") for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def rounded(amount: Decimal, currency: str) -> Decimal:
    """`amount` to the currency's minor unit, half up (a half penny is a penny)."""
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def shown(amount: Decimal | None, currency: str) -> str:
    """£95.00, ¥9,500, BHD 1.250: how a person reads the amount."""
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=LOCALE)
