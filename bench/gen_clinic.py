"""A generated clinic for the availability benchmark: 50 practitioners, rooms and devices,
working hours, time off, closures, and N appointments written with COPY.

The appointments fill the next HORIZON_DAYS first (the diary a search looks at, about half
full), then history backwards from yesterday until there are N. Every appointment takes
one hour block of a practitioner's shift (45 minutes plus a 15-minute buffer) and a room;
a block's rooms and devices are handed out in order and a block never gets more than
there are, so the rows satisfy both exclusion constraints. PostgreSQL checks that anyway
while it copies them in.

P, the number of practitioners a search goes over, is the number who offer the treatment
searched: three treatments are offered by 1, 10 and all 50 of them.
"""

import random
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from bench.catalogue import add_treatment, client_row, clinic_create, open_hours, resource_kind
from bookings.models import ACTIVE_STATUSES, REFERENCE_ALPHABET, Appointment
from clinic.models import Client, Closure, Practitioner, Resource, TimeOff, WorkingHours

PRACTITIONERS = 50
TEAM_SIZES = (1, 10, 50)  # practitioners offering each searched treatment
ROOMS = 30
DEVICES = 4
CLIENTS = 2000
HORIZON_DAYS = 90
OCCUPANCY = 0.5
DEVICE_SHARE = 0.2  # of appointments that are microcurrent (a device as well as a room)
TREATMENT_MINUTES, BUFFER_MINUTES = 45, 15
LENGTH = {"minutes": TREATMENT_MINUTES, "buffer": BUFFER_MINUTES}
SEED = 7
ZONE = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Shift:
    weekdays: tuple[int, ...]
    starts: int  # local hour
    ends: int


def shifts_of(index: int) -> list[Shift]:
    """Early and late weekday shifts in turn; half the staff also work Saturday."""
    weekday = Shift((0, 1, 2, 3, 4), 9, 17) if index % 2 == 0 else Shift((0, 1, 2, 3, 4), 11, 19)
    return [weekday, Shift((5,), 9, 17)] if index % 4 < 2 else [weekday]


