"""The calendar of the booking pages: two weeks of days, which of them have free times, and
the times of the chosen day, from one slot search (a fixed number of queries)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from clinic.models import Client, Treatment
from clinical import prerequisites
from diary.availability import Slot, find_slots

WINDOW_WEEKS = 2


@dataclass(frozen=True)
class CalendarDay:
    date: date
    slot_count: int = 0
    bookable: bool = True  # False before today or past the clinic's booking horizon

    @property
    def has_slots(self) -> bool:
        return self.slot_count > 0


@dataclass(frozen=True)
class Calendar:
    weeks: list[list[CalendarDay]]
    selected: date | None  # the day whose times are shown; None when the window has none
    slots: list[Slot] = field(default_factory=list)  # the selected day's
    earlier: date | None = None  # a day in the previous window, None at the start
    later: date | None = None  # a day in the next window, None past the horizon
    not_before: date | None = None  # the visitor's first bookable day, when after today

    @property
    def first_day(self) -> date:
        return self.weeks[0][0].date

    @property
    def last_day(self) -> date:
        return self.weeks[-1][-1].date


def booking_calendar(
    *,
    treatment: Treatment,
    day: date | None = None,
    practitioner_id: int | None = None,
    exclude_appointment_id: int | None = None,
    skip_start: datetime | None = None,
    not_before: date | None = None,
    within: prerequisites.Window | None = None,
    now: datetime | None = None,
) -> Calendar:
    """The two weeks (Monday to Sunday) around `day` (default the first bookable day,
    clamped to what can be booked online), with the times of the first day from `day` on
    that has any.

    For a reschedule, `exclude_appointment_id` frees the appointment's own time and
    `skip_start` leaves its current start out. `not_before` is the first day this visitor
    may book (a waiting period after an injection): no day before it has times, and no
    "earlier" link leads before it. `within` is when a known client's prerequisites (a
    patch test) let them start: the calendar begins on its first day, with times from then.
    """
    now = now or timezone.now()
    clinic = treatment.clinic
    today = clinic.local_date(now)
    if within is not None and within.start is not None:
        not_before = max(not_before or today, clinic.local_date(within.start))
    first = max(today, not_before) if not_before else today
    horizon = clinic.local_date(now + timedelta(days=clinic.max_advance_days))
    wanted = min(max(day or first, first), horizon)
    monday = wanted - timedelta(days=wanted.weekday())
    days = [monday + timedelta(days=n) for n in range(7 * WINDOW_WEEKS)]

    by_day: dict[date, list[Slot]] = defaultdict(list)
    if max(days[0], first) <= min(days[-1], horizon):
        for slot in find_slots(
            treatment=treatment,
            first_day=max(days[0], first),
            last_day=min(days[-1], horizon),
            practitioner_id=practitioner_id,
            online=True,
            now=now,
            exclude_appointment_id=exclude_appointment_id,
            within=within,
        ):
            if slot.start != skip_start:
                by_day[clinic.local_date(slot.start)].append(slot)

    selected = next((d for d in days if d >= wanted and by_day.get(d)), None)
    cells = [CalendarDay(d, len(by_day.get(d, ())), first <= d <= horizon) for d in days]
    return Calendar(
        weeks=[cells[i : i + 7] for i in range(0, len(cells), 7)],
        selected=selected,
        slots=by_day.get(selected, []) if selected else [],
        # The previous window, or the first bookable day where that is within it.
        earlier=max(monday - timedelta(days=7 * WINDOW_WEEKS), first) if monday > first else None,
        later=days[-1] + timedelta(days=1) if days[-1] < horizon else None,
        not_before=first if first > today else None,
    )


@dataclass(frozen=True)
class PrerequisiteNotice:
    """What the calendar says about the appointment a treatment needs first (a patch test):
    to a known client without one, that they must book it (and no times are shown); to
    anyone else, that a first booking needs it. `offer_url` leads to its calendar."""

    detail: str
    offer_name: str | None = None
    offer_url: str | None = None
    blocked: bool = False
    within: prerequisites.Window | None = None


def prerequisite_notice(
    *, treatment: Treatment, client: Client | None
) -> PrerequisiteNotice | None:
    """The notice for `client` (None: a visitor the pages do not know), or None when the
    treatment needs nothing first. One query."""
    facts = prerequisites.load(treatment=treatment, client=client)
    if not facts.rules:
        return None
    clinic = treatment.clinic
    within = facts.window(after=timezone.now()) if client is not None else None
    if within is not None and within.unmet:
        unmet = within.unmet[0]
        detail = prerequisites.explain(unmet, clinic_id=clinic.pk, tz=clinic.tzinfo)
        rule = unmet.rule
    elif within is None:
        rule = facts.rules[0]
        offer = rule.offer(clinic.pk)
        name = offer.name if offer else "another appointment"
        detail = (
            f"{rule.message} A first booking needs a {name} at least {rule.min_hours} hours "
            f"before; it counts for {rule.valid_months} months."
        )
    else:
        return PrerequisiteNotice(detail="", within=within)  # met: the times say the rest
    offer = rule.offer(clinic.pk)
    return PrerequisiteNotice(
        detail=detail,
        offer_name=offer.name if offer else None,
        offer_url=reverse("online:calendar", args=[offer.slug]) if offer else None,
        blocked=within is not None,
        within=within,
    )
