"""The clinic both sides of the peer comparison are seeded with, as plain JSON.

Standard library only: bench/run.py writes the spec, and our worker and the peer's script
(bench/peer/peer_bench.py, in its own virtualenv) each read the same file, so the two
diaries hold the same staff, hours, days off and appointments by construction.

The clinic of issue 7: STAFF practitioners working Monday to Friday 9-18, half of them also
Saturday 9-14; one practitioner off for three days; the next 14 days about half booked with
one-hour appointments starting on the half hour; a 60-minute service on 30-minute slots.
"""

import json
import random
from datetime import date, timedelta

STAFF = 10
DAYS = 14
SERVICE_MINUTES = 60
SLOT_MINUTES = 30
# At each half hour a free practitioner is booked for an hour with this chance: booked
# time is then 2p / (1 + p) of the shift, one half.
BOOKING_CHANCE = 1 / 3
SEED = 11


def weekly_hours(index: int) -> dict[int, tuple[str, str]]:
    """Python weekday (Monday 0) -> (start, end) in local wall time."""
    hours = {weekday: ("09:00", "18:00") for weekday in range(5)}
    if index % 2 == 0:
        hours[5] = ("09:00", "14:00")
    return hours


def _minutes(wall: str) -> int:
    hours, minutes = wall.split(":")
    return int(hours) * 60 + int(minutes)


def _wall(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def make(first_day: date, *, staff: int = STAFF, days: int = DAYS) -> dict:
    """The spec for the `days` days from `first_day` (clinic-local dates)."""
    rng = random.Random(SEED)
    dates = [first_day + timedelta(days=n) for n in range(days)]
    off = {"staff": staff - 1, "first": dates[2].isoformat(), "last": dates[4].isoformat()}
    appointments = []
    for index in range(staff):
        hours = weekly_hours(index)
        for day in dates:
            if index == off["staff"] and off["first"] <= day.isoformat() <= off["last"]:
                continue
            if day.weekday() not in hours:
                continue
            starts, ends = (_minutes(wall) for wall in hours[day.weekday()])
            at = starts
            while at + SERVICE_MINUTES <= ends:
                if rng.random() < BOOKING_CHANCE:
                    appointments.append(
                        {"staff": index, "date": day.isoformat(), "start": _wall(at)}
                    )
                    at += SERVICE_MINUTES
                else:
                    at += SLOT_MINUTES
    # The sample day for the agreement check: the first weekday with the day off in it.
    sample = next(day for day in dates[2:] if day.weekday() < 5)
    return {
        "timezone": "Europe/London",
        "dates": [day.isoformat() for day in dates],
        "sample_day": sample.isoformat(),
        "service_minutes": SERVICE_MINUTES,
        "slot_minutes": SLOT_MINUTES,
        "staff": [
            {"name": f"Practitioner {index + 1:02d}", "hours": weekly_hours(index)}
            for index in range(staff)
        ],
        "day_off": off,
        "appointments": appointments,
    }


def save(spec: dict, path) -> None:
    with open(path, "w") as out:
        json.dump(spec, out)


def load(path) -> dict:
    """The spec, with weekday keys back to integers (JSON keys are strings)."""
    with open(path) as spec_file:
        spec = json.load(spec_file)
    for member in spec["staff"]:
        member["hours"] = {int(day): tuple(hours) for day, hours in member["hours"].items()}
    return spec


def end_of(start: str, minutes: int) -> str:
    return _wall(_minutes(start) + minutes)


def occupancy(spec: dict) -> float:
    """Booked share of the staff's working time over the spec's days."""
    worked = 0
    for index, member in enumerate(spec["staff"]):
        for day in spec["dates"]:
            off = spec["day_off"]
            if index == off["staff"] and off["first"] <= day <= off["last"]:
                continue
            hours = member["hours"].get(date.fromisoformat(day).weekday())
            if hours:
                worked += _minutes(hours[1]) - _minutes(hours[0])
    return len(spec["appointments"]) * spec["service_minutes"] / worked
