"""compute_slots adds the practitioners free all day in a shared period to its starts
together (runs): the slots and each slot's practitioners, in their order, are those of
adding each practitioner to each of their free starts one by one."""

import random
from collections import defaultdict
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from diary import availability
from diary.availability import Diary
from diary.intervals import Busy, LocalDay, local_days

LONDON = ZoneInfo("Europe/London")
FIRST, LAST = date(2027, 3, 22), date(2027, 4, 4)  # the clocks go forward on 28 March
MORNING, AFTERNOON, DAY = (time(9), time(13)), (time(14), time(18)), (time(9), time(18))
SHIFTS = [[DAY], [DAY], [MORNING], [MORNING, AFTERNOON], [AFTERNOON], []]


def one_by_one(diary: Diary, *, first_day, last_day, earliest, latest):
    """compute_slots as it was: each practitioner added to each free start in turn."""
    held = diary.duration + diary.buffer
    found = defaultdict(list)
    free_resources = availability.resource_starts(diary)
    tidy = True
    for day in local_days(first_day, last_day):
        open_periods = diary.opening.get(day.weekday())
        if day in diary.closures or not open_periods:
            continue
        clock = LocalDay(day, diary.tz)
        for pid, weekdays in diary.working.items():
            periods = availability._periods(weekdays.get(day.weekday(), ()), open_periods)
            tidy = tidy and len(periods) <= 1
            busy = diary.practitioner_busy[pid]
            for period in periods:
                starts = availability.bookable_starts(
                    clock,
                    period,
                    step=diary.step_minutes,
                    duration=diary.duration,
                    earliest=earliest,
                    latest=latest,
                )
                for free in free_resources:
                    starts = free.among(starts)
                for start in busy.free_starts(starts, held) if busy.starts else starts:
                    found[start].append(pid)
    return [(start, pids if tidy else sorted(set(pids))) for start, pids in sorted(found.items())]


def _diary(rng: random.Random) -> Diary:
    practitioners = sorted(rng.sample(range(1, 40), rng.randint(1, 9)))
    working = {
        pid: {weekday: rng.choice(SHIFTS) for weekday in range(7) if rng.random() < 0.85}
        for pid in practitioners
    }
    start = LocalDay(FIRST, LONDON).start()

    def busy(chance: float) -> Busy:
        intervals = []
        for _ in range(rng.randint(0, 12) if rng.random() < chance else 0):
            at = start + rng.randrange(0, 14 * 24 * 3600, 900)
            intervals.append((at, at + rng.choice([1800, 3600, 5400])))
        return Busy(intervals)

    return Diary(
        tz=LONDON,
        step_minutes=rng.choice([15, 30]),
        duration=rng.choice([45, 60]) * 60,
        buffer=rng.choice([0, 15]) * 60,
        opening={weekday: [(time(8), time(20))] for weekday in range(6)},
        closures={FIRST + timedelta(days=rng.randrange(14))} if rng.random() < 0.3 else set(),
        working=working,
        practitioner_busy={pid: busy(0.5) for pid in practitioners},
        resources={1: [(rid, busy(0.3)) for rid in range(rng.randint(1, 3))]},
    )


def test_the_slots_are_those_of_each_practitioner_added_one_by_one():
    rng = random.Random(16)
    earliest = LocalDay(FIRST, LONDON).start() + 3600 * 10
    latest = LocalDay(LAST, LONDON).end()
    runs = 0
    for _ in range(300):
        diary = _diary(rng)
        got = availability.compute_slots(
            diary, first_day=FIRST, last_day=LAST, earliest=earliest, latest=latest
        )
        assert got == one_by_one(
            diary, first_day=FIRST, last_day=LAST, earliest=earliest, latest=latest
        )
        runs += any(len(pids) > 1 for _, pids in got)
    assert runs > 100  # most diaries had starts shared by several practitioners
