"""The slot search: when can this treatment be booked, and with whom.

`load_diary` reads everything a search needs in a fixed number of queries, whatever the
date range or the number of practitioners; `compute_slots` is pure Python over that data.
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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from bookings.intervals import (
    Busy,
    LocalDay,
    from_epoch,
    intersect_wall,
    local_days,
    minute_of_day,
    to_epoch,
)
from bookings.models import ACTIVE_STATUSES, Appointment, AppointmentResource
from clinic.models import (
    Closure,
    OpeningHours,
    Resource,
    TimeOff,
    Treatment,
    WorkingHours,
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
    clinic = treatment.clinic
    tz = clinic.tzinfo
    span = treatment.duration_minutes + treatment.buffer_after_minutes
    window_start = LocalDay(first_day, tz).start()
    window_end = LocalDay(last_day, tz).end() + span * 60
    lo, hi = from_epoch(window_start), from_epoch(window_end)

    hours = WorkingHours.objects.filter(
        practitioner__clinic=clinic,
        practitioner__active=True,
        practitioner__treatments=treatment,
    )
    if practitioner_id is not None:
        hours = hours.filter(practitioner_id=practitioner_id)
    working: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for pid, weekday, starts, ends in hours.values_list(
        "practitioner_id", "weekday", "starts", "ends"
    ):
        working[pid][weekday].append((starts, ends))
    practitioner_ids = list(working)

    opening: dict[int, list] = defaultdict(list)
    for weekday, opens, closes in OpeningHours.objects.filter(clinic=clinic).values_list(
        "weekday", "opens", "closes"
    ):
        opening[weekday].append((opens, closes))

    closures = set(
        Closure.objects.filter(clinic=clinic, date__range=(first_day, last_day)).values_list(
            "date", flat=True
        )
    )

    busy: dict[int, list] = defaultdict(list)
    if practitioner_ids:
        for pid, start, end in TimeOff.objects.filter(
            practitioner_id__in=practitioner_ids, start__lt=hi, end__gt=lo
        ).values_list("practitioner_id", "start", "end"):
            busy[pid].append((to_epoch(start), to_epoch(end)))
        appointments = Appointment.objects.filter(
            practitioner_id__in=practitioner_ids,
            status__in=ACTIVE_STATUSES,
            start__lt=hi,
            blocked_until__gt=lo,
        )
        if exclude_appointment_id is not None:
            appointments = appointments.exclude(pk=exclude_appointment_id)
        for pid, start, end in appointments.values_list(
            "practitioner_id", "start", "blocked_until"
        ):
            busy[pid].append((to_epoch(start), to_epoch(end)))

    # Every required kind gets an entry, even one with no usable resource (then no slot).
    resources: dict[int, list[int]] = {
        kind_id: [] for kind_id in treatment.required_resource_kinds.values_list("id", flat=True)
    }
    resource_ids: list[int] = []
    if resources:
        for kind_id, resource_id in (
            Resource.objects.filter(clinic=clinic, active=True, kind_id__in=list(resources))
            .order_by("pk")
            .values_list("kind_id", "id")
        ):
            resources[kind_id].append(resource_id)
            resource_ids.append(resource_id)

    holds: dict[int, list] = defaultdict(list)
    if resource_ids:
        rows = AppointmentResource.objects.filter(
            resource_id__in=resource_ids, active=True, start__lt=hi, blocked_until__gt=lo
        )
        if exclude_appointment_id is not None:
            rows = rows.exclude(appointment_id=exclude_appointment_id)
        for rid, start, end in rows.values_list("resource_id", "start", "blocked_until"):
            holds[rid].append((to_epoch(start), to_epoch(end)))

    return Diary(
        tz=tz,
        step_minutes=clinic.slot_step_minutes,
        duration=treatment.duration_minutes * 60,
        buffer=treatment.buffer_after_minutes * 60,
        opening=dict(opening),
        closures=closures,
        working={pid: dict(days) for pid, days in working.items()},
        practitioner_busy={pid: Busy(busy.get(pid, ())) for pid in practitioner_ids},
        resources={
            kind: [(rid, Busy(holds.get(rid, ()))) for rid in rids]
            for kind, rids in resources.items()
        },
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


def compute_slots(
    diary: Diary, *, first_day: date, last_day: date, earliest: int, latest: int
) -> list[tuple[int, list[int]]]:
    """Free starts (epoch seconds) from `earliest` to `latest` inclusive, each with the
    practitioners free for it, ordered by start."""
    step = diary.step_minutes
    held = diary.duration + diary.buffer
    found: dict[int, list[int]] = defaultdict(list)
    resources_free: dict[int, bool] = {}

    for day in local_days(first_day, last_day):
        if day in diary.closures:
            continue
        open_periods = diary.opening.get(day.weekday())
        if not open_periods:
            continue
        clock = LocalDay(day, diary.tz)
        for pid, weekdays in diary.working.items():
            busy = diary.practitioner_busy[pid]
            for shift in weekdays.get(day.weekday(), ()):
                for period in open_periods:
                    both = intersect_wall(shift, period)
                    if both is None:
                        continue
                    period_end = clock.boundary(both[1])
                    first_minute = -(-minute_of_day(both[0]) // step) * step
                    for minute in range(first_minute, 24 * 60, step):
                        start = clock.instant(minute)
                        if start is None:  # skipped by a clock change
                            continue
                        if start + diary.duration > period_end:
                            break
                        if start < earliest or start > latest:
                            continue
                        if not busy.is_free(start, start + held):
                            continue
                        if start not in resources_free:
                            resources_free[start] = pick_resources(diary, start) is not None
                        if resources_free[start]:
                            found[start].append(pid)
    return [(start, sorted(set(pids))) for start, pids in sorted(found.items())]


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
) -> list[Slot]:
    """Free slots for `treatment` on the clinic-local dates first_day..last_day inclusive."""
    now = now or timezone.now()
    earliest, latest = booking_window(clinic=treatment.clinic, now=now, online=online)
    diary = load_diary(
        treatment=treatment,
        first_day=first_day,
        last_day=last_day,
        practitioner_id=practitioner_id,
        exclude_appointment_id=exclude_appointment_id,
    )
    return [
        Slot(
            start=from_epoch(start),
            end=from_epoch(start + diary.duration),
            practitioner_ids=tuple(pids),
        )
        for start, pids in compute_slots(
            diary, first_day=first_day, last_day=last_day, earliest=earliest, latest=latest
        )
    ]


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
    slots = find_slots(
        treatment=treatment,
        first_day=first_day - timedelta(days=1),
        last_day=first_day + timedelta(days=days),
        practitioner_id=practitioner_id,
        online=online,
        now=now,
        exclude_appointment_id=exclude_appointment_id,
    )
    closest = sorted(slots, key=lambda slot: (abs(slot.start - around), slot.start))[:count]
    return sorted(closest, key=lambda slot: slot.start)
