"""The floor of a booking (issue 16): a plain Django view that books with only the SQL a safe
booking needs, and the benchmark that runs it side by side with our booking POSTs.

    python -m bench.floor measure BOOKINGS   # BOOKINGS per side; prints one line of JSON

The view is in bench/ only and never routed in the product: this module is also the URLconf
the benchmark runs under (`urlpatterns`: the site's own, and /bench/floor/book/ before them),
set by override_settings for the measuring process alone.

What the floor does, in one transaction: read the treatment (its clinic, length, buffer)
and the client by their address (through the unique index on lower(email)), insert the
client if new, lock the practitioner's row, check that the practitioner has nothing active
overlapping, pick a room with no active hold overlapping, insert the appointment, its
change record, the room's hold and two outbox rows (the confirmation and the reminder). The
holds' exclusion constraint still guards the room; nothing else is checked: no opening or
working hours, no clinical rules, no validation beyond parsing. It is what the issue calls
the floor: what any safe booking must pay, the rest is what ours adds.

The measurement: the same clinic group (bench/group.py), free one-hour starts of the coming
weeks dealt out in turn to the floor and our two POSTs (the front desk booking for a client
on record, 201; the public asking for a time, 202 with an emailed link), interleaved, each
through django.test.Client in this process. CPU per booking is this process's own CPU time
(the web side: request, view, ORM, psycopg) and the PostgreSQL backend's, read from
/proc/<backend pid>/schedstat before and after each request (nanoseconds; clock ticks from
/proc/<pid>/stat where there is no schedstat). bench/run.py runs it in several rounds, each
on a fresh copy of the group, and reports the median.
"""

import json
import logging
import os
import statistics
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench import cpu
from config import urls as site_urls

ACTIVE = ("confirmed", "completed", "no_show", "held")  # bookings.models.ACTIVE_STATUSES


@csrf_exempt
@require_POST
def floor_book(request):
    """Book {treatment, start, practitioner, name, email} with the SQL a safe booking needs:
    201 and the reference, or 409 when the practitioner or every room is taken."""
    from bookings.models import new_reference

    body = json.loads(request.body)
    start = datetime.fromisoformat(body["start"])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.id, t.clinic_id, t.duration_minutes, t.buffer_after_minutes,"
                " c.organisation_id FROM clinic_treatment t"
                " JOIN clinic_clinic c ON c.id = t.clinic_id WHERE t.slug = %s AND t.active",
                [body["treatment"]],
            )
            treatment, clinic, minutes, buffer, organisation = cursor.fetchone()
            end = start + timedelta(minutes=minutes)
            blocked = end + timedelta(minutes=buffer)
            client = _client(cursor, organisation, clinic, body["name"], body["email"])
            cursor.execute(
                "SELECT id FROM clinic_practitioner WHERE id = %s AND clinic_id = %s FOR UPDATE",
                [body["practitioner"], clinic],
            )
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM bookings_appointment WHERE practitioner_id = %s"
                " AND status = ANY(%s) AND start < %s AND blocked_until > %s)",
                [body["practitioner"], list(ACTIVE), blocked, start],
            )
            if cursor.fetchone()[0]:
                return JsonResponse({"code": "slot_unavailable"}, status=409)
            cursor.execute(
                "SELECT r.id FROM clinic_resource r JOIN clinic_treatment_required_resource_kinds"
                " k ON k.resourcekind_id = r.kind_id AND k.treatment_id = %s"
                " WHERE r.clinic_id = %s AND r.active AND NOT EXISTS (SELECT 1 FROM"
                " bookings_appointmentresource h WHERE h.resource_id = r.id AND h.active"
                " AND h.start < %s AND h.blocked_until > %s) ORDER BY r.id LIMIT 1",
                [treatment, clinic, blocked, start],
            )
            room = cursor.fetchone()
            if room is None:
                return JsonResponse({"code": "slot_unavailable"}, status=409)
            reference = new_reference()
            cursor.execute(
                "INSERT INTO bookings_appointment (clinic_id, reference, client_id, treatment_id,"
                ' practitioner_id, practitioner_requested, start, "end", blocked_until, status,'
                " channel, notes, override_reason, eligibility_flag, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, true, %s, %s, %s, 'confirmed', 'online', '', '',"
                " '', now(), now()) RETURNING id",
                [clinic, reference, client, treatment, body["practitioner"], start, end, blocked],
            )
            appointment = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO bookings_appointmentchange (appointment_id, action, at, channel,"
                " from_status, to_status, to_start, reason, details) VALUES"
                " (%s, 'booked', now(), 'online', '', 'confirmed', %s, '', '{}')",
                [appointment, start],
            )
            cursor.execute(
                "INSERT INTO bookings_appointmentresource (appointment_id, resource_id, start,"
                " blocked_until, active) VALUES (%s, %s, %s, %s, true)",
                [appointment, room[0], start, blocked],
            )
            data = json.dumps({"start": start.isoformat(), "sequence": 0})
            cursor.execute(
                'INSERT INTO aftercare_message (key, clinic_id, client_id, "to",'
                " appointment_id, treatment_id, kind, channel, due_at, status, attempts,"
                " last_error, data, created_at, updated_at) VALUES"
                " (%s, %s, %s, '', %s, %s, 'confirmation', 'email', now(), 'pending', 0, '',"
                " %s, now(), now()),"
                " (%s, %s, %s, '', %s, %s, 'reminder', 'email', %s, 'pending', 0, '',"
                " %s, now(), now())",
                [f"appointment:{appointment}:confirmation", clinic, client, appointment]
                + [treatment, data, f"appointment:{appointment}:reminder", clinic, client]
                + [appointment, treatment, start - timedelta(hours=24), data],
            )
    except IntegrityError:  # the room's exclusion constraint: taken meanwhile
        return JsonResponse({"code": "slot_unavailable"}, status=409)
    return JsonResponse({"reference": reference}, status=201)


