"""A realistic clinic group for the page benchmark (issue 16): one organisation with three
clinics of ten practitioners each, 50,000 clients and ten years of history (about 500,000
appointments with their change records, room holds, outbox messages and the audit trail),
written with COPY.

The history is what makes pages slow, so it is what is generated: every appointment has
its "booked" change and, once past, its outcome (completed, no-show or cancelled), one in
ten a reschedule too (about 1.0M change records); about one in two has an outbox message
(~280k); staff looked at client pages 400,000 times (the audit trail); one client in ten
had injectables and one in thirty declared a condition. One client, "Margaret Longstay",
came every week or so for ten years: 500+ visits, the page a front desk dreads.

Every appointment takes a one-hour block of its practitioner's Monday-Saturday 9-18 shift
(45 minutes plus a 15-minute buffer) and one of the clinic's rooms, handed out in order and
never more than there are, so the rows satisfy both exclusion constraints; PostgreSQL checks
that anyway when the constraints are added back after the copy. The next 60 days are about
half booked (so the booking pages and the floor benchmark find free times in a busy diary),
then history runs backwards from yesterday until there are as many appointments as the
size asks.

run.py seeds this once per size into a template database named after a digest of this file
and of the migrations, and copies it for each run (`bench/README.md`, "Pages"). This module
imports Django only inside its functions, so run.py reads SIZES without a Django project.
"""

import json
import random
import time as clock
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

VERSION = 1  # bump to regenerate every cached group even when this file's digest would not
SEED = 16
ZONE = ZoneInfo("Europe/London")
PASSWORD = "bench-password-16"  # every generated staff account's, hashed with MD5 (fast)
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LONG_CLIENT_VISITS = 520  # at least; the long-history client's share of the appointments
HORIZON_DAYS = 60
FUTURE_OCCUPANCY = 0.5
PAST_OCCUPANCY = 0.6
HOURS = range(9, 18)  # one-hour blocks of every shift, Monday to Saturday
MESSAGE_KINDS = ("confirmation", "reminder", "aftercare", "follow_up")
AUDIT_PER_APPOINTMENT = 0.8  # 400k entries for 500k appointments
# The lists the staff open every working day, each one entry naming every client it showed
# (clinic.AuditSubject): the front desk's diary grid and the practitioners' day sheet of
# each past day at each clinic, so every past appointment's client is named twice.
DAY_LISTS = (("front_desk", "/staff/"), ("practitioner", "/staff/sheet/"))
ROLES = ("front_desk", "practitioner", "manager")


@dataclass(frozen=True)
class Size:
    clinics: int
    practitioners: int  # per clinic
    rooms: int  # per clinic
    clients: int
    appointments: int


SIZES = {
    "tiny": Size(clinics=2, practitioners=3, rooms=2, clients=300, appointments=3_000),
    "small": Size(clinics=3, practitioners=10, rooms=8, clients=5_000, appointments=50_000),
    "full": Size(clinics=3, practitioners=10, rooms=8, clients=50_000, appointments=500_000),
}

FIRST = ["Olivia", "Amara", "Linh", "Jürgen", "Inés", "Zofia", "Siobhán", "Hana", "Zoë", "Ava"]
SURNAMES = ["Turner", "Okafor", "Nguyen", "Müller", "García", "Kowalski", "O'Brien", "Sato"]


def seed(size: str = "full") -> dict:
    """Write the group into the (migrated, empty) database; what the benchmarks need to know
    of it (ids, slugs, references), also stored in the table `bench_group`."""
    from django.db import connection, transaction
    from django.test import override_settings

    shape = SIZES[size]
    started = clock.perf_counter()
    rng = random.Random(SEED)
    today = datetime.now(UTC).astimezone(ZONE).date()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        world = _catalogue(shape)
        counts = _copy_history(world, shape, rng, today)
        world.update(_future_examples(world, today))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        world.update(
            seconds=round(clock.perf_counter() - started, 1),
            size=size,
            shape=asdict(shape),
            counts=counts,
            version=VERSION,
        )
        cursor.execute("CREATE TABLE bench_group (seeded jsonb NOT NULL)")
        cursor.execute("INSERT INTO bench_group VALUES (%s)", [json.dumps(world, default=str)])
    return world


