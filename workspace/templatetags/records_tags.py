"""Reading the records' per-appointment maps on the diary's pages."""

from django import template

register = template.Library()


@register.filter
def of(mapping, key):
    """mapping[key], or None: {{ records.last|of:a.pk }}."""
    return mapping.get(key) if mapping else None
