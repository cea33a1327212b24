"""Small helpers for the booking page templates: prices and the calendar's query strings."""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django import template
from django.utils import timezone

register = template.Library()

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(amount: Decimal, currency: str) -> str:
    """£95 or £95.50; a currency without a symbol here is written as its code (CHF 95)."""
    figure = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{figure}" if symbol else f"{currency} {figure}"


@register.simple_tag
def query(**params) -> str:
    """A URL query string from the non-empty params: dates as YYYY-MM-DD, instants in the
    active (clinic's) time zone with their offset, models by pk."""
    pairs = {}
    for name, value in params.items():
        if value is None or value == "":
            continue
        if isinstance(value, datetime):
            value = timezone.localtime(value).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        pairs[name] = value
    return urlencode(pairs)
