"""Where a booking POST's statements and CPU go (issue 16): the front desk's and the public's
`POST /api/v1/appointments/` on the clinic group, as bench/floor.py books them.

    python -m bench.post_profile statements         # each side's SQL, one booking each
    python -m bench.post_profile sections BOOKINGS  # CPU per booking in the view's steps
    python -m bench.post_profile profile BOOKINGS   # cProfile (CPU time) over BOOKINGS a side
    python -m bench.post_profile plans              # PostgreSQL's planning time per statement

Run on a copy of the group's template database (DATABASE_URL), with the bench's settings
(bench/procs.py django_env). A reading aid, not a benchmark: bench/floor.py measures.
"""

import cProfile
import io
import json
import os
import pstats
import sys
import time


def _sides(world: dict):
    """(name, django.test.Client, expected status) of the two POSTs."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff = Client()
    staff.force_login(
        get_user_model().objects.get(pk=world["clinics"][0]["users"]["front_desk"]),
        backend="access.UserBackend",
    )
    return [("front desk", staff, 201), ("public", Client(), 202)]


def _bookings(world: dict, wanted: int):
    from bench.floor import free_starts

    clients = world["shape"]["clients"]
    for number, (slug, start, practitioner) in enumerate(free_starts(world, wanted)):
        email = f"client{2 + (number * 7919) % (clients - 1)}@group.example.com"
        yield {
            "treatment": slug,
            "start": start,
            "practitioner": practitioner,
            "client": {"name": "Bench Client", "email": email},
        }


def _post(client, body, expected):
    response = client.post(
        "/api/v1/appointments/", json.dumps(body), content_type="application/json"
    )
    if response.status_code not in (expected, 409):
        raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
    return response.status_code


def statements(world: dict) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bodies = _bookings(world, 6)
    for name, client, expected in _sides(world):
        _post(client, next(bodies), expected)  # warm: the first request builds what it caches
        with CaptureQueriesContext(connection) as queries:
            status = _post(client, next(bodies), expected)
        print(f"\n== {name}: {status}, {len(queries)} statements")
        for number, query in enumerate(queries):
            print(f"{number:3} {' '.join(query['sql'].split())[:160]}")


def plans(world: dict, repeats: int = 15) -> None:
    """How long PostgreSQL takes to plan each statement of one booking a side, and to run
    each read (EXPLAIN (ANALYZE, SUMMARY), the median of `repeats`; a write and a locking
    read are only planned: EXPLAIN without ANALYZE runs nothing). A string of several
    statements is split (sqlparse); transaction control is left out."""
    import statistics

    import sqlparse
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET ")
    bodies = _bookings(world, 6)
    for name, client, expected in _sides(world):
        _post(client, next(bodies), expected)
        with CaptureQueriesContext(connection) as queries:
            _post(client, next(bodies), expected)
        rows = []
        with connection.cursor() as cursor:
            for query in queries:
                for part in sqlparse.split(query["sql"]):
                    part = part.strip().rstrip(";")
                    if not part or part.upper().startswith(control):
                        continue
                    # A read is also run (ANALYZE), for its execution time; a write only planned.
                    read = part.upper().startswith("SELECT") and " FOR UPDATE" not in part
                    summary = "ANALYZE, SUMMARY" if read else "SUMMARY"
                    planned, ran = [], []
                    for _ in range(repeats):
                        cursor.execute(f"EXPLAIN ({summary}, FORMAT JSON) {part}")
                        plan = cursor.fetchone()[0][0]
                        planned.append(plan["Planning Time"])
                        ran.append(plan.get("Execution Time", 0.0))
                    rows.append(
                        (
                            statistics.median(planned),
                            statistics.median(ran) if read else None,
                            " ".join(part.split())[:110],
                        )
                    )
        planning = sum(row[0] for row in rows)
        running = sum(row[1] or 0 for row in rows)
        print(
            f"\n== {name}: {len(rows)} statements, {planning:.2f} ms planning, "
            f"{running:.2f} ms running the reads"
        )
        print("   plan    run")
        for planned, ran, text in sorted(rows, key=lambda row: row[0], reverse=True):
            print(f"{planned:7.3f} {'   -  ' if ran is None else f'{ran:6.3f}'}  {text}")


# Whose callees `profile` lists: the view, the booking services and their steps.
CALLEES = r"\(post\)|appointment_book|appointment_hold|check_eligibility|claim_first|\(write\)"


def profile(world: dict, bookings: int) -> None:
    sides = _sides(world)
    bodies = list(_bookings(world, bookings * len(sides) + 2 * len(sides)))
    for (_, client, expected), body in zip(sides * 2, bodies, strict=False):
        _post(client, body, expected)  # warm-up
    bodies = bodies[2 * len(sides) :]
    for index, (name, client, expected) in enumerate(sides):
        profiler = cProfile.Profile(time.process_time)  # CPU, not waits
        profiler.enable()
        for body in bodies[index :: len(sides)]:
            _post(client, body, expected)
        profiler.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(order)
            stats.print_stats(45)
            if order == "cumulative":
                stats.print_callees(CALLEES)
            print(f"\n== {name}, by {order}, {bookings} bookings")
            print(out.getvalue())


# Functions whose CPU time `sections` reports (inclusive, per booking): the view's steps.
SECTIONS = (
    "django.contrib.sessions.backends.db.SessionStore.load",
    "web.sessions.SessionStore.load",
    "django.contrib.auth.get_user",
    "access.UserBackend.get_user",
    "rest_framework.serializers.Serializer.is_valid",
    "online.api.views.treatment_and_practitioner",
    "access.is_staff_at",
    "access.can",
    "online.api.views.AppointmentCreateApi._client",
    "diary.services.appointment_book",
    "online.api.views.holds.appointment_hold",
    "diary.holds._check_not_flooding",
    "diary.services.rules_and_diary",
    "diary.services.free_practitioners",
    "diary.holds.free_practitioners",
    "diary.services.check_eligibility",
    "diary.holds.check_eligibility",
    "clinical.rules.booking_facts",
    "clinical.rules.clinic_rules",
    "clinical.rules.health_records",
    "clinical.rules.treatment_facts",
    "clinical.prerequisites.load",
    "diary.services.claim_first",
    "diary.holds.claim_first",
    "diary.reservation.reserve",
    "bookings.models.Appointment.save",
    "diary.services.change_record",
    "diary.holds.change_record",
    "aftercare.planning.on_booked",
    "aftercare.planning.on_held",
    "diary.services.plan_forms_reminder",
    "diary.services.signoff_sync",
    "diary.services._hold",
    "online.api.views.AppointmentCreateApi._answer",
    "clinic.audit.audit_api",
)


def _wrap(dotted: str, totals: dict) -> None:
    import functools
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:-1]:
            owner = getattr(owner, name)
        break
    original = getattr(owner, parts[-1], None)
    if original is None:  # not in this version of the code
        return
    if isinstance(original, staticmethod):
        original = original.__func__

    @functools.wraps(original)
    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[dotted] = totals.get(dotted, 0.0) + time.process_time() - started

    if isinstance(owner, type) and isinstance(owner.__dict__.get(parts[-1]), staticmethod):
        timed = staticmethod(timed)
    setattr(owner, parts[-1], timed)


def sections(world: dict, bookings: int) -> None:
    """CPU per booking in each of SECTIONS, without a profiler's overhead elsewhere."""
    sides = _sides(world)
    bodies = list(_bookings(world, bookings * len(sides) + 2 * len(sides)))
    for (_, client, expected), body in zip(sides * 2, bodies, strict=False):
        _post(client, body, expected)  # warm-up
    bodies = bodies[2 * len(sides) :]
    for index, (name, client, expected) in enumerate(sides):
        totals: dict = {}
        for dotted in SECTIONS:
            _wrap(dotted, totals)
        started = time.process_time()
        mine = bodies[index :: len(sides)]
        for body in mine:
            _post(client, body, expected)
        whole = (time.process_time() - started) * 1000 / len(mine)
        print(f"\n== {name}: {whole:.2f} ms of CPU per booking ({len(mine)} bookings)")
        for dotted in SECTIONS:
            if dotted in totals:
                print(f"{totals[dotted] * 1000 / len(mine):8.2f}  {dotted}")


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import logging

    from django.test import override_settings

    from bench.pages import seeded

    logging.getLogger("django.request").setLevel(logging.ERROR)
    world = seeded()
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        if argv[0] == "statements":
            statements(world)
        elif argv[0] == "plans":
            plans(world)
        elif argv[0] == "sections":
            sections(world, int(argv[1]))
        else:
            profile(world, int(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
