"""The peer's side of the comparison: django-appointment asked our availability question.

Run by bench/run.py with bench/.peer-venv's python, cwd bench/peer, PEER_DATABASE_URL set:

    python peer_bench.py SPEC.json REPEATS

It creates the peer's tables (the package ships no migrations: syncdb), seeds the clinic
of the spec through the peer's own models, then times the question "every free start of the
60-minute service, for every staff member and every day" through the peer's own
appointment.services.get_available_slots_for_staff, and prints one line of JSON.
"""

import json
import os
import sys
from datetime import date, datetime, time, timedelta
from importlib.metadata import version
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))  # clinic_spec and stats: standard library only

import clinic_spec  # noqa: E402
from stats import summary, timed  # noqa: E402


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    import django

    django.setup()
    from django.core.management import call_command

    # Django's own apps first: syncdb creates the unmigrated app's tables before it
    # migrates anything, and they point at auth_user.
    call_command("migrate", verbosity=0, interactive=False)
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)


def seed(spec: dict):
    """The spec's clinic in the peer's models; returns the service and the staff."""
    from appointment.models import (
        Appointment,
        AppointmentRequest,
        Config,
        DayOff,
        Service,
        StaffMember,
        WorkingHours,
    )
    from django.contrib.auth.models import User

    Config(
        slot_duration=spec["slot_minutes"],
        lead_time=time(9),
        finish_time=time(18),
        appointment_buffer_time=0,
    ).save()
    service = Service.objects.create(
        name="Facial massage", duration=timedelta(minutes=spec["service_minutes"]), price=95
    )
    staff = []
    for index, member in enumerate(spec["staff"]):
        user = User.objects.create(username=f"staff{index}", first_name=member["name"])
        person = StaffMember.objects.create(user=user)
        person.services_offered.add(service)
        for weekday, (starts, ends) in member["hours"].items():
            WorkingHours.objects.create(
                staff_member=person,
                day_of_week=(weekday + 1) % 7,  # the peer counts from Sunday
                start_time=time.fromisoformat(starts),
                end_time=time.fromisoformat(ends),
            )
        staff.append(person)
    off = spec["day_off"]
    DayOff.objects.create(
        staff_member=staff[off["staff"]],
        start_date=date.fromisoformat(off["first"]),
        end_date=date.fromisoformat(off["last"]),
    )
    client = User.objects.create(username="client", email="client@bench.example.com")
    for booked in spec["appointments"]:
        request = AppointmentRequest.objects.create(
            date=date.fromisoformat(booked["date"]),
            start_time=time.fromisoformat(booked["start"]),
            end_time=time.fromisoformat(
                clinic_spec.end_of(booked["start"], spec["service_minutes"])
            ),
            service=service,
            staff_member=staff[booked["staff"]],
        )
        Appointment.objects.create(client=client, appointment_request=request)
    return service, staff


def ask(spec: dict, service, staff, repeats: int) -> dict:
    from appointment.services import get_available_slots_for_staff
    from appointment.utils.db_helpers import get_weekday_num_from_date
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    days = [date.fromisoformat(day) for day in spec["dates"]]

    def question() -> dict[str, int]:
        """Free one-hour starts per day, summed over the staff."""
        return {
            day.isoformat(): sum(
                len(
                    get_available_slots_for_staff(
                        day, person, get_weekday_num_from_date(day), service=service
                    )
                )
                for person in staff
            )
            for day in days
        }

    with CaptureQueriesContext(connection) as queries:
        per_day = question()
    return {
        "latency": summary(timed(question, repeats=repeats, warmup=1)),
        "queries": len(queries.captured_queries),
        "per_day": per_day,
    }


def main(spec_path: str, repeats: str) -> None:
    started = datetime.now()
    setup()
    spec = clinic_spec.load(spec_path)
    service, staff = seed(spec)
    seeded = (datetime.now() - started).total_seconds()
    result = ask(spec, service, staff, int(repeats))
    result.update(
        seed_seconds=round(seeded, 1),
        versions={name: version(name) for name in ("django-appointment", "Django")},
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
