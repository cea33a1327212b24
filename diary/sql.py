"""The SQL of the slot search's three queries and of the booking's lock step, written out for
PostgreSQL with named parameters.

Why not the ORM alone: building and compiling the search's querysets cost the web worker
more CPU than PostgreSQL spends running them (about 1 ms each on the benchmark machine,
three per search, and a search is a few ms in all). Why the ORM as well: the demo (`make
run`) runs on SQLite, which has no arrays and no FOR UPDATE, and the querysets are the
tests' reference for these statements (tests/diary/test_sql.py compares them row for row).
PostgreSQL runs the statements below, any other database the querysets: the choice is made
in one place per caller (availability._rows, reservation.lock_rows).

Every value is a bound parameter; ids come as lists, bound as arrays. The only text put
into a statement is ACTIVE_STATUSES, from code, never from a user.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection

from bookings.db import together
from bookings.models import ACTIVE_STATUSES
from clinic.prepared import Prepared, kept_cursor, text

# The busy rows' first column, whose time is taken (BUSY writes them out).
PRACTITIONER, RESOURCE = "practitioner", "resource"

# Literals, not parameters: PostgreSQL uses a partial index only where it can prove from the
# query's conditions that every row asked for is in the index, so the appointments' status
# condition reads exactly like the index's (`appointment_busy_lookup`, bookings/models.py).
_ACTIVE_STATUSES = ", ".join(f"'{status.value}'" for status in ACTIVE_STATUSES)


# The calendar of a search (availability.calendar): (practitioner, weekday, start, end,
# closed on) rows. The working hours of the clinic's active practitioners who offer the
# treatment (of one of them when `practitioner` is not NULL), the clinic's opening hours
# (no practitioner) and its closures from first_day to last_day (only their date). Small
# tables, a few rows per practitioner and per clinic: the working hours come through their
# practitioner_id index, the rest PostgreSQL reads whole until the unique index on (clinic_id,
# date), `closure_once_per_day`, and the foreign-key indexes are worth it. The casts type
# the empty columns of each part: PostgreSQL types a union's columns part by part.
CALENDAR = """
SELECT wh.practitioner_id, wh.weekday, wh.starts, wh.ends, NULL::date
  FROM clinic_workinghours wh
  JOIN clinic_practitioner p ON p.id = wh.practitioner_id
  JOIN clinic_practitioner_treatments offers ON offers.practitioner_id = p.id
 WHERE p.clinic_id = %(clinic)s
   AND p.active
   AND offers.treatment_id = %(treatment)s
   AND (%(practitioner)s::bigint IS NULL OR wh.practitioner_id = %(practitioner)s::bigint)
UNION ALL
SELECT NULL::bigint, oh.weekday, oh.opens, oh.closes, NULL::date
  FROM clinic_openinghours oh
 WHERE oh.clinic_id = %(clinic)s
UNION ALL
SELECT NULL::bigint, NULL::integer, NULL::time, NULL::time, closure.date
  FROM clinic_closure closure
 WHERE closure.clinic_id = %(clinic)s
   AND closure.date BETWEEN %(first_day)s AND %(last_day)s
"""

# The resources of a search (availability.resources_by_kind): (kind, resource) rows, one per
# active resource of the clinic of each kind the treatment requires, and (kind, NULL) for a
# kind the clinic has none of; by resource id. Two small tables; the kinds a treatment
# needs have an index on treatment_id, the resources one on kind_id.
RESOURCES = """
SELECT needs.resourcekind_id, resource.id
  FROM clinic_treatment_required_resource_kinds needs
  LEFT JOIN clinic_resource resource
    ON resource.kind_id = needs.resourcekind_id
   AND resource.clinic_id = %(clinic)s
   AND resource.active
 WHERE needs.treatment_id = %(treatment)s
 ORDER BY resource.id, needs.resourcekind_id