def _catalogue(shape: Size) -> dict:
    """The organisation, its clinics, rooms, treatments, practitioners and their hours, the
    staff accounts (a front desk, a practitioner and a manager per clinic, and a superuser),
    and the clients (COPY)."""
    from django.contrib.auth import get_user_model

    from bench.catalogue import add_treatment, open_hours, resource_kind
    from clinic.models import Clinic, Membership, Organisation, Practitioner, Resource, WorkingHours

    User = get_user_model()
    organisation = Organisation.objects.create(name="Lumière Group", slug="lumiere-group")
    room_kind = resource_kind("treatment-room")
    world: dict = {"organisation_id": organisation.pk, "clinics": [], "staff": {}}
    for number in range(shape.clinics):
        slug = f"group-clinic-{number + 1}"
        clinic = Clinic.objects.create(
            organisation=organisation,
            name=f"Lumière {['Mayfair', 'Clifton', 'Leith', 'Didsbury'][number % 4]}",
            slug=slug,
            timezone=ZONE.key,
            slot_step_minutes=15,
            min_notice_minutes=120,
            max_advance_days=HORIZON_DAYS + 30,
            email=f"desk@{slug}.example.com",
            address=f"{number + 1} Bench Street\nLondon",
        )
        open_hours(clinic, range(6), HOURS.start, HOURS.stop)
        rooms = Resource.objects.bulk_create(
            Resource(clinic=clinic, kind=room_kind, name=f"Room {n + 1}")
            for n in range(shape.rooms)
        )
        treatments = [
            add_treatment(clinic, f"{slug}-{name}", minutes=45, buffer=15, kinds=[room_kind])
            for name in ("facial-massage", "microcurrent")
        ]
        staff = Practitioner.objects.bulk_create(
            Practitioner(clinic=clinic, name=f"Practitioner {number + 1}.{n + 1:02d}")
            for n in range(shape.practitioners)
        )
        for practitioner in staff:
            practitioner.treatments.set(treatments)
        WorkingHours.objects.bulk_create(
            WorkingHours(
                practitioner=p, weekday=day, starts=time(HOURS.start), ends=time(HOURS.stop)
            )
            for p in staff
            for day in range(6)
        )
        users = {}
        for role in ROLES:
            user = User.objects.create_user(
                username=f"{slug}-{role}", password=PASSWORD, is_staff=True
            )
            Membership.objects.create(user=user, clinic=clinic, role=role)
            users[role] = user.pk
        staff[0].user_id = users["practitioner"]
        staff[0].save(update_fields=["user"])
        world["clinics"].append(
            {
                "id": clinic.pk,
                "slug": slug,
                "room_ids": [r.pk for r in rooms],
                "treatments": [{"id": t.pk, "slug": t.slug} for t in treatments],
                "practitioner_ids": [p.pk for p in staff],
                "users": users,
                "usernames": {role: f"{slug}-{role}" for role in ROLES},
            }
        )
    admin = User.objects.create_superuser(
        username="bench-admin", email="admin@group.example.com", password=PASSWORD
    )
    world["superuser"] = {"id": admin.pk, "username": admin.username}
    world["password"] = PASSWORD
    _copy_clients(world, shape)
    return world


