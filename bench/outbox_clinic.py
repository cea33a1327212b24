"""The outbox the aftercare benchmark drains: one clinic, and `messages` rows written in bulk
for confirmed appointments in the coming weeks, four each (the confirmation with its .ics,
the reminder, aftercare with its unsubscribe link, the follow-up), each to its own client.
They are planned for tomorrow; run.py makes them all due at one instant once the workers are
up, as the passing of time would."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from aftercare.models import Message
from bench.catalogue import add_treatment, client_row, clinic_create, open_hours, resource_kind
from bench.gen_clinic import reference_of
from bookings.models import Appointment
from clinic.models import Client, Practitioner

KINDS = (
    Message.Kind.CONFIRMATION,
    Message.Kind.REMINDER,
    Message.Kind.AFTERCARE,
    Message.Kind.FOLLOW_UP,
)
PRACTITIONERS = 10
HOURS = range(9, 18)  # one-hour appointments, back to back, every day
OUTBOX_SETTINGS = ("AFTERCARE_DISPATCH_SECONDS", "AFTERCARE_MAX_IN_FLIGHT", "AFTERCARE_BATCH_SIZE")


def seed(*, messages: int) -> dict:
    clinic = clinic_create(
        name="Outbox Clinic",
        slug="outbox-clinic",
        timezone="Europe/London",
        email="frontdesk@outbox.example.com",
        address="1 Bench Street\nLondon",
    )
    open_hours(clinic, range(7), HOURS.start, HOURS.stop)
    treatment = add_treatment(
        clinic, "outbox-facial-massage", minutes=60, buffer=0, kinds=[resource_kind("room")]
    )
    staff = Practitioner.objects.bulk_create(
        Practitioner(clinic=clinic, name=f"Practitioner {n + 1:02d}") for n in range(PRACTITIONERS)
    )
    count = -(-messages // len(KINDS))
    clients = Client.objects.bulk_create(
        client_row(clinic, name=f"Client {n}", email=f"client{n}@outbox.example.com")
        for n in range(count)
    )
    first_day = timezone.now().astimezone(clinic.tzinfo).date() + timedelta(days=2)
    appointments = []
    for n, client in enumerate(clients):
        slot, practitioner = divmod(n, PRACTITIONERS)
        day, hour = divmod(slot, len(HOURS))
        start = datetime.combine(
            first_day + timedelta(days=day), time(HOURS.start + hour), clinic.tzinfo
        )
        end = start + timedelta(hours=1)
        appointments.append(
            Appointment(
                clinic=clinic,
                reference=reference_of(n),
                client=client,
                treatment=treatment,
                practitioner=staff[practitioner],
                start=start,
                end=end,
                blocked_until=end,
            )
        )
    Appointment.objects.bulk_create(appointments, batch_size=1000)
    tomorrow = timezone.now() + timedelta(days=1)
    rows = [
        Message(
            key=f"appointment:{appointment.pk}:{kind}",
            clinic=clinic,
            client=appointment.client,
            appointment=appointment,
            treatment=treatment,
            kind=kind,
            due_at=tomorrow,
            data={"start": appointment.start.isoformat(), "sequence": 0},
        )
        for appointment in appointments
        for kind in KINDS
    ][:messages]
    Message.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics, as a database in service has them
    return {
        "messages": len(rows),
        "kinds": [str(kind) for kind in KINDS],
        # What the workers will run with: they get the same environment as this process.
        "settings": {name: getattr(settings, name) for name in OUTBOX_SETTINGS},
    }