"""

# The busy time that meets [lo, hi) (availability.busy_between): (owner kind, owner, from,
# to) rows, instants as whole epoch seconds (integers load many times faster than aware
# datetimes, and the search only compares them). The practitioners' time off (index on
# (practitioner_id, start)); their active appointments, to the end of the buffer, through
# the partial index `appointment_busy_lookup` (practitioner_id, blocked_until, start), and
# the resources' active holds through `hold_busy_lookup` (resource_id, blocked_until,
# start) (bookings/models.py): `blocked_until > lo` reads the diary from lo on, never its
# history, and from the index alone. `exclude` is the appointment being moved, or NULL;
# with the plan made once per connection (clinic/prepared.py use_generic_plans) it is a
# filter on the rows the index finds: measured no dearer than a plan that folds it away.
# Instants through date_part('epoch'), a float, not EXTRACT(EPOCH), a numeric since
# PostgreSQL 14 that costs PostgreSQL several times more per value (a two-week search of a
# full diary reads over a thousand rows: 1.8 -> 1.25 ms of its CPU). The floor is the same:
# a float holds a microsecond instant of this century to within a ten-millionth of a
# second, so it never crosses a whole second (tests/diary/test_sql.py).
BUSY = f"""
SELECT 'practitioner', time_off.practitioner_id,
       FLOOR(date_part('epoch', time_off.start))::bigint,
       FLOOR(date_part('epoch', time_off."end"))::bigint
  FROM clinic_timeoff time_off
 WHERE time_off.practitioner_id = ANY(%(practitioners)s::bigint[])
   AND time_off.start < %(hi)s
   AND time_off."end" > %(lo)s
UNION ALL
SELECT 'practitioner', appointment.practitioner_id,
       FLOOR(date_part('epoch', appointment.start))::bigint,
       FLOOR(date_part('epoch', appointment.blocked_until))::bigint
  FROM bookings_appointment appointment
 WHERE appointment.practitioner_id = ANY(%(practitioners)s::bigint[])
   AND appointment.status IN ({_ACTIVE_STATUSES})
   AND appointment.blocked_until > %(lo)s
   AND appointment.start < %(hi)s
   AND (%(exclude)s::bigint IS NULL OR appointment.id <> %(exclude)s::bigint)
UNION ALL
SELECT 'resource', hold.resource_id,
       FLOOR(date_part('epoch', hold.start))::bigint,
       FLOOR(date_part('epoch', hold.blocked_until))::bigint
  FROM bookings_appointmentresource hold
 WHERE hold.resource_id = ANY(%(resources)s::bigint[])
   AND hold.active
   AND hold.blocked_until > %(lo)s
   AND hold.start < %(hi)s
   AND (%(exclude)s::bigint IS NULL OR hold.appointment_id <> %(exclude)s::bigint)
"""

# BUSY for a search of the diary (availability.load_diary), with the ids it asks about worked
# out in the statement: the active practitioners of the clinic who offer the treatment (the
# one asked for, if any; CALENDAR's, those without working hours too, whose rows the search
# leaves aside) and the active resources of the kinds it requires (RESOURCES'). It needs
# nothing from the calendar's or the resources' rows, so the three go in one round trip
# (SEARCH): an availability look was two. Each ANY(ARRAY(...)) is worked out once
# before the scans (an InitPlan), which still go through the busy-lookup indexes.
SEARCH_PRACTITIONERS = """
SELECT p.id
  FROM clinic_practitioner p
  JOIN clinic_practitioner_treatments offers ON offers.practitioner_id = p.id
 WHERE p.clinic_id = %(clinic)s
   AND p.active
   AND offers.treatment_id = %(treatment)s
   AND (%(practitioner)s::bigint IS NULL OR p.id = %(practitioner)s::bigint)
"""
SEARCH_RESOURCES = """
SELECT resource.id
  FROM clinic_treatment_required_resource_kinds needs
  JOIN clinic_resource resource
    ON resource.kind_id = needs.resourcekind_id
   AND resource.clinic_id = %(clinic)s
   AND resource.active
 WHERE needs.treatment_id = %(treatment)s