def _copy_clients(world: dict, shape: Size) -> None:
    """The organisation's clients, spread over the clinics as home; the first is the
    long-history client, with a login (the client's own space, /my/)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from clinic.models import Client

    clinics = [c["id"] for c in world["clinics"]]
    created = datetime(2016, 1, 1, tzinfo=UTC)
    with (
        connection.cursor() as wrapper,
        wrapper.cursor.copy(
            "COPY clinic_client (id, organisation_id, home_clinic_id, name, email, phone,"
            " created_at, sms_opted_in, sms_opt_in_source, sms_opt_out_source) FROM STDIN"
        ) as copy,
    ):
        for n in range(1, shape.clients + 1):
            if n == 1:
                name, email = "Margaret Longstay", "margaret.longstay@group.example.com"
            else:
                name = f"{FIRST[n % len(FIRST)]} {SURNAMES[n % len(SURNAMES)]} {n}"
                email = f"client{n}@group.example.com"
            row = (n, world["organisation_id"], clinics[n % len(clinics)], name, email)
            copy.write_row((*row, f"+4479{n:08d}", created, False, "", ""))
    _setval(connection, "clinic_client", shape.clients)
    user = get_user_model().objects.create_user(
        username="margaret.longstay", email="margaret.longstay@group.example.com"
    )
    Client.objects.filter(pk=1).update(user=user)
    world["long_client"] = {"id": 1, "user_id": user.pk, "email": user.email}
    world["client_ids"] = [1, shape.clients]  # the long-history one and a plain one


def _setval(connection, table: str, value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, value])


def _days(today: date) -> list[date]:
    """Filling order: the next HORIZON_DAYS, then backwards from yesterday (up to 30 years;
    the size's appointment count stops it long before)."""
    future = [today + timedelta(days=n) for n in range(1, HORIZON_DAYS)]
    return future + [today - timedelta(days=n) for n in range(1, 366 * 30)]


def _appointments(world: dict, shape: Size, rng: random.Random, today: date):
    """(number, clinic, practitioner, treatment, room, start, client) for each appointment,
    in filling order until the size's count."""
    every = max(2, shape.appointments // LONG_CLIENT_VISITS - 1)  # the long client's share
    number = 0
    for day in _days(today):
        if day.weekday() == 6:
            continue
        chance = FUTURE_OCCUPANCY if day > today else PAST_OCCUPANCY
        for hour in HOURS:
            start = datetime.combine(day, time(hour), ZONE).astimezone(UTC)
            for clinic in world["clinics"]:
                rooms = iter(clinic["room_ids"])
                for practitioner in clinic["practitioner_ids"]:
                    if rng.random() >= chance:
                        continue
                    room = next(rooms, None)
                    if room is None:
                        break
                    number += 1
                    if number > shape.appointments:
                        return
                    client = 1 if number % every == 0 else rng.randrange(2, shape.clients + 1)
                    treatment = rng.choice(clinic["treatments"])["id"]
                    yield number, clinic["id"], practitioner, treatment, room, start, client


APPOINTMENT_COLUMNS = (
    "id, clinic_id, reference, client_id, treatment_id, practitioner_id, practitioner_requested,"
    ' start, "end", blocked_until, status, channel, notes, override_reason, eligibility_flag,'
    " created_at, updated_at"
)
CHANGE_COLUMNS = (
    "appointment_id, action, at, channel, from_status, to_status, from_start, to_start, reason,"
    " details"
)
HOLD_COLUMNS = "appointment_id, resource_id, start, blocked_until, active"
MESSAGE_COLUMNS = (
    'key, clinic_id, client_id, "to", appointment_id, treatment_id, kind, channel, due_at,'
    " status, attempts, last_error, sent_at, data, created_at, updated_at"
)
AUDIT_COLUMNS = (
    "id, at, user_id, username, action, what, client_id, clinic_id, via, path, ip, user_agent,"
    " details"
)
SUBJECT_COLUMNS = "id, entry_id, client_id"


def _outcome(start: datetime, now: datetime, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return "cancelled"
    if start > now:
        return "confirmed"
    return "no_show" if roll < 0.14 else "completed"


def _copy_history(world: dict, shape: Size, rng: random.Random, today: date) -> dict:
    """Appointments, holds, change records and outbox messages in one pass (COPY each into
    its table from its own buffer), then the audit trail and the health records."""
    from django.db import connection

    from bench.gen_clinic import _indexes_rebuilt, reference_of

    now = datetime.now(UTC)
    tables = {
        "bookings_appointment": APPOINTMENT_COLUMNS,
        "bookings_appointmentresource": HOLD_COLUMNS,
        "bookings_appointmentchange": CHANGE_COLUMNS,
        "aftercare_message": MESSAGE_COLUMNS,
    }
    rows: dict[str, list] = {table: [] for table in tables}
    day_lists: dict[tuple[int, date], list[int]] = {}
    length, blocked = timedelta(minutes=45), timedelta(hours=1)
    for number, clinic, practitioner, treatment, room, start, client in _appointments(
        world, shape, rng, today
    ):
        status = _outcome(start, now, rng)
        if start < now:
            day_lists.setdefault((clinic, start.astimezone(ZONE).date()), []).append(client)
        booked_at = start - timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 600))
        channel = "online" if number % 3 else "staff"
        rows["bookings_appointment"].append(
            (number, clinic, reference_of(number), client, treatment, practitioner, False)
            + (start, start + length, start + blocked, status, channel, "", "", "")
            + (booked_at, booked_at)
        )
        active = status != "cancelled"
        rows["bookings_appointmentresource"].append((number, room, start, start + blocked, active))
        changes = rows["bookings_appointmentchange"]
        changes.append((number, "booked", booked_at, channel, "", "confirmed", None, start))
        if number % 10 == 0:
            moved = booked_at + timedelta(hours=rng.randint(1, 20))
            changes.append(
                (number, "rescheduled", moved, channel, "confirmed", "confirmed", start, start)
            )
        if status != "confirmed":
            action = {"completed": "completed", "no_show": "no_show"}.get(status, "cancelled")
            at = start + length if status != "cancelled" else booked_at + timedelta(days=1)
            changes.append((number, action, at, "staff", "confirmed", status, None, None))
        if number % 16 < 9:
            kind = MESSAGE_KINDS[number % len(MESSAGE_KINDS)]
            due = {
                "confirmation": booked_at,
                "reminder": start - timedelta(hours=24),
                "aftercare": start + blocked,
                "follow_up": start + timedelta(days=14),
            }[kind]
            sent = due <= now and status != "cancelled"
            state = "sent" if sent else ("cancelled" if status == "cancelled" else "pending")
            if sent and number % 97 == 0:
                state, sent = "failed", False
            data = json.dumps({"start": start.isoformat(), "sequence": 0})
            rows["aftercare_message"].append(
                (f"appointment:{number}:{kind}", clinic, client, "", number, treatment, kind)
                + ("email", due, state, 1 if state != "pending" else 0)
                + ("550 mailbox unavailable" if state == "failed" else "",)
                + (due if sent else None, data, booked_at, due if sent else booked_at)
            )
    rows["bookings_appointmentchange"] = [
        (*change, "", "{}") for change in rows["bookings_appointmentchange"]
    ]
    made = len(rows["bookings_appointment"])
    rows["clinic_auditentry"] = list(_audit_rows(world, shape, rng, made, now))
    rows["clinic_auditsubject"] = []
    _list_rows(world, day_lists, rows["clinic_auditentry"], rows["clinic_auditsubject"])
    tables["clinic_auditentry"] = AUDIT_COLUMNS
    tables["clinic_auditsubject"] = SUBJECT_COLUMNS
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        # The generated ids are right by construction: skip the foreign-key triggers, which
        # would check each of the millions of rows one by one at commit.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        with _indexes_rebuilt(cursor, list(tables)):
            for table, columns in tables.items():
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows[table]:
                        copy.write_row(row)
    _setval(connection, "bookings_appointment", made)
    _setval(connection, "clinic_auditentry", len(rows["clinic_auditentry"]))
    _setval(connection, "clinic_auditsubject", len(rows["clinic_auditsubject"]))
    counts = {table: len(table_rows) for table, table_rows in rows.items()}
    counts.update(_health_records(world, shape, rng, today))
    counts["clinic_client"] = shape.clients
    return counts


def _audit_rows(world: dict, shape: Size, rng: random.Random, appointments: int, now):
    """Staff opening client pages, over the ten years: the workspace's audit trail."""
    years = max(1, appointments // 50_000)
    staff = [
        (clinic["id"], clinic["users"][role], clinic["usernames"][role])
        for clinic in world["clinics"]
        for role in ROLES
    ]
    whats = ["client page"] * 6 + ["injectables", "declarations", "eligibility"]
    for n in range(int(appointments * AUDIT_PER_APPOINTMENT)):
        clinic, user, username = staff[n % len(staff)]
        client = 1 if n % 400 == 0 else rng.randrange(1, shape.clients + 1)
        at = now - timedelta(seconds=rng.randrange(years * 365 * 86400))
        what = whats[n % len(whats)]
        path = f"/staff/clients/{client}/"
        row = (n + 1, at, user, username, "view", what, client, clinic, "workspace", path)
        yield (*row, "10.0.0.7", "Mozilla/5.0 (bench)", "{}")


def _list_rows(world: dict, day_lists: dict, entries: list, subjects: list) -> None:
    """The day lists (DAY_LISTS) of every past day at every clinic: one entry each, with no
    client of its own, and an AuditSubject per client it showed, as clinic.audit writes
    them. Appended to `entries` (numbered on from its last id) and `subjects`."""
    staff = {
        clinic["id"]: {role: (clinic["users"][role], clinic["usernames"][role]) for role in ROLES}
        for clinic in world["clinics"]
    }
    for (clinic, day), clients in sorted(day_lists.items()):
        shown = sorted(set(clients))
        for role, page in DAY_LISTS:
            user, username = staff[clinic][role]
            entry = len(entries) + 1
            at = datetime.combine(day, time(8, 55), ZONE).astimezone(UTC)
            details = json.dumps({"first_day": day.isoformat(), "last_day": day.isoformat()})
            path = f"{page}?day={day.isoformat()}"
            entries.append(
                (entry, at, user, username, "view", "day sheet cautions", None, clinic)
                + ("workspace", path, "10.0.0.7", "Mozilla/5.0 (bench)", details)
            )
            subjects.extend((len(subjects) + 1, entry, client) for client in shown)


def _health_records(world: dict, shape: Size, rng: random.Random, today: date) -> dict:
    """Injectables for one client in ten (1-3 each), a declared condition for one in thirty;
    the long-history client has both."""
    from django.db import connection

    areas = ["forehead", "glabella", "crows_feet", "cheeks", "lips", "jawline"]
    kinds = ["filler", "botox", "skin_booster"]
    conditions = ["pregnancy", "epilepsy", "implanted_device"]
    recorder = world["clinics"][0]["users"]["front_desk"]
    recorded = datetime.now(UTC)
    injectables = declarations = 0
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        with cursor.copy(
            "COPY clinical_injectablerecord (client_id, kind, date, areas, product, lot_number,"
            " amount_unit, given_here, given_at, source, recorded_by_id, recorded_at, notes)"
            " FROM STDIN"
        ) as copy:
            for client in range(1, shape.clients + 1):
                if client != 1 and client % 10:
                    continue
                for _ in range(rng.randint(1, 3)):
                    on = today - timedelta(days=rng.randint(30, 3000))
                    picked = json.dumps(rng.sample(areas, 2))
                    copy.write_row(
                        (client, rng.choice(kinds), on, picked, "Bench filler", "LOT42", "ml")
                        + (True, "", "staff", recorder, recorded, "")
                    )
                    injectables += 1
        with cursor.copy(
            "COPY clinical_healthdeclaration (client_id, condition, declared_on, ended_on,"
            " source, recorded_by_id, recorded_at, notes) FROM STDIN"
        ) as copy:
            for client in range(1, shape.clients + 1):
                if client != 1 and client % 30:
                    continue
                on = today - timedelta(days=rng.randint(30, 3000))
                ended = on + timedelta(days=270) if client % 60 == 0 else None
                row = (client, rng.choice(conditions), on, ended, "client_declared", None)
                copy.write_row((*row, recorded, ""))
                declarations += 1
    return {
        "clinical_injectablerecord": injectables,
        "clinical_healthdeclaration": declarations,
    }


def _future_examples(world: dict, today: date) -> dict:
    """A coming appointment of the long-history client (the manage page, the staff's
    reschedule) and a day in the future diary that is about half booked (the week sheet)."""
    from bookings.models import Appointment

    coming = Appointment.objects.filter(
        clinic_id=world["clinics"][0]["id"], status="confirmed", start__date__gt=today
    ).order_by("start")
    if not coming.filter(client_id=1).exists():  # a tiny group: give the long client one
        Appointment.objects.filter(pk=coming.first().pk).update(client_id=1)
    coming = coming.filter(client_id=1).first()
    day = today + timedelta(days=7 - today.weekday())  # next Monday
    return {
        "coming": {
            "reference": coming.reference,
            "treatment": coming.treatment.slug,
            "clinic": coming.clinic_id,
        },
        "busy_day": day.isoformat(),
        "today": today.isoformat(),
    }