def _client(cursor, organisation: int, clinic: int, name: str, email: str) -> int:
    cursor.execute(
        "SELECT id FROM clinic_client WHERE organisation_id = %s AND lower(email) = lower(%s)",
        [organisation, email],
    )
    found = cursor.fetchone()
    if found:
        return found[0]
    cursor.execute(
        "INSERT INTO clinic_client (organisation_id, home_clinic_id, name, email, phone,"
        " created_at, sms_opted_in, sms_opt_in_source, sms_opt_out_source)"
        " VALUES (%s, %s, %s, %s, '', now(), false, '', '') RETURNING id",
        [organisation, clinic, name, email],
    )
    return cursor.fetchone()[0]


FLOOR_PATH = "/bench/floor/book/"
urlpatterns = [path(FLOOR_PATH.lstrip("/"), floor_book, name="bench-floor")]
urlpatterns += site_urls.urlpatterns
handler404 = site_urls.handler404
handler500 = site_urls.handler500


# Measuring ------------------------------------------------------------------------------


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend `pid` has used: nanoseconds from schedstat,
    else clock ticks from stat, else 0.0 (a server on another machine, or not Linux)."""
    seconds = cpu.runtime(pid)
    if seconds is None:
        stat = cpu._stat(cpu.PROC / str(pid))
        seconds = stat[2] if stat else 0.0
    return seconds


def free_starts(world: dict, wanted: int) -> list[tuple[str, str, int]]:
    """(treatment slug, start, practitioner) for up to `wanted` bookings at the group's
    first clinic (the front desk's) in the coming weeks: one-hour starts on the hour offered
    by the search, two practitioners a start at most (the rooms run out before the
    practitioners do), spread evenly over the weeks."""
    from datetime import date

    from clinic.models import Treatment
    from diary.availability import find_slots

    first = date.fromisoformat(world["today"]) + timedelta(days=2)
    slug = world["clinics"][0]["treatments"][0]["slug"]
    treatment = Treatment.objects.select_related("clinic").get(slug=slug)
    slots = find_slots(treatment=treatment, first_day=first, last_day=first + timedelta(days=50))
    picked = [
        (slug, slot.start.isoformat(), practitioner)
        for slot in slots
        if slot.start.astimezone(treatment.clinic.tzinfo).minute == 0
        for practitioner in slot.practitioner_ids[:2]
    ]
    step = max(1, len(picked) // max(1, wanted))
    return picked[::step][:wanted]


def measure(world: dict, *, bookings: int) -> dict:
    """Up to `bookings` rounds, each booking once with the floor, the front desk's POST and
    the public's, in turn; wall time and CPU per booking of each."""
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from web import serving

    # Django's request logger reports each 409 at WARNING: a few are expected here.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    starts = free_starts(world, bookings * 3)
    staff = Client()
    staff.force_login(
        get_user_model().objects.get(pk=world["clinics"][0]["users"]["front_desk"]),
        backend="access.UserBackend",
    )
    sides = {
        "floor (bench/floor.py)": (Client(), FLOOR_PATH, 201),
        "front desk POST /api/v1/appointments/ (201)": (staff, "/api/v1/appointments/", 201),
        "public POST /api/v1/appointments/ (hold, 202)": (Client(), "/api/v1/appointments/", 202),
    }
    tallies = {name: {"times": [], "web": 0.0, "postgres": 0.0, "409": 0} for name in sides}
    clients = world["shape"]["clients"]
    with override_settings(ROOT_URLCONF="bench.floor"):
        if os.environ.get("BENCH_GC_FREEZE", "1") != "0":
            # As the server does (config/wsgi.py): otherwise a full collection walking the
            # start-up objects (~110 ms once per ~60 bookings) is charged to whichever side
            # allocated at that moment.
            serving.ready_to_serve()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        for number in range(len(starts) // len(sides)):
            for offset, (name, (client, url, expected)) in enumerate(sides.items()):
                slug, start, practitioner = starts[number * len(sides) + offset]
                # A client on record, a different one each time, as a busy desk books.
                email = f"client{2 + (number * 7919 + offset) % (clients - 1)}@group.example.com"
                body = {"treatment": slug, "start": start, "practitioner": practitioner}
                if url == FLOOR_PATH:
                    body.update(name="Bench Client", email=email)
                else:
                    body["client"] = {"name": "Bench Client", "email": email}
                tally = tallies[name]
                web, backend = time.process_time(), _backend_cpu(pid)
                started = time.perf_counter()
                response = client.post(url, json.dumps(body), content_type="application/json")
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code == 409:
                    tally["409"] += 1
                    continue
                if response.status_code != expected:
                    raise RuntimeError(
                        f"{name} answered {response.status_code}: {response.content[:300]!r}"
                    )
                tally["web"] += time.process_time() - web
                tally["postgres"] += _backend_cpu(pid) - backend
                tally["times"].append(elapsed)
    return {name: _per_booking(tally) for name, tally in tallies.items()}


def _per_booking(tally: dict) -> dict:
    from bench.stats import percentile

    n = len(tally["times"]) or 1
    return {
        "bookings": len(tally["times"]),
        "conflicts": tally["409"],
        "median": round(statistics.median(tally["times"]), 1) if tally["times"] else None,
        "p95": round(percentile(tally["times"], 0.95), 1) if tally["times"] else None,
        "web_cpu_ms": round(tally["web"] * 1000 / n, 2),
        "postgres_cpu_ms": round(tally["postgres"] * 1000 / n, 2),
    }
