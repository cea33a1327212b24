"""The slot search: when can this treatment be booked, and with whom.

`load_diary` reads everything a search needs in three queries, whatever the date range or
the number of practitioners (on PostgreSQL as written out in diary/sql.py, elsewhere as the
querysets here); `compute_slots` is pure Python over that data.
A slot needs the clinic open, a practitioner who offers the treatment working and free for
the treatment plus its buffer, and one free resource of each required kind.

Choices where the brief is silent:
- Slots start on the clinic's grid of local wall time (step minutes from midnight).
- The treatment itself must fit inside opening and working hours; the buffer after it only
  has to be free of other bookings and time off (clean-up may run past closing).
- Minimum notice and maximum advance bind online bookings; staff may book at short notice
  and far ahead, but never in the past.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    TimeField,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from bookings.db import Epoch, is_postgresql, rows_together
from bookings.models import ACTIVE_STATUSES, Appointment, AppointmentResource
from clinic.models import (
    Closure,
    OpeningHours,
    Practitioner,
    ResourceKind,
    TimeOff,
    Treatment,
    WorkingHours,
)
from clinical import prerequisites
from diary import sql
from diary.intervals import (
    Busy,
    LocalDay,
    Starts,
    from_epoch,
    intersect_wall,
    local_days,
    minute_of_day,
    to_epoch,
)

MAX_RANGE_DAYS = 62


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    practitioner_ids: tuple[int, ...]


@dataclass
class Diary:
    """Everything one search needs, as plain data (instants are epoch seconds)."""

    tz: ZoneInfo
    step_minutes: int
    duration: int  # seconds
    buffer: int  # seconds
    opening: dict[int, list[tuple[time, time]]]  # weekday -> wall periods
    closures: set[date]
    working: dict[int, dict[int, list[tuple[time, time]]]]  # practitioner -> weekday -> periods
    practitioner_busy: dict[int, Busy]
    # kind id -> [(resource id, busy)], resources in pk order; a kind with no resource
    # has an empty list and makes every slot impossible.
    resources: dict[int, list[tuple[int, Busy]]] = field(default_factory=dict)


def load_diary(
    *,
    treatment: Treatment,
    first_day: date,
    last_day: date,
    practitioner_id: int | None = None,
    exclude_appointment_id: int | None = None,
) -> Diary:
    """Read what a search from first_day to last_day needs, in three queries: on PostgreSQL
    in one round trip (sql.SEARCH: the busy time's statement works out the
    practitioners and resources it asks about), elsewhere the querysets, the busy time's
    for the practitioners and resources the first two found."""
    if is_postgresql():
        params = search_params(
            treatment=treatment,
            first_day=first_day,
            last_day=last_day,
            practitioner_id=practitioner_id,
            exclude_appointment_id=exclude_appointment_id,
        )
        return diary_of(treatment, rows_together(sql.SEARCH, params))
    query = {
        "clinic_id": treatment.clinic_id,
        "treatment_id": treatment.pk,
        "first_day": first_day,
        "last_day": last_day,
        "practitioner_id": practitioner_id,
    }
    opening, working, closures = calendar_of(list(calendar_queryset(**query)))
    resources = resources_of(
        list(resource_queryset(clinic_id=treatment.clinic_id, treatment_id=treatment.pk))
    )
    lo, hi = _search_span(treatment, first_day, last_day)
    practitioner_busy, holds = busy_between(
        lo,
        hi,
        practitioner_ids=list(working),
        resource_ids=[rid for rids in resources.values() for rid in rids],
        exclude_appointment_id=exclude_appointment_id,
    )
    return _diary(treatment, opening, working, closures, resources, practitioner_busy, holds)


def _search_span(treatment: Treatment, first_day: date, last_day: date) -> tuple:
    """The instants a search from first_day to last_day reads busy time between."""
    tz = treatment.clinic.tzinfo
    span = treatment.duration_minutes + treatment.buffer_after_minutes
    lo = from_epoch(LocalDay(first_day, tz).start())
    return lo, from_epoch(LocalDay(last_day, tz).end() + span * 60)


def search_params(
    *,
    treatment: Treatment,
    first_day: date,
    last_day: date,
    practitioner_id: int | None = None,
    exclude_appointment_id: int | None = None,
) -> dict:
    """The parameters of sql.SEARCH, the reads of load_diary on PostgreSQL: a caller may
    send them with reads of its own (the rules', for a booking) and make the Diary of their
    rows with diary_of."""
    lo, hi = _search_span(treatment, first_day, last_day)
    return sql.search_params(
        clinic_id=treatment.clinic_id,
        treatment_id=treatment.pk,
        first_day=first_day,
        last_day=last_day,
        practitioner_id=practitioner_id,
        lo=lo,
        hi=hi,
        exclude_appointment_id=exclude_appointment_id,
    )


def diary_of(treatment: Treatment, rows: Sequence[list[tuple]]) -> Diary:
    """The Diary of sql.SEARCH's rows (read with search_params), as load_diary makes it."""
    calendar_rows, resource_rows, busy_rows = rows
    opening, working, closures = calendar_of(calendar_rows)
    practitioner_busy, holds = busy_by_owner(busy_rows)
    return _diary(
        treatment,
        opening,
        working,
        closures,
        resources_of(resource_rows),
        practitioner_busy,
        holds,
    )


def _diary(treatment, opening, working, closures, resources, practitioner_busy, holds) -> Diary:
    clinic = treatment.clinic
    return Diary(
        tz=clinic.tzinfo,
        step_minutes=clinic.slot_step_minutes,
        duration=treatment.duration_minutes * 60,
        buffer=treatment.buffer_after_minutes * 60,
        opening=opening,
        closures=closures,
        working=working,
        practitioner_busy={pid: Busy(practitioner_busy.get(pid, ())) for pid in working},
        resources={
            kind: [(rid, Busy(holds.get(rid, ()))) for rid in rids]
            for kind, rids in resources.items()
        },
    )


def refresh_busy(
    diary: Diary,
    *,
    practitioner_id: int,
    start: int,
    exclude_appointment_id: int | None = None,
    lock: bool = False,
) -> Diary:
    """`diary` narrowed to one practitioner, with that practitioner's and the resources'
    busy time read again around a booking at `start` (epoch seconds), in one query.

    The booking path reads the whole diary once, without locks, to find who is free; under
    the practitioner's lock only the busy intervals can have moved since, and only those
    that meet [start, start + treatment + buffer) decide whether `start` is still free.
    Hours, closures and the list of resources are kept from the first read. `lock`: the
    practitioner's row is locked first (the booking's lock step, reservation.lock_and_read),
    on PostgreSQL in the same round trip as the read.
    """
    end = start + diary.duration + diary.buffer
    practitioner_busy, holds = busy_between(
        from_epoch(start),
        from_epoch(end),
        practitioner_ids=[practitioner_id],
        resource_ids=[rid for kind in diary.resources.values() for rid, _ in kind],
        exclude_appointment_id=exclude_appointment_id,
        lock_practitioner_id=practitioner_id if lock else None,
    )
    return replace(
        diary,
        working={practitioner_id: diary.working.get(practitioner_id, {})},
        practitioner_busy={practitioner_id: Busy(practitioner_busy.get(practitioner_id, ()))},
        resources={
            kind: [(rid, Busy(holds.get(rid, ()))) for rid, _ in candidates]
            for kind, candidates in diary.resources.items()
        },
    )


def calendar_of(rows: list[tuple]):
    """The clinic's opening hours (weekday -> periods), the working hours of the active
    practitioners who offer the treatment (practitioner -> weekday -> periods), and the
    clinic's closures in the range, from sql.CALENDAR's (practitioner, weekday, start, end,
    closed on) rows: opening hours without a practitioner, closures with only their
    date."""
    opening: dict[int, list] = defaultdict(list)
    working: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    closures = set()
    periods = []
    for row in rows:
        if row[4] is not None:
            closures.add(row[4])
        else:
            periods.append(row[:4])
    # Sorted, so the periods of a day come in order whatever order the union returns.
    for pid, weekday, starts, ends in sorted(periods, key=lambda row: (row[1], row[2])):
        if pid is None:
            opening[weekday].append((starts, ends))
        else:
            working[pid][weekday].append((starts, ends))
    working = {pid: dict(days) for pid, days in sorted(working.items())}
    return dict(opening), working, closures


def _rows(written_out: Callable[..., list[tuple]], orm: Callable[..., QuerySet], **query):
    """The rows of one of the search's queries: on PostgreSQL the statement written out in
    diary/sql.py, elsewhere (SQLite, the demo's database) the ORM's queryset, which is also
    the tests' reference for the statement."""
    if is_postgresql():
        return written_out(**query)
    return list(orm(**query))


def calendar_queryset(
    *,
    clinic_id: int,
    treatment_id: int,
    first_day: date,
    last_day: date,
    practitioner_id: int | None = None,
) -> QuerySet:
    """sql.CALENDAR through the ORM."""
    working_rows = WorkingHours.objects.filter(
        practitioner__clinic_id=clinic_id,
        practitioner__active=True,
        practitioner__treatments=treatment_id,
    )
    if practitioner_id is not None:
        working_rows = working_rows.filter(practitioner_id=practitioner_id)
    # Empty columns, cast: PostgreSQL types a union's columns part by part, and two bare
    # NULLs would make a text column before the closures' dates arrive.
    no_practitioner = Cast(Value(None), BigIntegerField())
    no_weekday = Cast(Value(None), IntegerField())
    no_time = Cast(Value(None), TimeField())
    no_date = Cast(Value(None), DateField())
    working_rows = working_rows.annotate(no_date=no_date).values_list(
        "practitioner_id", "weekday", "starts", "ends", "no_date"
    )
    opening_rows = (
        OpeningHours.objects.filter(clinic_id=clinic_id)
        .annotate(no_practitioner=no_practitioner, no_date=no_date)
        .values_list("no_practitioner", "weekday", "opens", "closes", "no_date")
    )
    closure_rows = (
        Closure.objects.filter(clinic_id=clinic_id, date__range=(first_day, last_day))
        .annotate(
            no_practitioner=no_practitioner, no_weekday=no_weekday, no_start=no_time, no_end=no_time
        )
        .values_list("no_practitioner", "no_weekday", "no_start", "no_end", "date")
    )
    return working_rows.order_by().union(opening_rows.order_by(), closure_rows.order_by(), all=True)


def resources_of(rows: list[tuple]) -> dict[int, list[int]]:
    """Every resource kind the treatment requires, with the clinic's active resources of
    that kind in pk order, from sql.RESOURCES's (kind, resource) rows; a kind without any
    keeps an empty list (then no slot)."""
    resources: dict[int, list[int]] = {}
    for kind_id, resource_id in rows:
        kinds = resources.setdefault(kind_id, [])
        if resource_id is not None:
            kinds.append(resource_id)
    return resources


def resource_queryset(*, clinic_id: int, treatment_id: int) -> QuerySet:
    """sql.RESOURCES through the ORM."""
    usable = FilteredRelation(
        "resources",
        condition=Q(resources__clinic_id=clinic_id, resources__active=True),
    )
    return (
        ResourceKind.objects.filter(treatments=treatment_id)
        .annotate(usable=usable)
        .order_by("usable__id", "id")
        .values_list("id", "usable__id")
    )


def busy_between(
    lo: datetime,
    hi: datetime,
    *,
    practitioner_ids: list[int],
    resource_ids: list[int],
    exclude_appointment_id: int | None,
    lock_practitioner_id: int | None = None,
) -> tuple[dict[int, list], dict[int, list]]:
    """Busy intervals that meet [lo, hi), in one query: the practitioners' time off and
    active appointments (with their buffers), and the resources' active holds. With
    `lock_practitioner_id` (one of `practitioner_ids`), that practitioner's row is locked
    before the read: on PostgreSQL in the same round trip (sql.LOCK_THEN_BUSY).

    Appointments and holds are found through the *_busy_lookup indexes (bookings/models.py)
    by `blocked_until > lo`, which only reaches the diary from `lo` on: the cost does not
    grow with the years of history before it.
    """
    if lock_practitioner_id is not None and is_postgresql():
        rows = sql.locked_busy_rows(
            practitioner_id=lock_practitioner_id,
            lo=lo,
            hi=hi,
            resource_ids=resource_ids,
            exclude_appointment_id=exclude_appointment_id,
        )
    elif not (practitioner_ids or resource_ids):
        return defaultdict(list), defaultdict(list)
    else:
        if lock_practitioner_id is not None:
            lock_practitioner_queryset(lock_practitioner_id)
        rows = _rows(
            sql.busy_rows,
            busy_queryset,
            lo=lo,
            hi=hi,
            practitioner_ids=practitioner_ids,
            resource_ids=resource_ids,
            exclude_appointment_id=exclude_appointment_id,
        )
    return busy_by_owner(rows)


def busy_by_owner(rows: list[tuple]) -> tuple[dict[int, list], dict[int, list]]:
    """sql.BUSY's rows as (practitioner -> intervals, resource -> intervals)."""
    practitioners: dict[int, list] = defaultdict(list)
    resources: dict[int, list] = defaultdict(list)
    for owner_kind, owner, start, end in rows:
        by_owner = practitioners if owner_kind == sql.PRACTITIONER else resources
        by_owner[owner].append((start, end))
    return practitioners, resources


def lock_practitioner_queryset(practitioner_id: int) -> None:
    """sql.LOCK_PRACTITIONER through the ORM (SQLite ignores FOR UPDATE: its IMMEDIATE
    transactions already run bookings one at a time). No ordering: Practitioner's default
    one joins the clinic, and FOR UPDATE would then lock the clinic's row too, making every
    booking in the clinic wait for every other."""
    list(
        Practitioner.objects.select_for_update()
        .filter(pk=practitioner_id)
        .order_by()
        .values_list("pk")
    )


def busy_queryset(
    *,
    lo: datetime,
    hi: datetime,
    practitioner_ids: list[int],
    resource_ids: list[int],
    exclude_appointment_id: int | None,
) -> QuerySet:
    """sql.BUSY through the ORM; needs a practitioner or a resource to ask about."""
    parts = []
    if practitioner_ids:
        time_off = TimeOff.objects.filter(
            practitioner_id__in=practitioner_ids, start__lt=hi, end__gt=lo
        )
        parts.append(_busy_columns(time_off, sql.PRACTITIONER, "practitioner_id", "start", "end"))
        appointments = Appointment.objects.filter(
            practitioner_id__in=practitioner_ids,
            status__in=ACTIVE_STATUSES,
            blocked_until__gt=lo,
            start__lt=hi,
        )
        if exclude_appointment_id is not None:
            appointments = appointments.exclude(pk=exclude_appointment_id)
        parts.append(
            _busy_columns(
                appointments, sql.PRACTITIONER, "practitioner_id", "start", "blocked_until"
            )
        )
    if resource_ids:
        holds = AppointmentResource.objects.filter(
            resource_id__in=resource_ids, active=True, blocked_until__gt=lo, start__lt=hi
        )
        if exclude_appointment_id is not None:
            holds = holds.exclude(appointment_id=exclude_appointment_id)
        parts.append(_busy_columns(holds, sql.RESOURCE, "resource_id", "start", "blocked_until"))
    first, *others = parts
    return first.union(*others, all=True) if others else first


def _busy_columns(queryset, owner_kind: str, owner: str, start: str, end: str) -> QuerySet:
    """(owner kind, owner id, start, end) rows, instants as epoch seconds."""
    return (
        queryset.order_by()
        .annotate(
            owner_kind=Value(owner_kind, output_field=CharField()),
            owner=F(owner),
            busy_from=Epoch(start),
            busy_to=Epoch(end),
        )
        .values_list("owner_kind", "owner", "busy_from", "busy_to")
    )


def pick_resources(diary: Diary, start: int) -> list[int] | None:
    """The first free resource of each required kind for a booking at `start`, or None."""
    end = start + diary.duration + diary.buffer
    chosen = []
    for candidates in diary.resources.values():
        free = next((rid for rid, busy in candidates if busy.is_free(start, end)), None)
        if free is None:
            return None
        chosen.append(free)
    return chosen


def resource_starts(diary: Diary) -> list[Starts]:
    """For each required kind, the starts at which one of its resources is free for the
    treatment and its buffer (what pick_resources finds, for every start at once)."""
    held = diary.duration + diary.buffer
    return [Starts((busy for _, busy in kind), held) for kind in diary.resources.values()]


def bookable_starts(
    clock: LocalDay,
    period: tuple[time, time],
    *,
    step: int,
    duration: int,
    earliest: int,
    latest: int,
) -> list[int]:
    """Starts on the clinic's grid inside a wall-time period of one day such that the
    treatment ends by the period's end, from `earliest` to `latest` inclusive."""
    period_end = clock.boundary(period[1])
    first_minute = -(-minute_of_day(period[0]) // step) * step
    starts = []
    for start in clock.instants(first_minute, step):
        if start + duration > period_end:
            break
        if earliest <= start <= latest:
            starts.append(start)
    return starts


def compute_slots(
    diary: Diary, *, first_day: date, last_day: date, earliest: int, latest: int
) -> list[tuple[int, list[int]]]:
    """Free starts (epoch seconds) from `earliest` to `latest` inclusive, each with the
    practitioners free for it, ordered by start."""
    held = diary.duration + diary.buffer
    found: dict[int, list[int]] = defaultdict(list)
    free_resources = resource_starts(diary)
    working = [
        (pid, weekdays, diary.practitioner_busy[pid]) for pid, weekdays in diary.working.items()
    ]
    # Each start's practitioners come out in pk order, once each, when the practitioners
    # are walked in pk order and none has two periods in a day; otherwise they are sorted.
    tidy = all(a[0] < b[0] for a, b in zip(working, working[1:], strict=False))

    # Each practitioner's periods of a weekday (their shifts within the opening hours), the
    # same every week: worked out once per weekday, not once per day.
    periods_of: dict[int, list[tuple[int, Busy, list]]] = {}
    for day in local_days(first_day, last_day):
        if day in diary.closures:
            continue
        weekday = day.weekday()
        open_periods = diary.opening.get(weekday)
        if not open_periods:
            continue
        clock = LocalDay(day, diary.tz)
        shifts = periods_of.get(weekday)
        if shifts is None:
            shifts = periods_of[weekday] = [
                (pid, busy, periods)
                for pid, weekdays, busy in working
                if (periods := _periods(weekdays.get(weekday, ()), open_periods))
            ]
            if any(len(periods) > 1 for _, _, periods in shifts):
                tidy = False
        # Practitioners often share a shift: a period's starts, with a resource of each
        # kind free, are worked out once a day.
        starts_in: dict[tuple[time, time], list[int]] = {}
        window = (clock, diary.step_minutes, diary.duration, earliest, latest, free_resources)
        # Practitioners free all day in one shared period, one after another in the walk,
        # are added to each of its starts together: the same order as one by one, with a
        # tenth of the appends on a quiet day (each start is written once per run).
        run: list[int] = []
        run_starts: list[int] = []
        for pid, busy, periods in shifts:
            if len(periods) == 1 and not busy.starts:
                starts = _period_starts(starts_in, periods[0], *window)
                if run and starts is run_starts:
                    run.append(pid)
                    continue
                _add_run(found, run_starts, run)
                run, run_starts = [pid], starts
                continue
            _add_run(found, run_starts, run)
            run = []
            for period in periods:
                starts = _period_starts(starts_in, period, *window)
                if not starts:
                    continue
                for start in busy.free_starts(starts, held) if busy.starts else starts:
                    found[start].append(pid)
        _add_run(found, run_starts, run)
    return [(start, pids if tidy else sorted(set(pids))) for start, pids in sorted(found.items())]


def _period_starts(
    starts_in: dict, period, clock, step, duration, earliest, latest, free_resources
) -> list[int]:
    """The bookable starts of a wall-time period of the day with a resource of each kind
    free, worked out once a day per period (`starts_in`)."""
    starts = starts_in.get(period)
    if starts is None:
        starts = bookable_starts(
            clock, period, step=step, duration=duration, earliest=earliest, latest=latest
        )
        for free in free_resources:
            starts = free.among(starts)
        starts_in[period] = starts
    return starts


def _add_run(found: dict[int, list[int]], starts: list[int], pids: list[int]) -> None:
    if pids:
        for start in starts:
            found[start].extend(pids)


def _periods(shifts, open_periods) -> list[tuple[time, time]]:
    """The wall-time periods a practitioner works while the clinic is open, of one weekday."""
    return [
        period
        for shift in shifts
        for opening in open_periods
        if (period := intersect_wall(shift, opening)) is not None
    ]


def booking_window(*, clinic, now: datetime, online: bool) -> tuple[int, int]:
    """The earliest and latest start a booking may have, as epoch seconds."""
    if online:
        earliest = now + timedelta(minutes=clinic.min_notice_minutes)
        latest = now + timedelta(days=clinic.max_advance_days)
    else:
        earliest = now
        latest = now + timedelta(days=3650)
    return to_epoch(earliest), to_epoch(latest)


def find_slots(
    *,
    treatment: Treatment,
    first_day: date,
    last_day: date,
    practitioner_id: int | None = None,
    online: bool = True,
    now: datetime | None = None,
    exclude_appointment_id: int | None = None,
    within: prerequisites.Window | None = None,
) -> list[Slot]:
    """Free slots for `treatment` on the clinic-local dates first_day..last_day inclusive;
    for a known client, only those `within` the span their prerequisites allow (see
    client_window)."""
    found = free_starts(
        treatment=treatment,
        first_day=first_day,
        last_day=last_day,
        practitioner_id=practitioner_id,
        online=online,
        now=now,
        exclude_appointment_id=exclude_appointment_id,
        within=within,
    )
    return found.slots()


@dataclass(frozen=True)
class Found:
    """A search's free starts as compute_slots gives them: (start, practitioner ids) with
    instants in epoch seconds; `slots()` makes them Slots."""

    starts: list[tuple[int, list[int]]]
    duration: int  # seconds

    def slots(self) -> list[Slot]:
        return [
            Slot(
                start=from_epoch(start),
                end=from_epoch(start + self.duration),
                practitioner_ids=tuple(pids),
            )
            for start, pids in self.starts
        ]


def free_starts(
    *,
    treatment: Treatment,
    first_day: date,
    last_day: date,
    practitioner_id: int | None = None,
    online: bool = True,
    now: datetime | None = None,
    exclude_appointment_id: int | None = None,
    within: prerequisites.Window | None = None,
) -> Found:
    """find_slots' answer before its instants are made datetimes (the API writes them out
    straight from epoch seconds, LocalIso)."""
    now = now or timezone.now()
    earliest, latest = booking_window(clinic=treatment.clinic, now=now, online=online)
    duration = treatment.duration_minutes * 60
    if within is not None:
        if within.closed:
            return Found([], duration)
        if within.start is not None:
            earliest = max(earliest, to_epoch(within.start))
        if within.end is not None:
            latest = min(latest, to_epoch(within.end))
    diary = load_diary(
        treatment=treatment,
        first_day=first_day,
        last_day=last_day,
        practitioner_id=practitioner_id,
        exclude_appointment_id=exclude_appointment_id,
    )
    starts = compute_slots(
        diary, first_day=first_day, last_day=last_day, earliest=earliest, latest=latest
    )
    return Found(starts, diary.duration)


@lru_cache(maxsize=16_384)
def iso_at(seconds: int, tz: ZoneInfo) -> str:
    """The instant `seconds` (epoch) written as `datetime.isoformat` writes it in the zone
    `tz`: `from_epoch(seconds).astimezone(tz).isoformat()`, the API's instants.

    Remembered: availability answers ask the same instants of
    the slot grid again and again (a 14-day answer some 600 of a clinic's 1,344 quarter
    hours), and writing them was about a fifth of the answer's CPU. A zone's rules do not
    change while the process runs; 16,384 instants are about 3 MB."""
    return datetime.fromtimestamp(seconds, tz).isoformat()


def client_window(
    *, treatment: Treatment, client, now: datetime | None = None
) -> prerequisites.Window:
    """When `client` (None: a newcomer) may start `treatment` as far as its prerequisite
    rules go (a patch test N hours before, valid M months): pass it to find_slots. One
    query."""
    facts = prerequisites.load(treatment=treatment, client=client)
    return facts.window(after=now or timezone.now())


def nearest_slots(
    *,
    treatment: Treatment,
    around: datetime,
    practitioner_id: int | None = None,
    online: bool = True,
    now: datetime | None = None,
    count: int = 5,
    days: int = 7,
    exclude_appointment_id: int | None = None,
) -> list[Slot]:
    """Up to `count` free slots closest to `around` (same day first, then the next days):
    the alternatives offered when a chosen time is taken."""
    now = now or timezone.now()
    clinic = treatment.clinic
    first_day = max(clinic.local_date(around), clinic.local_date(now))
    found = free_starts(
        treatment=treatment,
        first_day=first_day - timedelta(days=1),
        last_day=first_day + timedelta(days=days),
        practitioner_id=practitioner_id,
        online=online,
        now=now,
        exclude_appointment_id=exclude_appointment_id,
    )
    wanted = around.timestamp()
    closest = sorted(found.starts, key=lambda row: (abs(row[0] - wanted), row[0]))[:count]
    return replace(found, starts=sorted(closest)).slots()
