"""The diary as a time grid: for each day shown, one column per practitioner (or per room
or device), rows of a few minutes, and in each column what fills the time: appointments,
held bookings, buffers, time off, the clinic's closures, the hours nobody works, and the
free time left to book.

`diary_grid` reads all of it in a fixed number of queries, whatever the number of
practitioners, days and appointments (workspace.selectors.appointments_between brings the
appointments with the rules' decisions); the rest is arithmetic on wall-clock minutes of
the clinic's days. Who may see which columns and clients is the view's business (access/).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import ceil

from django.db.models import Q

from bookings.models import Appointment, AppointmentResource
from clinic.models import (
    Clinic,
    Closure,
    OpeningHours,
    Practitioner,
    Resource,
    TimeOff,
    WorkingHours,
)
from workspace.selectors import (
    UNREAD,
    DiaryEntry,
    _first_visits,
    appointments_between,
    local_day_bounds,
)

BY_PRACTITIONER, BY_RESOURCE = "practitioner", "resource"
MIN_ROW_MINUTES = 15  # rows are the clinic's slot step, or a multiple of it at least this long
DEFAULT_HOURS = (9 * 60, 17 * 60)  # the rows shown when nothing is open or booked

# What a stretch of a column holds, as the template and the stylesheet name it.
FREE, PAST, OUTSIDE, CLOSED, OFF, BUSY, HELD, APPOINTMENT = (
    "free",
    "past",
    "outside",
    "closed",
    "off",
    "busy",
    "held",
    "appointment",
)


@dataclass(slots=True)
class Item:
    """One block in a column, placed on grid rows [row_start, row_end) (1-based, after the
    header row). A free item is a stretch of free rows: each of its rows is a cell of its
    own that books or receives a move there (diary_grid.free_cells writes them from the
    column's row edges), but one item for the stretch, not one a row: a busy week has some
    1,200 free rows in about 300 stretches, and every item is an object the page builds and
    the garbage collector walks while the page lives.

    Not frozen: a frozen dataclass sets each field through object.__setattr__, five times
    the cost of a plain one, and a busy week builds some 1,600 (nothing changes one)."""

    kind: str
    row_start: int
    row_end: int
    start: datetime  # clinic-local
    end: datetime
    label: str = ""
    entry: DiaryEntry | None = None
    first_visit: bool = False

    @property
    def appointment(self) -> Appointment | None:
        return self.entry.appointment if self.entry else None


@dataclass
class Column:
    day: date
    practitioner: Practitioner | None = None
    resource: Resource | None = None
    items: list[Item] = field(default_factory=list)
    # Where each row starts, clinic-local (one more for the last row's end): the list of
    # the column's day, shared by every column of that day.
    edges: list[datetime] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.practitioner.name if self.practitioner else self.resource.name


@dataclass
class Grid:
    first_day: date
    last_day: date
    by: str
    step: int  # minutes per row
    first_minute: int  # the first row's minute of the day
    rows: list[time]
    columns: list[Column]
    entries: list[DiaryEntry]

    @property
    def days(self) -> list[date]:
        return [
            self.first_day + timedelta(days=n)
            for n in range((self.last_day - self.first_day).days + 1)
        ]


def row_minutes(clinic: Clinic) -> int:
    step = clinic.slot_step_minutes or MIN_ROW_MINUTES
    return step * ceil(MIN_ROW_MINUTES / step)


def _minute(instant: datetime, day: date, tz) -> int:
    """Wall-clock minutes of `instant` from the start of the local `day` (negative before
    it, past 1440 after it)."""
    local = instant.astimezone(tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _minutes(periods) -> list[tuple[int, int]]:
    return [(a.hour * 60 + a.minute, b.hour * 60 + b.minute) for a, b in periods]


def _intersect(left: list[tuple[int, int]], right: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(a, c), min(b, d)) for a, b in left for c, d in right if max(a, c) < min(b, d)]


def diary_grid(
    *,
    clinic: Clinic,
    first_day: date,
    last_day: date,
    visible: Q,
    by: str = BY_PRACTITIONER,
    practitioner_id: int | None = None,
    now: datetime | None = None,
) -> Grid:
    """The grid of `clinic` from first_day to last_day (clinic-local dates) with the
    appointments the `visible` filter lets through (access.diary_of), by practitioner (only
    `practitioner_id`'s column when given) or by room and device. Free time before `now`
    is past, not offered."""
    tz = clinic.tzinfo
    lo, _ = local_day_bounds(clinic, first_day)
    _, hi = local_day_bounds(clinic, last_day)
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]

    opening: dict[int, list] = defaultdict(list)
    for row in OpeningHours.objects.filter(clinic=clinic).order_by("opens"):
        opening[row.weekday].append((row.opens, row.closes))
    closures = dict(
        Closure.objects.filter(clinic=clinic, date__range=(first_day, last_day)).values_list(
            "date", "reason"
        )
    )
    entries = appointments_between(
        clinics=[clinic],
        first_day=first_day,
        last_day=last_day,
        visible=visible,
        practitioner_id=practitioner_id,
        defer=UNREAD,
        client_homes=False,
    )
    first_visits = _first_visits({e.appointment.client_id for e in entries})

    if by == BY_RESOURCE:
        owners = list(
            Resource.objects.filter(clinic=clinic, active=True)
            .select_related("kind")
            .order_by("kind__name", "name", "pk")
        )
        working = None
        time_off: dict[int, list] = {}
        busy: dict[int, list] = defaultdict(list)
        # By the columns' ids, not through the resource's clinic: the join left PostgreSQL
        # no index to use, and it read all the clinic group's holds (60-80 ms on the full
        # group) where the (resource, blocked_until, start) index finds the day's.
        for resource_id, start, until, status in AppointmentResource.objects.filter(
            resource_id__in=[r.pk for r in owners], active=True, start__lt=hi, blocked_until__gt=lo
        ).values_list("resource_id", "start", "blocked_until", "appointment__status"):
            busy[resource_id].append((start, until, status))
        placed: dict[int, list[DiaryEntry]] = defaultdict(list)
        for entry in entries:
            for resource in entry.resources:
                placed[resource.pk].append(entry)
    else:
        practitioners = Practitioner.objects.filter(clinic=clinic, active=True).order_by(
            "name", "pk"
        )
        if practitioner_id is not None:
            practitioners = Practitioner.objects.filter(pk=practitioner_id, clinic=clinic)
        owners = list(practitioners)
        ids = [p.pk for p in owners]
        working = defaultdict(lambda: defaultdict(list))
        for row in WorkingHours.objects.filter(practitioner_id__in=ids).order_by("starts"):
            working[row.practitioner_id][row.weekday].append((row.starts, row.ends))
        time_off = defaultdict(list)
        for row in TimeOff.objects.filter(practitioner_id__in=ids, start__lt=hi, end__gt=lo):
            time_off[row.practitioner_id].append(row)
        busy = defaultdict(list)
        for pid, start, until, status in Appointment.objects.filter(
            practitioner_id__in=ids,
            status=Appointment.Status.HELD,
            start__lt=hi,
            blocked_until__gt=lo,
        ).values_list("practitioner_id", "start", "blocked_until", "status"):
            busy[pid].append((start, until, status))
        placed = defaultdict(list)
        for entry in entries:
            a = entry.appointment
            placed[a.practitioner_id].append(entry)
            busy[a.practitioner_id].append((a.start, a.blocked_until, a.status))

    # The rows: the opening hours of the days shown, stretched to whatever is booked.
    step = row_minutes(clinic)
    spans = [m for d in days for period in _minutes(opening.get(d.weekday(), [])) for m in period]
    for entry in entries:
        day = entry.appointment.start.astimezone(tz).date()
        spans += [
            max(0, _minute(entry.appointment.start, day, tz)),
            min(1440, _minute(entry.appointment.end, day, tz)),
        ]
    first, last = (min(spans), max(spans)) if spans else DEFAULT_HOURS
    first = first // step * step
    last = min(1440, -(-last // step) * step)
    rows = [time(m // 60, m % 60) for m in range(first, last, step)]

    def row_of(minute: int) -> int:
        return min(max(minute - first, 0), last - first) // step + 1

    def row_after(minute: int) -> int:
        return -(-(min(max(minute - first, 0), last - first)) // step) + 1

    def local(day: date, minute: int) -> datetime:
        return datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=minute)

    # The rows' edges of each day, clinic-local, shared by every column of the day.
    day_edges = {
        day: [local(day, first + index * step) for index in range(len(rows) + 1)] for day in days
    }
    columns = []
    for day in days:
        day_start, day_end = local_day_bounds(clinic, day)
        past_until = _minute(now, day, tz) if now is not None else None
        open_periods = _minutes(opening.get(day.weekday(), []))
        for owner in owners:
            column = (
                Column(day=day, resource=owner, edges=day_edges[day])
                if by == BY_RESOURCE
                else Column(day=day, practitioner=owner, edges=day_edges[day])
            )
            columns.append(column)
            if day in closures or not open_periods:
                column.items.append(
                    Item(
                        CLOSED,
                        1,
                        len(rows) + 1,
                        local(day, first),
                        local(day, last),
                        label=closures.get(day) or "Closed",
                    )
                )
                continue
            hours = open_periods
            if working is not None:
                hours = _intersect(open_periods, _minutes(working[owner.pk].get(day.weekday(), [])))
            taken = [
                (_minute(s, day, tz), _minute(u, day, tz), status)
                for s, u, status in busy.get(owner.pk, [])
                if s < day_end and u > day_start
            ]
            offs = [
                (_minute(t.start, day, tz), _minute(t.end, day, tz), t)
                for t in time_off.get(owner.pk, [])
                if t.start < day_end and t.end > day_start
            ]
            for entry in placed.get(owner.pk, []):
                a = entry.appointment
                if not day_start <= a.start < day_end:
                    continue
                top = row_of(_minute(a.start, day, tz))
                column.items.append(
                    Item(
                        APPOINTMENT,
                        top,
                        max(row_after(_minute(a.end, day, tz)), top + 1),
                        a.start.astimezone(tz),
                        a.end.astimezone(tz),
                        entry=entry,
                        first_visit=first_visits.get(a.client_id) == a.start,
                    )
                )
            for start, end, t in offs:
                column.items.append(
                    Item(
                        OFF,
                        row_of(start),
                        max(row_after(end), row_of(start) + 1),
                        t.start.astimezone(tz),
                        t.end.astimezone(tz),
                        label=t.reason or "Time off",
                    )
                )
            # Row by row, what is neither an appointment nor time off: merged stretches of
            # closed hours, buffers, holds and free time. Each row's kind
            # is painted interval by interval, weakest first (past, outside the hours,
            # held, busy, time off), rather than each interval tested against each row.
            count = len(rows)
            kinds: list[str | None] = [FREE] * count
            if past_until is not None:  # the rows starting before now
                gone = max(0, min(count, -(-(past_until - first) // step)))
                kinds[:gone] = [PAST] * gone
            inside = [False] * count
            for a, b in hours:  # rows wholly inside a period of work
                for index in range(
                    max(0, -(-(a - first) // step)), min(count, (b - first) // step)
                ):
                    inside[index] = True
            for index in range(count):
                if not inside[index]:
                    kinds[index] = OUTSIDE
            held_spans = [(s, e) for s, e, status in taken if status == Appointment.Status.HELD]
            busy_spans = [(s, e) for s, e, status in taken if status != Appointment.Status.HELD]
            off_spans = [(s, e) for s, e, _ in offs]
            for kind, spans in ((HELD, held_spans), (BUSY, busy_spans), (None, off_spans)):
                for a, b in spans:  # the rows the interval meets
                    lo = max(0, (a - first) // step)
                    hi = min(count, -(-(b - first) // step))
                    if lo < hi:
                        kinds[lo:hi] = [kind] * (hi - lo)
            edges = day_edges[day]
            run: tuple[str, int] | None = None
            for index, kind in enumerate(kinds):
                if run and run[0] != kind:
                    _close_run(column, run, index, edges)
                    run = None
                if kind is not None and run is None:
                    run = (kind, index)
            if run:
                _close_run(column, run, count, edges)
    return Grid(
        first_day=first_day,
        last_day=last_day,
        by=by,
        step=step,
        first_minute=first,
        rows=rows,
        columns=columns,
        entries=entries,
    )


def _close_run(column: Column, run, index: int, edges: list[datetime]) -> None:
    kind, begun = run
    if kind == BUSY:  # appointments draw themselves; what is left of a busy run is buffer
        label = ""
    else:
        label = {HELD: "Held for a client to confirm", OUTSIDE: "Not working"}.get(kind, "")
    column.items.append(Item(kind, begun + 1, index + 1, edges[begun], edges[index], label=label))