"""
BUSY_OF_SEARCH = BUSY.replace(
    "%(practitioners)s::bigint[]", f"ARRAY({SEARCH_PRACTITIONERS})"
).replace("%(resources)s::bigint[]", f"ARRAY({SEARCH_RESOURCES})")

# The booking's lock step (reservation.lock_rows), in its transaction: a lock wait longer
# than this fails with 55P03, which the booking turns into "slot unavailable".
SET_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '3s'"

# The practitioner's row and nothing else (no join: a join would lock the joined rows too,
# the clinic's, and make every booking in the clinic wait for every other), by primary key.
LOCK_PRACTITIONER = """
SELECT id FROM clinic_practitioner WHERE id = %(practitioner)s FOR UPDATE
"""


# A new appointment's resource holds (services._hold), and the names of the resources held in
# the order the answer lists them (Resource's ordering within one clinic: kind, name), in
# one round trip: the booking's answer shows them, and reading them back was a query of its
# own. The holds' exclusion constraint refuses a room taken meanwhile, as any insert would.
HOLD = """
WITH hold AS (
    INSERT INTO bookings_appointmentresource
           (appointment_id, resource_id, start, blocked_until, active)
    SELECT %(appointment)s, held.id, %(start)s, %(blocked_until)s, true
      FROM unnest(%(resources)s::bigint[]) AS held(id)
    RETURNING resource_id
)
SELECT resource.name
  FROM hold
  JOIN clinic_resource resource ON resource.id = hold.resource_id
  JOIN clinic_resourcekind kind ON kind.id = resource.kind_id
 ORDER BY kind.name, resource.name
"""


# The id of an appointment about to be written (services.appointment_book, holds
# .appointment_hold), drawn with the rules' reads so that the appointment can be inserted in
# the round trip of its other rows: they name it.
NEXT_APPOINTMENT_ID = "SELECT nextval(pg_get_serial_sequence('bookings_appointment', 'id'))"


# How many holds an address asked for since `since` (holds._check_not_flooding), any case:
# lower(email) and created_at, the index bookingrequest_recent_by_email.
RECENT_HOLDS = """
SELECT count(*)
  FROM bookings_bookingrequest request
 WHERE lower(request.email) = lower(%(email)s)
   AND request.created_at >= %(since)s
"""


# The reads sent on almost every request, planned once per connection (clinic/prepared.py
# Prepared): each parameter's type, in order.
_CALENDAR = Prepared(
    "diary_calendar",
    CALENDAR,
    {
        "clinic": "bigint",
        "treatment": "bigint",
        "practitioner": "bigint",
        "first_day": "date",
        "last_day": "date",
    },
)
_RESOURCES = Prepared("diary_resources", RESOURCES, {"clinic": "bigint", "treatment": "bigint"})
_BUSY = Prepared(
    "diary_busy",
    BUSY,
    {
        "practitioners": "bigint[]",
        "resources": "bigint[]",
        "lo": "timestamptz",
        "hi": "timestamptz",
        "exclude": "bigint",
    },
)
_BUSY_OF_SEARCH = Prepared(
    "diary_busy_of_search",
    BUSY_OF_SEARCH,
    {
        "clinic": "bigint",
        "treatment": "bigint",
        "practitioner": "bigint",
        "lo": "timestamptz",
        "hi": "timestamptz",
        "exclude": "bigint",
    },
)
# A search's reads, in one round trip: calendar_rows, resource_rows, BUSY_OF_SEARCH's rows.
SEARCH = (_CALENDAR, _RESOURCES, _BUSY_OF_SEARCH)
_LOCK_PRACTITIONER = Prepared(
    "diary_lock_practitioner", LOCK_PRACTITIONER, {"practitioner": "bigint"}
)
# How many holds an address asked for since an instant (one row, one count), read with a
# hold's rules (diary/holds.py).
RECENT_HOLDS_COUNT = Prepared(
    "diary_recent_holds", RECENT_HOLDS, {"email": "text", "since": "timestamptz"}
)
_HOLD = Prepared(
    "bookings_appointmentresource_hold",
    HOLD,
    {
        "appointment": "bigint",
        "start": "timestamptz",
        "blocked_until": "timestamptz",
        "resources": "bigint[]",
    },
)


def calendar_rows(
    *,
    clinic_id: int,
    treatment_id: int,
    first_day: date,
    last_day: date,
    practitioner_id: int | None = None,
) -> list[tuple]:
    return _rows(
        _CALENDAR,
        {
            "clinic": clinic_id,
            "treatment": treatment_id,
            "practitioner": practitioner_id,
            "first_day": first_day,
            "last_day": last_day,
        },
    )


def resource_rows(*, clinic_id: int, treatment_id: int) -> list[tuple]:
    return _rows(_RESOURCES, {"clinic": clinic_id, "treatment": treatment_id})


def search_params(
    *,
    clinic_id: int,
    treatment_id: int,
    first_day: date,
    last_day: date,
    practitioner_id: int | None,
    lo: datetime,
    hi: datetime,
    exclude_appointment_id: int | None,
) -> dict:
    """SEARCH's named parameters ("clinic" and "treatment" as the clinical statements name
    them, so that a booking sends both in one round trip: clinical.rules.booking_facts)."""
    return {
        "clinic": clinic_id,
        "treatment": treatment_id,
        "practitioner": practitioner_id,
        "first_day": first_day,
        "last_day": last_day,
        "lo": lo,
        "hi": hi,
        "exclude": exclude_appointment_id,
    }


def busy_rows(
    *,
    lo: datetime,
    hi: datetime,
    practitioner_ids: list[int],
    resource_ids: list[int],
    exclude_appointment_id: int | None,
) -> list[tuple]:
    return _rows(
        _BUSY,
        {
            "lo": lo,
            "hi": hi,
            "practitioners": list(practitioner_ids),
            "resources": list(resource_ids),
            "exclude": exclude_appointment_id,
        },
    )


# The lock step and the re-read under it, in one round trip (reservation.lock_and_read): the
# lock timeout, the practitioner's row locked, then BUSY. Sent as one string of three
# statements (the simple query protocol: Django's psycopg cursors bind on the client), run
# in order; in READ COMMITTED each statement takes its own snapshot, so BUSY, which starts
# only once the lock is held, sees whatever the lock's previous holder committed. The lock
# and BUSY go as their prepared EXECUTEs (lock_then_busy).
LOCK_THEN_BUSY = (SET_LOCK_TIMEOUT, _LOCK_PRACTITIONER, _BUSY)


def lock_then_busy() -> str:
    """LOCK_THEN_BUSY's text for this connection."""
    return ";\n".join(text(statement) for statement in LOCK_THEN_BUSY)


