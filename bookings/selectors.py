"""Reads for staff (the appointments of a day or a range of days with the rules' decision
and the practitioner's cautions for each, in a fixed number of queries; client search is in
workspace/search.py, next to the index it relies on) and for the client pages (treatments,
a booking by its link)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet

from bookings import rules
from bookings.models import REFERENCE_PATTERN, Appointment, Status
from clinic.models import Clinic, Treatment


def local_day_bounds(clinic: Clinic, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a clinic-local date, as aware datetimes (23 or 25 hours on DST days)."""
    tz = clinic.tzinfo
    return (
        datetime.combine(day, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )


def appointments_between(
    *, first_day: date, last_day: date, practitioner_id: int | None = None
) -> list[Appointment]:
    """Every clinic's appointments on its local dates `first_day`..`last_day` inclusive
    (cancelled ones left out), by start, each with `.decision` (the rules applied to the
    client's record as it is now) and `.cautions` for the practitioner."""
    in_range = Q(pk__in=[])
    for clinic in Clinic.objects.all():
        start, _ = local_day_bounds(clinic, first_day)
        _, end = local_day_bounds(clinic, last_day)
        in_range |= Q(clinic=clinic, start__gte=start, start__lt=end)
    appointments = (
        Appointment.objects.filter(in_range)
        .exclude(status=Status.CANCELLED)
        .select_related("clinic", "treatment", "practitioner", "client")
        .prefetch_related("resources", "treatment__required_resource_kinds")
        .order_by("start", "practitioner__name")
    )
    if practitioner_id is not None:
        appointments = appointments.filter(practitioner_id=practitioner_id)
    appointments = list(appointments)
    decisions = rules.decisions_for(appointments)
    for appointment in appointments:
        appointment.decision = decisions[appointment.pk]
        appointment.cautions = appointment.decision.cautions
    return appointments


def bookable_treatments() -> QuerySet[Treatment]:
    """Every active treatment with its clinic, clinic by clinic in menu order."""
    return (
        Treatment.objects.filter(active=True)
        .select_related("clinic")
        .order_by("clinic__name", "clinic_id", "position", "name")
    )


def appointment_by_reference(reference: str) -> Appointment | None:
    """The appointment with this reference (in any case) and what its pages show; None for
    an unknown reference, or for anything that cannot be one."""
    reference = reference.upper()
    if not REFERENCE_PATTERN.fullmatch(reference):  # never send a NUL or a novel to the database
        return None
    return (
        Appointment.objects.select_related("clinic", "treatment", "practitioner", "client")
        .filter(reference=reference)
        .first()
    )


def appointment_by_link(*, reference: str, token: str) -> Appointment | None:
    """The appointment a booking's signed link points at; None unless the token matches,
    so a wrong token and an unknown reference look alike."""
    appointment = appointment_by_reference(reference)
    if appointment is None or not appointment.manage_token_matches(token):
        return None
    return appointment


def day_appointments(*, day: date, practitioner_id: int | None = None) -> list[Appointment]:
    """The appointments of the clinic-local date `day`; see appointments_between."""
    return appointments_between(first_day=day, last_day=day, practitioner_id=practitioner_id)
