"""The availability answer written straight from epoch seconds (online/api/views.py
`_slots_data`, diary/availability.py `iso_at`, `compute_slots`, `nearest_slots`) is the
one written before from datetimes, byte for byte: over clock changes, in zones whose
offsets have half and quarter hours, with practitioners whose periods overlap."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.renderers import JSONRenderer

from clinic.models import OpeningHours, TimeOff, WorkingHours
from diary import availability
from diary.availability import Slot, bookable_starts, booking_window, resource_starts
from diary.intervals import LocalDay, from_epoch, intersect_wall, local_days, to_epoch
from diary.services import appointment_book
from tests import factories
from web.api.shapes import slot_data

AVAILABILITY = "/api/v1/availability/"

# Each zone with a day of clock change after the tests' now (2027-03-01) and within a year.
ZONES = {
    "Europe/London": date(2027, 3, 28),  # 01:00 -> 02:00
    "America/New_York": date(2027, 11, 7),  # 02:00 -> 01:00
    "Australia/Lord_Howe": date(2027, 4, 4),  # 02:00 -> 01:30 (half an hour)
    "Pacific/Chatham": date(2027, 9, 26),  # 02:45 -> 03:45 (+12:45 -> +13:45)
    "America/St_Johns": date(2027, 3, 14),  # -03:30 -> -02:30
    "Asia/Kolkata": date(2027, 3, 28),  # +05:30, no change
    "UTC": date(2027, 3, 28),
}


def compute_slots_before(diary, *, first_day, last_day, earliest, latest):
    """compute_slots as it was before it was made faster: the reference."""
    held = diary.duration + diary.buffer
    found = defaultdict(list)
    free_resources = resource_starts(diary)
    resources_ok = {}
    for day in local_days(first_day, last_day):
        if day in diary.closures:
            continue
        open_periods = diary.opening.get(day.weekday())
        if not open_periods:
            continue
        clock = LocalDay(day, diary.tz)
        starts_in = {}
        for pid, weekdays in diary.working.items():
            busy = diary.practitioner_busy[pid]
            for shift in weekdays.get(day.weekday(), ()):
                for opening in open_periods:
                    period = intersect_wall(shift, opening)
                    if period is None:
                        continue
                    if period not in starts_in:
                        starts_in[period] = bookable_starts(
                            clock,
                            period,
                            step=diary.step_minutes,
                            duration=diary.duration,
                            earliest=earliest,
                            latest=latest,
                        )
                    for start in busy.free_starts(starts_in[period], held):
                        ok = resources_ok.get(start)
                        if ok is None:
                            ok = resources_ok[start] = all(start in f for f in free_resources)
                        if ok:
                            found[start].append(pid)
    return [(start, sorted(set(pids))) for start, pids in sorted(found.items())]


def slots_before(treatment, first_day, last_day, now, practitioner_id=None):
    """find_slots' answer through compute_slots_before (online search)."""
    earliest, latest = booking_window(clinic=treatment.clinic, now=now, online=True)
    diary = availability.load_diary(
        treatment=treatment, first_day=first_day, last_day=last_day, practitioner_id=practitioner_id
    )
    rows = compute_slots_before(
        diary, first_day=first_day, last_day=last_day, earliest=earliest, latest=latest
    )
    return [
        Slot(from_epoch(start), from_epoch(start + diary.duration), tuple(pids))
        for start, pids in rows
    ]


@pytest.mark.parametrize("zone", [*ZONES, "Europe/Amsterdam", "Africa/Monrovia"])
def test_iso_at_writes_what_isoformat_writes(zone):
    tz = ZoneInfo(zone)
    year = datetime(2027, 1, 1, tzinfo=UTC)
    instants = [to_epoch(year) + n * 900 for n in range(366 * 96)]  # a year, every 15 min
    # Odd seconds, and offsets with seconds (Amsterdam +00:19:32 and Monrovia -00:44:30
    # before 1937 and 1972).
    instants += [to_epoch(year) + n * 3607 + 11 for n in range(3000)]
    instants += [to_epoch(datetime(1930, 6, 1, tzinfo=UTC)) + n * 1800 for n in range(500)]
    written = _written(instants, tz)
    assert written == {s: from_epoch(s).astimezone(tz).isoformat() for s in instants}
    # Written again from what the first call remembered, each zone its own.
    assert _written(instants[:2000], tz) == {s: written[s] for s in instants[:2000]}
    other = ZoneInfo("Pacific/Chatham" if zone != "Pacific/Chatham" else "Asia/Kolkata")
    assert _written(instants[:100], other) == {
        s: from_epoch(s).astimezone(other).isoformat() for s in instants[:100]
    }


def _written(instants, tz) -> dict[int, str]:
    return {seconds: availability.iso_at(seconds, tz) for seconds in instants}


