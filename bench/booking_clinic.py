"""The diary the booking benchmark fills: an empty clinic open Monday to Saturday 9-18 for
the next two weeks, every practitioner working those hours, fewer rooms than practitioners
(so the rooms' locks and constraint are exercised too), a 45-minute treatment with a
15-minute buffer on the clinic's default 15-minute grid."""

from datetime import time, timedelta

from django.utils import timezone

from bench.catalogue import add_treatment, clinic_create, open_hours, resource_kind
from clinic.models import Practitioner, Resource, WorkingHours

SLUG = "rush-facial-massage"


def seed(*, practitioners: int, rooms: int, days: int) -> dict:
    clinic = clinic_create(
        name="Rush Clinic",
        slug="rush-clinic",
        timezone="Europe/London",
        slot_step_minutes=15,
        min_notice_minutes=0,
        max_advance_days=days + 1,
    )
    open_hours(clinic, range(6), 9, 18)
    room_kind = resource_kind("treatment-room")
    Resource.objects.bulk_create(
        Resource(clinic=clinic, kind=room_kind, name=f"Room {n + 1}") for n in range(rooms)
    )
    treatment = add_treatment(clinic, SLUG, minutes=45, buffer=15, kinds=[room_kind])
    staff = Practitioner.objects.bulk_create(
        Practitioner(clinic=clinic, name=f"Practitioner {n + 1:02d}") for n in range(practitioners)
    )
    for practitioner in staff:
        practitioner.treatments.set([treatment])
    WorkingHours.objects.bulk_create(
        WorkingHours(practitioner=practitioner, weekday=weekday, starts=time(9), ends=time(18))
        for practitioner in staff
        for weekday in range(6)
    )
    first = timezone.now().astimezone(clinic.tzinfo).date() + timedelta(days=1)
    return {
        "treatment": SLUG,
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=days - 1)).isoformat(),
    }
