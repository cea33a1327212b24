"""Reads of the clinic's catalogue that more than one page needs."""

from django.db.models import QuerySet

from clinic.models import Treatment


def bookable_treatments() -> QuerySet[Treatment]:
    """Every active treatment with its clinic, clinic by clinic in menu order."""
    return (
        Treatment.objects.filter(active=True)
        .select_related("clinic")
        .order_by("clinic__name", "clinic_id", "position", "name")
    )
