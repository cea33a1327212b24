"""Records every seeded bench clinic needs alike: the clinic in its organisation, resource
kinds, opening hours, treatments, clients."""

from datetime import time
from decimal import Decimal

from clinic.models import (
    Client,
    Clinic,
    OpeningHours,
    Organisation,
    ResourceKind,
    Treatment,
    TreatmentCategory,
)


def clinic_create(**fields) -> Clinic:
    """A clinic, in an organisation of its own named after it."""
    organisation = Organisation.objects.create(name=fields["name"], slug=fields["slug"])
    return Clinic.objects.create(organisation=organisation, **fields)


def client_row(clinic: Clinic, **fields) -> Client:
    """An unsaved client of `clinic`'s organisation, first recorded at `clinic`."""
    return Client(organisation_id=clinic.organisation_id, home_clinic=clinic, **fields)


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
