"""Amounts as staff read them: `{{ amount|amount:currency }}` gives £95.00 (money/currency.py)."""

from django import template

from money.currency import shown

register = template.Library()


@register.filter
def amount(value, currency: str) -> str:
    return shown(value, currency) if currency else ""
