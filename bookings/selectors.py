"""Reads for staff (client search, the day's appointments with their cautions, each in a
fixed number of queries) and for the client pages (treatments, a booking by its link)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet

from bookings import rules
from bookings.models import REFERENCE_PATTERN, Appointment, Status
from clinic.models import Client, Clinic, Treatment

CLIENT_SEARCH_LIMIT = 50


def client_search(*, q: str, limit: int = CLIENT_SEARCH_LIMIT) -> QuerySet[Client]:
    """Clients whose name, email or phone contains `q` (any case); the newest first when
    `q` is empty. Phone numbers match on their digits, however they were typed."""
    clients = Client.objects.select_related("clinic")
    q = q.strip()
    if not q:
        return clients.order_by("-created_at", "-pk")[:limit]
    match = Q(name__icontains=q) | Q(email__icontains=q)
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 3:
        match |= Q(phone__icontains=digits) | Q(phone__icontains=q)
    return clients.filter(match).order_by("name", "pk")[:limit]


def local_day_bounds(clinic: Clinic, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a clinic-local date, as aware datetimes (23 or 25 hours on DST days)."""
    tz = clinic.tzinfo
    return (
        datetime.combine(day, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )


def day_appointments(*, day: date, practitioner_id: int | None = None) -> list[Appointment]:
    """Every clinic's appointments on its local date `day` (cancelled ones left out), by
    start, each with `.cautions` for the practitioner."""
    on_the_day = Q(pk__in=[])
    for clinic in Clinic.objects.all():
        start, end = local_day_bounds(clinic, day)
        on_the_day |= Q(clinic=clinic, start__gte=start, start__lt=end)
    appointments = (
        Appointment.objects.filter(on_the_day)
        .exclude(status=Status.CANCELLED)
        .select_related("clinic", "treatment", "practitioner", "client")
        .prefetch_related("resources", "treatment__required_resource_kinds")
        .order_by("start", "practitioner__name")
    )
    if practitioner_id is not None:
        appointments = appointments.filter(practitioner_id=practitioner_id)
    appointments = list(appointments)
    cautions = rules.cautions_for(appointments)
    for appointment in appointments:
        appointment.cautions = cautions[appointment.pk]
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