def on_leave(index: int, day: date) -> bool:
    """A week (Monday to Sunday) off every 13 weeks, staggered across the staff: about
    four weeks a year, and a few practitioners away in any week."""
    return ((day.toordinal() - 1) // 7 + index) % 13 == 0


def is_closed(day: date) -> bool:
    return day.weekday() == 6 or (day.month, day.day) in {(12, 25), (12, 26), (1, 1)}


def reference_of(number: int) -> str:
    """A unique reference for generated row `number`: 'G' and its base-32 digits."""
    digits = []
    for _ in range(7):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        digits.append(REFERENCE_ALPHABET[digit])
    return "G" + "".join(reversed(digits))


def seed(*, appointments: int) -> dict:
    started = clock.perf_counter()
    today = timezone.now().astimezone(ZONE).date()
    days = _days(today, appointments)
    with transaction.atomic():
        world = _catalogue()
        _time_off(world, days)
        counts = _copy_appointments(world, days, appointments, today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "seconds": round(clock.perf_counter() - started, 1),
        "treatments": world["treatment_slugs"],
        "practitioner": world["practitioner_ids"][0],
        "first_day": str(min(days)),
        **counts,
    }


def _days(today: date, appointments: int) -> list[date]:
    """The diary's days in filling order: the next HORIZON_DAYS, then backwards from
    yesterday, enough for `appointments` (a working day takes about 150)."""
    future = [today + timedelta(days=n) for n in range(HORIZON_DAYS)]
    past = [today - timedelta(days=n) for n in range(1, appointments // 100 + 30)]
    return future + past


def _catalogue() -> dict:
    clinic = clinic_create(
        name="Bench Clinic",
        slug="bench-clinic",
        timezone=ZONE.key,
        slot_step_minutes=15,
        min_notice_minutes=120,
        max_advance_days=HORIZON_DAYS + 30,
    )
    open_hours(clinic, range(5), 9, 19)
    open_hours(clinic, [5], 9, 17)
    room_kind = resource_kind("treatment-room")
    device_kind = resource_kind("microcurrent-device")
    rooms = Resource.objects.bulk_create(
        Resource(clinic=clinic, kind=room_kind, name=f"Room {n + 1}") for n in range(ROOMS)
    )
    devices = Resource.objects.bulk_create(
        Resource(clinic=clinic, kind=device_kind, name=f"Device {n + 1}") for n in range(DEVICES)
    )
    practitioners = Practitioner.objects.bulk_create(
        Practitioner(clinic=clinic, name=f"Practitioner {n + 1:02d}") for n in range(PRACTITIONERS)
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(
            practitioner=practitioner,
            weekday=weekday,
            starts=time(shift.starts),
            ends=time(shift.ends),
        )
        for index, practitioner in enumerate(practitioners)
        for shift in shifts_of(index)
        for weekday in shift.weekdays
    )
    teams = {}
    for size in TEAM_SIZES:
        teams[size] = add_treatment(clinic, f"facial-massage-{size}", kinds=[room_kind], **LENGTH)
        teams[size].practitioners.set(practitioners[:size])
    microcurrent = add_treatment(clinic, "microcurrent", kinds=[room_kind, device_kind], **LENGTH)
    microcurrent.practitioners.set(practitioners)
    clients = Client.objects.bulk_create(
        client_row(clinic, name=f"Client {n}", email=f"client{n}@bench.example.com")
        for n in range(CLIENTS)
    )
    return {
        "clinic_id": clinic.pk,
        "practitioner_ids": [p.pk for p in practitioners],
        "room_ids": [r.pk for r in rooms],
        "device_ids": [d.pk for d in devices],
        "client_ids": [c.pk for c in clients],
        "massage_id": teams[PRACTITIONERS].pk,  # the generated appointments' massage
        "microcurrent_id": microcurrent.pk,
        "treatment_slugs": {str(size): treatment.slug for size, treatment in teams.items()},
    }


def _time_off(world: dict, days: list[date]) -> None:
    mondays = sorted({day - timedelta(days=day.weekday()) for day in days})
    TimeOff.objects.bulk_create(
        TimeOff(
            practitioner_id=pid,
            start=datetime.combine(monday, time(), ZONE),
            end=datetime.combine(monday + timedelta(days=7), time(), ZONE),
            reason="Annual leave",
        )
        for index, pid in enumerate(world["practitioner_ids"])
        for monday in mondays
        if on_leave(index, monday)
    )
    Closure.objects.bulk_create(
        Closure(clinic_id=world["clinic_id"], date=day, reason="Bank holiday")
        for day in days
        if day.weekday() != 6 and is_closed(day)
    )


def _booked_blocks(day: date, rng: random.Random) -> dict[int, list[int]]:
    """Local hour -> indexes of the practitioners booked for that hour on `day`."""
    by_hour: dict[int, list[int]] = {}
    for index in range(PRACTITIONERS):
        if on_leave(index, day):
            continue
        for shift in shifts_of(index):
            if day.weekday() in shift.weekdays:
                for hour in range(shift.starts, shift.ends):
                    if rng.random() < OCCUPANCY:
                        by_hour.setdefault(hour, []).append(index)
    return by_hour


def _status(day: date, today: date, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return Appointment.Status.CANCELLED
    if day >= today:
        return Appointment.Status.CONFIRMED
    return Appointment.Status.NO_SHOW if roll < 0.15 else Appointment.Status.COMPLETED


APPOINTMENT_COLUMNS = (
    "id, clinic_id, reference, client_id, treatment_id, practitioner_id, practitioner_requested,"
    ' start, "end", blocked_until, status, channel, notes, override_reason, eligibility_flag,'
    " created_at, updated_at"
)
HOLD_COLUMNS = "appointment_id, resource_id, start, blocked_until, active"


def _generate(world: dict, days: list[date], wanted: int, today: date):
    """(appointment row, hold rows) for `wanted` appointments, in filling order.

    Rooms go to a block's appointments in order and there are never more appointments in a
    block than rooms (the rest of the block stays free); devices likewise. Blocks are
    whole hours, so nothing overlaps for a practitioner, a room or a device.
    """
    rng = random.Random(SEED)
    pids, rooms, devices = world["practitioner_ids"], world["room_ids"], world["device_ids"]
    created = datetime.now(UTC)
    number = 0
    for day in days:
        if is_closed(day):
            continue
        for hour, indexes in sorted(_booked_blocks(day, rng).items()):
            start = datetime.combine(day, time(hour), ZONE).astimezone(UTC)
            end = start + timedelta(minutes=TREATMENT_MINUTES)
            blocked = end + timedelta(minutes=BUFFER_MINUTES)
            free_devices = list(devices)
            for room, index in zip(rooms, indexes, strict=False):
                if number >= wanted:
                    return
                number += 1
                status = _status(day, today, rng)
                treatment, held = world["massage_id"], [room]
                if free_devices and rng.random() < DEVICE_SHARE:
                    treatment = world["microcurrent_id"]
                    held.append(free_devices.pop())
                row = (
                    number,
                    world["clinic_id"],
                    reference_of(number),
                    rng.choice(world["client_ids"]),
                    treatment,
                    pids[index],
                    False,
                    start,
                    end,
                    blocked,
                    status,
                    Appointment.Channel.ONLINE,
                    "",
                    "",
                    "",
                    created,
                    created,
                )
                active = status in ACTIVE_STATUSES
                yield row, [(number, rid, start, blocked, active) for rid in held]


def _copy_appointments(world: dict, days: list[date], wanted: int, today: date) -> dict:
    holds: list[tuple] = []
    made = 0
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        # The generated ids are right by construction: skip the foreign-key triggers, which
        # would check each of the million rows one by one at commit.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        with _indexes_rebuilt(cursor, ["bookings_appointment", "bookings_appointmentresource"]):
            with cursor.copy(
                f"COPY bookings_appointment ({APPOINTMENT_COLUMNS}) FROM STDIN"
            ) as copy:
                for row, hold_rows in _generate(world, days, wanted, today):
                    copy.write_row(row)
                    holds.extend(hold_rows)
                    made += 1
            with cursor.copy(
                f"COPY bookings_appointmentresource ({HOLD_COLUMNS}) FROM STDIN"
            ) as copy:
                for row in holds:
                    copy.write_row(row)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('bookings_appointment', 'id'), %s)", [made]
        )
    return {"appointments": made, "holds": len(holds)}


@contextmanager
def _indexes_rebuilt(cursor, tables: list[str]):
    """Drop the tables' secondary indexes and their unique and exclusion constraints, then
    create them again afterwards, exactly as they were.

    PostgreSQL builds an index over a million rows many times faster than it maintains it
    row by row; and adding the exclusion constraints back checks every row against them,
    so the generated diary is proved free of double bookings.
    """
    saved = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'x')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname"
            " NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        saved.append((table, constraints, indexes))
    yield
    for table, constraints, indexes in saved:
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
