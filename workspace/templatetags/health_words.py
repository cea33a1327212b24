"""The clinical record's words on the staff pages (clinical/vocabulary.py)."""

from django import template

from clinical.vocabulary import area_labels as labels

register = template.Library()


@register.filter
def area_labels(areas) -> list[str]:
    """Face areas as the staff pages name them: ["glabella"] -> ["Glabella (frown lines)"]."""
    return labels(areas)