@pytest.fixture
def busy_world(world):
    """The world open and worked around the clock (00:00-23:45), a second practitioner,
    Bella, whose two periods a day overlap (00:00-12:00 and 10:00-23:45), two rooms, and
    Alice's time off on each day of clock change."""
    OpeningHours.objects.filter(clinic=world.clinic).update(opens=time(0), closes=time(23, 45))
    WorkingHours.objects.filter(practitioner=world.practitioner).update(
        starts=time(0), ends=time(23, 45)
    )
    bella = factories.PractitionerFactory(
        clinic=world.clinic, name="Bella", treatments=[world.treatment]
    )
    for weekday in range(7):
        factories.WorkingHoursFactory(
            practitioner=bella, weekday=weekday, starts=time(0), ends=time(12)
        )
        factories.WorkingHoursFactory(
            practitioner=bella, weekday=weekday, starts=time(10), ends=time(23, 45)
        )
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    world.treatment.duration_minutes = 45
    world.treatment.buffer_after_minutes = 15
    world.treatment.save()
    world.clinic.max_advance_days = 365
    world.clinic.save()
    world.bella = bella
    return world


@pytest.mark.parametrize("zone", list(ZONES))
def test_the_answer_is_the_old_one_byte_for_byte(busy_world, api, frozen_now, zone):
    world = busy_world
    world.clinic.timezone = zone
    world.clinic.save()
    tz = ZoneInfo(zone)
    change = ZONES[zone]
    for day in (change - timedelta(days=1), change):
        start = datetime.combine(day, time(11), tzinfo=tz)
        TimeOff.objects.create(
            practitioner=world.practitioner, start=start, end=start + timedelta(hours=2)
        )
    treatment = type(world.treatment).objects.select_related("clinic").get(pk=world.treatment.pk)
    appointment_book(
        treatment=treatment,
        start=datetime.combine(change, time(15), tzinfo=tz),
        client=factories.ClientFactory(clinic=world.clinic),
        practitioner=world.bella,
    )
    first, last = change - timedelta(days=1), change + timedelta(days=1)

    for practitioner_id in (None, world.bella.pk):
        query = {"treatment": treatment.slug, "from": first, "to": last}
        if practitioner_id:
            query["practitioner"] = practitioner_id
        response = api.get(AVAILABILITY, query)

        assert response.status_code == 200
        before = slots_before(treatment, first, last, frozen_now, practitioner_id)
        assert len(before) > 100
        if practitioner_id is None:
            assert any(len(slot.practitioner_ids) == 2 for slot in before)
        body = response.json()
        expected = {
            "timezone": zone,
            "slots": [slot_data(slot, tz) for slot in before],
            "eligible_from": body["eligible_from"],
            "prerequisite": body["prerequisite"],
        }
        assert response.content == JSONRenderer().render(expected)
        # And find_slots, which every other caller uses, as before.
        assert (
            availability.find_slots(
                treatment=treatment, first_day=first, last_day=last, practitioner_id=practitioner_id
            )
            == before
        )


def test_compute_slots_sorts_practitioners_given_out_of_order(busy_world, frozen_now):
    world = busy_world
    day = date(2027, 3, 3)
    diary = availability.load_diary(treatment=world.treatment, first_day=day, last_day=day)
    diary.working = dict(reversed(list(diary.working.items())))
    earliest, latest = booking_window(clinic=world.clinic, now=frozen_now, online=True)
    window = {"first_day": day, "last_day": day, "earliest": earliest, "latest": latest}

    found = availability.compute_slots(diary, **window)

    assert found == compute_slots_before(diary, **window)
    assert [world.practitioner.pk, world.bella.pk] in [pids for _, pids in found]


@pytest.mark.parametrize("minute", [0, 7, 30])
def test_nearest_slots_are_the_old_ones(busy_world, frozen_now, minute):
    world = busy_world
    tz = world.clinic.tzinfo
    around = datetime.combine(date(2027, 3, 10), time(12, minute, 13, 500), tzinfo=tz)
    appointment_book(
        treatment=world.treatment,
        start=datetime.combine(date(2027, 3, 10), time(12), tzinfo=tz),
        client=factories.ClientFactory(clinic=world.clinic),
        practitioner=world.bella,
    )
    first = date(2027, 3, 10)

    found = availability.nearest_slots(treatment=world.treatment, around=around, now=frozen_now)

    every = slots_before(
        world.treatment, first - timedelta(days=1), first + timedelta(days=7), frozen_now
    )
    closest = sorted(every, key=lambda slot: (abs(slot.start - around), slot.start))[:5]
    assert found == sorted(closest, key=lambda slot: slot.start)
    assert len(found) == 5
