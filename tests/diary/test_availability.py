"""The slot search: hours, DST, buffers, time off, closures, resources, notice, advance,
and a fixed number of queries whatever the range or the staff size."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import Closure, OpeningHours, TimeOff, WorkingHours
from diary.availability import find_slots
from diary.errors import SlotUnavailable
from diary.services import appointment_book
from tests import factories
from tests.conftest import works_every_day

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def starts(slots) -> list[datetime]:
    return [slot.start for slot in slots]


def local_walls(slots) -> list[str]:
    return [slot.start.astimezone(LONDON).strftime("%H:%M") for slot in slots]


def book(world, start, *, practitioner=None, treatment=None, client=None):
    return appointment_book(
        treatment=treatment or world.treatment,
        start=start,
        client=client or factories.ClientFactory(clinic=world.clinic),
        practitioner=practitioner,
    ).appointment


def set_sunday_hours(world, opens: time, closes: time):
    OpeningHours.objects.filter(clinic=world.clinic, weekday=6).update(opens=opens, closes=closes)
    WorkingHours.objects.filter(practitioner=world.practitioner, weekday=6).update(
        starts=opens, ends=closes
    )


class TestDaylightSaving:
    """Europe/London: clocks go forward at 01:00 on 2027-03-28, back at 02:00 on 2027-10-31."""

    @pytest.fixture(autouse=True)
    def _short_treatment(self, world):
        world.treatment.duration_minutes = 30
        world.treatment.save()
        world.clinic.max_advance_days = 365
        world.clinic.save()

    def test_no_slot_in_the_hour_skipped_in_spring(self, world):
        set_sunday_hours(world, time(0, 0), time(4, 0))
        day = date(2027, 3, 28)
        slots = find_slots(treatment=world.treatment, first_day=day, last_day=day)
        walls = local_walls(slots)
        assert not [w for w in walls if w.startswith("01:")]
        assert walls[:4] == ["00:00", "00:15", "00:30", "00:45"]
        assert walls[4] == "02:00"
        assert walls[-1] == "03:30"  # a 30-minute treatment must end by 04:00
        assert len(set(starts(slots))) == len(slots)
        # 00:45 GMT plus 30 minutes is 02:15 BST: the end is real elapsed time.
        assert slots[3].end.astimezone(LONDON).strftime("%H:%M") == "02:15"

    def test_the_repeated_hour_in_autumn_is_offered_once(self, world):
        set_sunday_hours(world, time(0, 0), time(4, 0))
        day = date(2027, 10, 31)
        slots = find_slots(treatment=world.treatment, first_day=day, last_day=day)
        walls = local_walls(slots)
        assert len(walls) == len(set(walls)), "a wall-clock time is offered twice"
        assert len(set(starts(slots))) == len(slots)
        assert walls[0] == "00:00" and walls[-1] == "03:30"
        assert len(slots) == 15  # 00:00 .. 03:30 every 15 minutes, each wall time once
        one_thirty = slots[walls.index("01:30")].start
        assert one_thirty == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # the BST one

    @pytest.mark.parametrize(
        ("day", "first_utc"),
        [
            (date(2027, 3, 27), datetime(2027, 3, 27, 9, 0, tzinfo=UTC)),  # GMT
            (date(2027, 3, 28), datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),  # change day, BST
            (date(2027, 3, 29), datetime(2027, 3, 29, 8, 0, tzinfo=UTC)),  # BST
            (date(2027, 10, 30), datetime(2027, 10, 30, 8, 0, tzinfo=UTC)),  # BST
            (date(2027, 10, 31), datetime(2027, 10, 31, 9, 0, tzinfo=UTC)),  # change day, GMT
        ],
    )
    def test_working_hours_stay_in_local_time(self, world, day, first_utc):
        slots = find_slots(treatment=world.treatment, first_day=day, last_day=day)
        assert slots[0].start == first_utc
        assert local_walls(slots)[0] == "09:00"
        assert local_walls(slots)[-1] == "17:30"
        assert len(slots) == 35

    def test_a_range_across_the_change_keeps_every_day_at_nine_local(self, world):
        slots = find_slots(
            treatment=world.treatment, first_day=date(2027, 3, 26), last_day=date(2027, 3, 30)
        )
        firsts = {}
        for slot in slots:
            local = slot.start.astimezone(LONDON)
            firsts.setdefault(local.date(), local.strftime("%H:%M"))
        assert set(firsts.values()) == {"09:00"}
        assert len(firsts) == 5


def test_the_buffer_after_an_appointment_is_kept_free(world):
    world.treatment.buffer_after_minutes = 15
    world.treatment.save()
    book(world, london(TUESDAY, 12, 0))
    walls = local_walls(find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY))
    assert "10:45" in walls  # 10:45-11:45, buffer to 12:00: touches, does not overlap
    assert "11:00" not in walls  # its buffer would run into the 12:00 appointment
    assert "12:45" not in walls and "13:00" not in walls  # 12:00-13:00 plus 15 minutes
    assert "13:15" in walls


def test_time_off_removes_the_practitioner(world):
    TimeOff.objects.create(
        practitioner=world.practitioner,
        start=london(TUESDAY, 13),
        end=london(TUESDAY, 14),
        reason="Dentist",
    )
    walls = local_walls(find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY))
    assert "12:00" in walls and "14:00" in walls
    assert not {"12:15", "12:45", "13:00", "13:45"} & set(walls)


def test_a_closure_day_has_no_slots(world):
    Closure.objects.create(clinic=world.clinic, date=TUESDAY, reason="Bank holiday")
    slots = find_slots(
        treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY + timedelta(days=1)
    )
    assert {slot.start.astimezone(LONDON).date() for slot in slots} == {TUESDAY + timedelta(1)}


def test_slots_keep_inside_both_opening_and_working_hours(world):
    WorkingHours.objects.filter(practitioner=world.practitioner, weekday=TUESDAY.weekday()).update(
        starts=time(8, 0), ends=time(12, 0)
    )
    OpeningHours.objects.filter(clinic=world.clinic, weekday=TUESDAY.weekday()).update(
        opens=time(10, 0), closes=time(18, 0)
    )
    walls = local_walls(find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY))
    assert walls[0] == "10:00" and walls[-1] == "11:00"


def test_slots_start_on_the_clinic_step(world):
    world.clinic.slot_step_minutes = 30
    world.clinic.save()
    OpeningHours.objects.filter(clinic=world.clinic, weekday=TUESDAY.weekday()).update(
        opens=time(9, 10)
    )
    walls = local_walls(find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY))
    assert walls[0] == "09:30"
    assert {w[3:] for w in walls} <= {"00", "30"}


class TestResources:
    @pytest.fixture
    def microcurrent(self, world):
        device_kind = factories.ResourceKindFactory(slug="microcurrent-device")
        factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
        factories.ResourceFactory(clinic=world.clinic, kind=device_kind, name="Device")
        treatment = factories.TreatmentFactory(
            clinic=world.clinic,
            slug="microcurrent",
            duration_minutes=45,
            kinds=[world.room_kind, device_kind],
        )
        bob = factories.PractitionerFactory(clinic=world.clinic, treatments=[treatment])
        works_every_day(bob)
        world.practitioner.treatments.add(treatment)
        return treatment, bob

    def test_one_device_means_one_booking_at_a_time(self, world, microcurrent):
        treatment, bob = microcurrent
        book(world, london(TUESDAY, 10), treatment=treatment, practitioner=world.practitioner)
        walls = local_walls(find_slots(treatment=treatment, first_day=TUESDAY, last_day=TUESDAY))
        assert "10:00" not in walls and "10:30" not in walls  # device busy 10:00-10:45
        assert "10:45" in walls and "09:15" in walls
        with pytest.raises(SlotUnavailable):
            book(world, london(TUESDAY, 10), treatment=treatment, practitioner=bob)

    def test_rooms_limit_parallel_treatments(self, world, microcurrent):
        _, bob = microcurrent  # two rooms, two practitioners for the massage now
        bob.treatments.add(world.treatment)
        carol = factories.PractitionerFactory(clinic=world.clinic, treatments=[world.treatment])
        works_every_day(carol)
        book(world, london(TUESDAY, 10))
        book(world, london(TUESDAY, 10))
        with pytest.raises(SlotUnavailable):
            book(world, london(TUESDAY, 10))  # a third practitioner is free, no room is

    def test_a_required_kind_with_no_resource_offers_nothing(self, world):
        laser = factories.ResourceKindFactory(slug="laser")
        world.treatment.required_resource_kinds.add(laser)
        assert find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY) == []

    def test_an_inactive_resource_is_not_used(self, world):
        world.room.active = False
        world.room.save()
        assert find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY) == []


class TestBookingWindow:
    def test_minimum_notice_binds_online_searches(self, world):
        today = date(2027, 3, 1)  # NOW is 08:00 UTC = 08:00 London; notice is 2 hours
        online = find_slots(treatment=world.treatment, first_day=today, last_day=today)
        assert local_walls(online)[0] == "10:00"
        staff = find_slots(treatment=world.treatment, first_day=today, last_day=today, online=False)
        assert local_walls(staff)[0] == "09:00"

    def test_maximum_advance_binds_online_searches(self, world):
        # 90 days after 2027-03-01 08:00 UTC is 2027-05-30 08:00 UTC = 09:00 BST.
        last = date(2027, 5, 30)
        online = find_slots(treatment=world.treatment, first_day=last, last_day=last + timedelta(1))
        assert local_walls(online) == ["09:00"]
        staff = find_slots(
            treatment=world.treatment, first_day=last, last_day=last + timedelta(1), online=False
        )
        assert len(staff) == 2 * 33  # 09:00 to 17:00 every 15 minutes, both days

    def test_the_past_is_never_offered(self, world):
        yesterday = date(2027, 2, 28)
        assert (
            find_slots(
                treatment=world.treatment, first_day=yesterday, last_day=yesterday, online=False
            )
            == []
        )


def test_practitioner_filter_and_skills(world):
    other_treatment = factories.TreatmentFactory(clinic=world.clinic, kinds=[world.room_kind])
    bob = factories.PractitionerFactory(clinic=world.clinic, treatments=[other_treatment])
    works_every_day(bob)
    inactive = factories.PractitionerFactory(
        clinic=world.clinic, treatments=[world.treatment], active=False
    )
    works_every_day(inactive)
    slots = find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY)
    assert {pid for slot in slots for pid in slot.practitioner_ids} == {world.practitioner.pk}
    assert (
        find_slots(
            treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY, practitioner_id=bob.pk
        )
        == []
    )


def test_slots_list_every_free_practitioner(world):
    bob = factories.PractitionerFactory(clinic=world.clinic, treatments=[world.treatment])
    works_every_day(bob)
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    book(world, london(TUESDAY, 10), practitioner=world.practitioner)
    by_wall = {
        slot.start.astimezone(LONDON).strftime("%H:%M"): set(slot.practitioner_ids)
        for slot in find_slots(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY)
    }
    assert by_wall["10:00"] == {bob.pk}
    assert by_wall["14:00"] == {world.practitioner.pk, bob.pk}


def count_queries(**kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        find_slots(**kwargs)
    return len(queries)


def test_query_count_does_not_grow_with_the_range(world):
    for days in range(0, 60, 3):
        book(world, london(TUESDAY + timedelta(days=days), 11))
    one_day = count_queries(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY)
    sixty_days = count_queries(
        treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY + timedelta(days=59)
    )
    assert one_day == sixty_days
    # Hours and closures, resources, busy intervals (availability.py load_diary): in one
    # round trip on PostgreSQL.
    assert sixty_days == (1 if connection.vendor == "postgresql" else 3)


def test_query_count_does_not_grow_with_the_staff(world):
    one = count_queries(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY)
    for n in range(19):
        practitioner = factories.PractitionerFactory(
            clinic=world.clinic, treatments=[world.treatment]
        )
        works_every_day(practitioner)
        factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name=f"Room {n}")
        TimeOff.objects.create(
            practitioner=practitioner, start=london(TUESDAY, 9), end=london(TUESDAY, 10)
        )
        book(world, london(TUESDAY, 12), practitioner=practitioner)
    twenty = count_queries(treatment=world.treatment, first_day=TUESDAY, last_day=TUESDAY)
    assert one == twenty