@dataclass
class Savepoint:
    """The savepoint of a booking's attempts (reservation.claim_first), which the first lock
    step opens in its own round trip."""

    name: str
    opened: bool = False


# The savepoint the lock steps of this context open if it is not open yet (claim_first sets
# it around its attempts on PostgreSQL); None: they open none.
opening: ContextVar[Savepoint | None] = ContextVar("lock_step_savepoint", default=None)


def locked_busy_rows(
    *,
    practitioner_id: int,
    lo: datetime,
    hi: datetime,
    resource_ids: list[int],
    exclude_appointment_id: int | None,
) -> list[tuple]:
    """Lock the practitioner's row, then busy_rows for that practitioner and the resources;
    first, in the same string, the SAVEPOINT of `opening` if it is not open yet."""
    statements = lock_then_busy()
    savepoint = opening.get()
    opens = savepoint is not None and not savepoint.opened
    if opens:
        statements = f"{connection.ops.savepoint_create_sql(savepoint.name)};\n{statements}"
        savepoint.opened = True  # the string's first statement: run before anything can fail
    with kept_cursor() as cursor:
        cursor.execute(
            statements,
            {
                "practitioner": practitioner_id,
                "lo": lo,
                "hi": hi,
                "practitioners": [practitioner_id],
                "resources": list(resource_ids),
                "exclude": exclude_appointment_id,
            },
        )
        # The results come in the statements' order: [SAVEPOINT,] SET, the lock's row, BUSY's.
        for _ in range(3 if opens else 2):
            cursor.nextset()
        return cursor.fetchall()


def hold_resources(
    *,
    appointment_id: int,
    start: datetime,
    blocked_until: datetime,
    resource_ids: list[int],
    writes: together | None = None,
) -> list[str]:
    """HOLD; after the inserts `writes` gathered, in one round trip, when given."""
    params = {
        "appointment": appointment_id,
        "start": start,
        "blocked_until": blocked_until,
        "resources": list(resource_ids),
    }
    rows = writes.send(_HOLD.sql(), params) if writes is not None else _rows(_HOLD, params)
    return [name for (name,) in rows]


def lock_practitioner(*, practitioner_id: int) -> None:
    with kept_cursor() as cursor:
        cursor.execute(SET_LOCK_TIMEOUT)
        cursor.execute(_LOCK_PRACTITIONER.sql(), {"practitioner": practitioner_id})


def _rows(query: str | Prepared, params: dict) -> list[tuple]:
    with kept_cursor() as cursor:
        cursor.execute(text(query), params)
        return cursor.fetchall()
