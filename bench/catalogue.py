"""Records every seeded bench clinic needs alike: resource kinds, opening hours, treatments."""

from datetime import time
from decimal import Decimal

from clinic.models import OpeningHours, ResourceKind, Treatment, TreatmentCategory


def resource_kind(slug: str) -> ResourceKind:
    kind, _ = ResourceKind.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").capitalize()}
    )
    return kind


def open_hours(clinic, weekdays, opens: int, closes: int) -> None:
    OpeningHours.objects.bulk_create(
        OpeningHours(clinic=clinic, weekday=weekday, opens=time(opens), closes=time(closes))
        for weekday in weekdays
    )


def add_treatment(clinic, slug: str, *, minutes: int, buffer: int, kinds) -> Treatment:
    """A treatment of `minutes` plus `buffer` that needs one resource of each kind."""
    treatment = Treatment.objects.create(
        clinic=clinic,
        slug=slug,
        name=slug.replace("-", " ").capitalize(),
        category=TreatmentCategory.FACIAL_MASSAGE,
        duration_minutes=minutes,
        buffer_after_minutes=buffer,
        price=Decimal("95.00"),
    )
    treatment.required_resource_kinds.set(kinds)
    return treatment
