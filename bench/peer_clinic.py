"""Our side of the peer comparison: the clinic of bench/clinic_spec.py in our models, and
the same question asked through diary.availability.find_slots.

The clinic is open Monday to Saturday 9-18 and each practitioner works the spec's hours;
the treatment takes 60 minutes with no buffer on a 30-minute grid and needs a room. There
is a room per practitioner and each appointment holds its practitioner's room, so rooms
never decide the answer (the peer has none) but the search still does their work.
"""

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.catalogue import add_treatment, client_row, clinic_create, open_hours, resource_kind
from bench.stats import summary, timed
from bookings.models import Appointment, AppointmentResource
from clinic.models import Practitioner, Resource, TimeOff, Treatment, WorkingHours
from diary.availability import find_slots

SLUG = "peer-facial-massage"


def seed(spec: dict) -> dict:
    clinic = clinic_create(
        name="Peer Clinic",
        slug="peer-clinic",
        timezone=spec["timezone"],
        slot_step_minutes=spec["slot_minutes"],
        min_notice_minutes=0,
        max_advance_days=90,
    )
    open_hours(clinic, range(6), 9, 18)
    room_kind = resource_kind("treatment-room")
    treatment = add_treatment(
        clinic, SLUG, minutes=spec["service_minutes"], buffer=0, kinds=[room_kind]
    )
    staff, rooms = [], []
    for index, member in enumerate(spec["staff"]):
        practitioner = Practitioner.objects.create(clinic=clinic, name=member["name"])
        practitioner.treatments.set([treatment])
        WorkingHours.objects.bulk_create(
            WorkingHours(
                practitioner=practitioner,
                weekday=weekday,
                starts=time.fromisoformat(starts),
                ends=time.fromisoformat(ends),
            )
            for weekday, (starts, ends) in member["hours"].items()
        )
        staff.append(practitioner)
        rooms.append(Resource.objects.create(clinic=clinic, kind=room_kind, name=f"Room {index}"))
    off = spec["day_off"]
    TimeOff.objects.create(
        practitioner=staff[off["staff"]],
        start=_local(clinic, date.fromisoformat(off["first"]), "00:00"),
        end=_local(clinic, date.fromisoformat(off["last"]) + timedelta(days=1), "00:00"),
    )
    client = client_row(clinic, name="Client", email="client@bench.example.com")
    client.save()
    appointments = []
    for booked in spec["appointments"]:
        start = _local(clinic, date.fromisoformat(booked["date"]), booked["start"])
        end = start + timedelta(minutes=spec["service_minutes"])
        appointments.append(
            Appointment(
                clinic=clinic,
                client=client,
                treatment=treatment,
                practitioner=staff[booked["staff"]],
                start=start,
                end=end,
                blocked_until=end,
                status=Appointment.Status.CONFIRMED,
            )
        )
    Appointment.objects.bulk_create(appointments)
    AppointmentResource.objects.bulk_create(
        AppointmentResource(
            appointment=appointment,
            resource=rooms[booked["staff"]],
            start=appointment.start,
            blocked_until=appointment.blocked_until,
        )
        for appointment, booked in zip(appointments, spec["appointments"], strict=True)
    )
    return {"appointments": len(appointments)}


def _local(clinic, day: date, wall: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(wall), tzinfo=clinic.tzinfo)


def ask(spec: dict, *, repeats: int) -> dict:
    """Free one-hour starts over the spec's days, all practitioners, in one search."""
    treatment = Treatment.objects.select_related("clinic").get(slug=SLUG)
    tz = treatment.clinic.tzinfo
    first, last = date.fromisoformat(spec["dates"][0]), date.fromisoformat(spec["dates"][-1])

    def question():
        return find_slots(treatment=treatment, first_day=first, last_day=last)

    with CaptureQueriesContext(connection) as queries:
        slots = question()
    per_day = Counter()
    for slot in slots:
        per_day[slot.start.astimezone(tz).date().isoformat()] += len(slot.practitioner_ids)
    return {
        "latency": summary(timed(question, repeats=repeats)),
        "queries": len(queries.captured_queries),
        "per_day": {day: per_day[day] for day in spec["dates"]},
    }
