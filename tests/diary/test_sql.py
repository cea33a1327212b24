"""The slot search's SQL as written out for PostgreSQL (diary/sql.py) against the querysets
it stands for (diary/availability.py): the same rows on a varied diary, the same slots, a
date that changes the answer, three queries a search, the partial indexes, and a lock step
that takes the practitioner's row only."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection, transaction

from bookings.db import rows_together
from bookings.models import Appointment, AppointmentResource
from clinic.models import Closure, Practitioner, Resource, TimeOff, Treatment
from diary import availability, reservation, sql
from diary.intervals import LocalDay, from_epoch
from tests import factories
from tests.conftest import add_microcurrent, works_every_day

LONDON = ZoneInfo("Europe/London")

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the written-out SQL is PostgreSQL's"
)

# Clocks go forward in London at 01:00 on 28 March 2027 and back at 02:00 on 31 October.
RANGES = [
    (date(2027, 3, 1), date(2027, 3, 7)),  # the 4 March closure, time off, every status
    (date(2027, 3, 2), date(2027, 3, 2)),
    (date(2027, 3, 26), date(2027, 3, 30)),  # spring forward
    (date(2027, 10, 29), date(2027, 11, 2)),  # fall back
]


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


@dataclass
class VariedDiary:
    massage: Treatment  # needs a room
    microcurrent: Treatment  # needs a room and a device
    led: Treatment  # needs a kind the clinic has no active resource of
    alice: Practitioner  # works 9-18 every day
    bob: Practitioner  # works 12-16, and 17-18 on Wednesdays
    carol: Practitioner  # offers the treatments but is no longer active
    dave: Practitioner  # active, offers none of them
    rooms: list[Resource]
    device: Resource
    moved: Appointment  # alice's, on 2 March at 10:00
    held: Appointment  # bob's microcurrent, with a room and the device


def appointment(
    world, treatment, practitioner, start, *, status=Appointment.Status.CONFIRMED, holds=()
):
    """An appointment written directly, with its holds: the statuses the search must tell
    apart, whatever the booking rules would say about how it got there."""
    end = start + timedelta(minutes=treatment.duration_minutes)
    blocked_until = end + timedelta(minutes=treatment.buffer_after_minutes)
    booked = Appointment.objects.create(
        clinic=world.clinic,
        client=factories.ClientFactory(clinic=world.clinic),
        treatment=treatment,
        practitioner=practitioner,
        start=start,
        end=end,
        blocked_until=blocked_until,
        status=status,
    )
    for resource in holds:
        AppointmentResource.objects.create(
            appointment=booked,
            resource=resource,
            start=start,
            blocked_until=blocked_until,
            active=status != Appointment.Status.CANCELLED,
        )
    return booked


@pytest.fixture
def diary(world) -> VariedDiary:
    clinic = world.clinic
    clinic.max_advance_days = 365
    clinic.save()
    massage = world.treatment
    massage.buffer_after_minutes = 15
    massage.save()
    microcurrent = add_microcurrent(world)
    device = Resource.objects.get(clinic=clinic, kind__slug="microcurrent-device")
    panel = factories.ResourceKindFactory(slug="led-panel")
    led = factories.TreatmentFactory(clinic=clinic, slug="led", kinds=[panel])

    alice = world.practitioner
    alice.treatments.add(led)
    bob = factories.PractitionerFactory(
        clinic=clinic, name="Bob", treatments=[massage, microcurrent, led]
    )
    works_every_day(bob, starts=time(12), ends=time(16))
    factories.WorkingHoursFactory(practitioner=bob, weekday=2, starts=time(17), ends=time(18))
    carol = factories.PractitionerFactory(
        clinic=clinic, name="Carol", treatments=[massage, microcurrent], active=False
    )
    works_every_day(carol)
    dave = factories.PractitionerFactory(clinic=clinic, name="Dave")
    works_every_day(dave)

    other = factories.ClinicFactory(slug="elsewhere")
    elsewhere = factories.TreatmentFactory(clinic=other, kinds=[world.room_kind, panel])
    stranger = factories.PractitionerFactory(clinic=other, treatments=[elsewhere])
    works_every_day(stranger)
    factories.ResourceFactory(clinic=other, kind=world.room_kind, name="Their room")
    factories.ResourceFactory(clinic=other, kind=panel, name="Their panel")
    Closure.objects.create(clinic=other, date=date(2027, 3, 3), reason="theirs")

    room2 = factories.ResourceFactory(clinic=clinic, kind=world.room_kind, name="Room 2")
    factories.ResourceFactory(clinic=clinic, kind=world.room_kind, name="Old room", active=False)
    factories.ResourceFactory(clinic=clinic, kind=panel, name="Broken panel", active=False)

    Closure.objects.create(clinic=clinic, date=date(2027, 3, 4), reason="training")
    Closure.objects.create(clinic=clinic, date=date(2027, 4, 20), reason="out of every range")
    TimeOff.objects.create(
        practitioner=alice, start=london(date(2027, 3, 3), 9), end=london(date(2027, 3, 3), 12)
    )
    TimeOff.objects.create(
        practitioner=bob, start=london(date(2027, 3, 27), 0), end=london(date(2027, 3, 29), 13)
    )
    TimeOff.objects.create(
        practitioner=carol, start=london(date(2027, 3, 2), 9), end=london(date(2027, 3, 2), 18)
    )

    room1 = world.room
    day = date(2027, 3, 2)
    moved = appointment(world, massage, alice, london(day, 10), holds=[room1])
    held = appointment(world, microcurrent, bob, london(day, 13), holds=[room2, device])
    appointment(
        world, massage, alice, london(day, 14), status=Appointment.Status.CANCELLED, holds=[room1]
    )
    appointment(
        world, massage, alice, london(day, 16), status=Appointment.Status.COMPLETED, holds=[room1]
    )
    appointment(
        world, massage, bob, london(date(2027, 3, 3), 14), status=Appointment.Status.NO_SHOW
    )
    appointment(world, massage, alice, london(date(2027, 3, 1), 8), holds=[room1])  # before
    appointment(world, massage, alice, london(date(2027, 3, 28), 11), holds=[room1])
    appointment(world, massage, alice, london(date(2027, 3, 29), 9), holds=[room2])
    appointment(world, massage, bob, london(date(2027, 10, 31), 12), holds=[room1])
    appointment(world, massage, alice, london(date(2027, 11, 30), 10), holds=[room1])  # after
    return VariedDiary(
        massage=massage,
        microcurrent=microcurrent,
        led=led,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        rooms=[room1, room2],
        device=device,
        moved=moved,
        held=held,
    )


def span(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The instants load_diary reads busy time between for a 60 + 15 minute treatment."""
    return (
        from_epoch(LocalDay(first_day, LONDON).start()),
        from_epoch(LocalDay(last_day, LONDON).end() + 75 * 60),
    )


def test_the_calendar_rows_are_the_querysets(diary):
    seen = Counter()
    for treatment in (diary.massage, diary.microcurrent, diary.led):
        for who in (None, diary.alice, diary.bob, diary.carol, diary.dave):
            for first_day, last_day in RANGES:
                query = {
                    "clinic_id": treatment.clinic_id,
                    "treatment_id": treatment.pk,
                    "first_day": first_day,
                    "last_day": last_day,
                    "practitioner_id": who and who.pk,
                }
                rows = sql.calendar_rows(**query)
                assert Counter(rows) == Counter(availability.calendar_queryset(**query)), query
                seen.update(
                    "working" if row[0] else "closure" if row[4] else "open" for row in rows
                )
    assert seen["working"] and seen["closure"] and seen["open"]


def test_the_resource_rows_are_the_queryset_in_its_order(diary):
    expected = {
        diary.massage: 2,  # Room 1, Room 2
        diary.microcurrent: 3,  # and the device
        diary.led: 1,  # the panel kind with no resource: (kind, None)
    }
    for treatment, count in expected.items():
        query = {"clinic_id": treatment.clinic_id, "treatment_id": treatment.pk}
        rows = sql.resource_rows(**query)
        assert rows == list(availability.resource_queryset(**query))
        assert len(rows) == count
    assert sql.resource_rows(clinic_id=diary.led.clinic_id, treatment_id=diary.led.pk)[0][1] is None


def test_the_busy_rows_are_the_querysets(diary):
    people = [
        [diary.alice.pk, diary.bob.pk],
        [diary.alice.pk],
        [diary.carol.pk, diary.dave.pk],
        [],
    ]
    things = [[room.pk for room in diary.rooms] + [diary.device.pk], [diary.rooms[0].pk], []]
    seen = Counter()
    for first_day, last_day in RANGES:
        lo, hi = span(first_day, last_day)
        for practitioner_ids in people:
            for resource_ids in things:
                if not (practitioner_ids or resource_ids):
                    continue  # busy_between asks nothing then
                for exclude in (None, diary.moved.pk, diary.held.pk):
                    query = {
                        "lo": lo,
                        "hi": hi,
                        "practitioner_ids": practitioner_ids,
                        "resource_ids": resource_ids,
                        "exclude_appointment_id": exclude,
                    }
                    rows = sql.busy_rows(**query)
                    assert Counter(rows) == Counter(availability.busy_queryset(**query)), query
                    seen.update(row[0] for row in rows)
    assert seen[sql.PRACTITIONER] and seen[sql.RESOURCE]


def test_the_busy_rows_floor_fractional_instants_to_the_whole_second(diary):
    """BUSY writes instants through date_part's float: a time off whose ends fall a
    microsecond either side of a whole second, this century and the next, reads as the
    seconds Python counts (intervals.to_epoch), through the statement and the queryset."""
    edges = []
    for year in (2027, 2099):
        second = datetime(year, 3, 2, 23, 59, 59, tzinfo=LONDON)
        edges += [
            (second - timedelta(microseconds=1), second + timedelta(microseconds=999_999)),
            (second + timedelta(microseconds=1), second + timedelta(seconds=1, microseconds=1)),
        ]
    for start, end in edges:
        TimeOff.objects.create(practitioner=diary.dave, start=start, end=end)
    query = {
        "lo": datetime(2027, 1, 1, tzinfo=LONDON),
        "hi": datetime(2100, 1, 1, tzinfo=LONDON),
        "practitioner_ids": [diary.dave.pk],
        "resource_ids": [],
        "exclude_appointment_id": None,
    }
    expected = sorted((int(s.timestamp()), int(e.timestamp())) for s, e in edges)
    assert sorted(row[2:] for row in sql.busy_rows(**query)) == expected
    assert sorted(row[2:] for row in availability.busy_queryset(**query)) == expected
    assert expected[0][0] % 60 == 58  # the first edge is a microsecond before 23:59:59


def test_the_search_finds_the_same_slots_through_either(diary, monkeypatch):
    searches = [
        {
            "treatment": treatment,
            "first_day": first_day,
            "last_day": last_day,
            "practitioner_id": who and who.pk,
            "exclude_appointment_id": exclude,
            "online": False,  # staff: no booking window, so the autumn range counts too
        }
        for treatment in (diary.massage, diary.microcurrent, diary.led)
        for who in (None, diary.alice, diary.bob)
        for first_day, last_day in RANGES
        for exclude in (None, diary.moved.pk)
    ]
    written_out = [availability.find_slots(**search) for search in searches]
    with monkeypatch.context() as patch:
        patch.setattr(availability, "is_postgresql", lambda: False)
        orm = [availability.find_slots(**search) for search in searches]
    for search, ours, reference in zip(searches, written_out, orm, strict=True):
        assert ours == reference, search
    assert sum(map(bool, written_out)) > len(searches) // 3, "too few searches find a slot"


def test_moving_an_appointment_frees_its_own_time(diary):
    def at_ten(**kwargs):
        slots = availability.find_slots(
            treatment=diary.massage,
            first_day=date(2027, 3, 2),
            last_day=date(2027, 3, 2),
            practitioner_id=diary.alice.pk,
            online=False,
            **kwargs,
        )
        return [slot for slot in slots if slot.start == london(date(2027, 3, 2), 10)]

    assert at_ten() == []
    assert at_ten(exclude_appointment_id=diary.moved.pk)


def test_a_date_alone_changes_the_answer(diary):
    """Regression: the compiled-SQL cache that diary/sql.py replaced (compiled_rows) could
    take a value that reached a query through a closure for a constant of the query, and
    answered a question about 2 March with 9 March's slots. Searches that differ only in
    their date each get their own answer."""

    def search(day: date):
        return availability.find_slots(
            treatment=diary.massage, first_day=day, last_day=day, practitioner_id=diary.alice.pk
        )

    Closure.objects.create(clinic=diary.massage.clinic, date=date(2027, 3, 9), reason="x")
    second, ninth, tenth = (
        search(date(2027, 3, 2)),
        search(date(2027, 3, 9)),
        search(date(2027, 3, 10)),
    )
    assert second and ninth == [] and tenth
    assert {slot.start.date() for slot in second} == {date(2027, 3, 2)}
    assert {slot.start.date() for slot in tenth} == {date(2027, 3, 10)}
    assert london(date(2027, 3, 10), 10) in [slot.start for slot in tenth]
    assert london(date(2027, 3, 2), 10) not in [slot.start for slot in second]  # moved's time
    assert search(date(2027, 3, 2)) == second


def test_a_search_is_three_written_out_queries_in_one_round_trip(diary, django_assert_num_queries):
    """The busy time's statement works out the practitioners and resources it asks about,
    so it needs nothing from the calendar's and the resources' rows: the three go together."""
    with django_assert_num_queries(1) as captured:
        availability.find_slots(
            treatment=diary.microcurrent, first_day=date(2027, 3, 1), last_day=date(2027, 3, 31)
        )
    (sent,) = [query["sql"] for query in captured.captured_queries]
    for statement in (sql._CALENDAR, sql._RESOURCES, sql._BUSY_OF_SEARCH):
        assert statement.sent_in(sent), sent
    assert sent.startswith("EXECUTE diary_calendar (")  # prepared (clinic/prepared.py Prepared)


def test_the_busy_rows_of_a_search_are_the_querysets_for_its_practitioners_and_resources(
    diary,
):
    """BUSY_OF_SEARCH: the busy rows of the clinic's active practitioners who offer the
    treatment (the one asked for, if any) and of its active resources of the kinds the
    treatment needs, as the querysets find them for those ids."""
    seen = Counter()
    for treatment in (diary.massage, diary.microcurrent, diary.led):
        resource_ids = [
            rid
            for _, rid in availability.resource_queryset(
                clinic_id=treatment.clinic_id, treatment_id=treatment.pk
            )
            if rid is not None
        ]
        for who in (None, diary.alice, diary.bob, diary.carol, diary.dave):
            offering = treatment.practitioners.filter(clinic_id=treatment.clinic_id, active=True)
            if who is not None:
                offering = offering.filter(pk=who.pk)
            practitioner_ids = list(offering.values_list("pk", flat=True))
            for first_day, last_day in RANGES:
                lo, hi = span(first_day, last_day)
                for exclude in (None, diary.moved.pk, diary.held.pk):
                    params = sql.search_params(
                        clinic_id=treatment.clinic_id,
                        treatment_id=treatment.pk,
                        first_day=first_day,
                        last_day=last_day,
                        practitioner_id=who and who.pk,
                        lo=lo,
                        hi=hi,
                        exclude_appointment_id=exclude,
                    )
                    _, _, rows = rows_together(sql.SEARCH, params)
                    expected = (
                        availability.busy_queryset(
                            lo=lo,
                            hi=hi,
                            practitioner_ids=practitioner_ids,
                            resource_ids=resource_ids,
                            exclude_appointment_id=exclude,
                        )
                        if practitioner_ids or resource_ids
                        else []
                    )
                    assert Counter(rows) == Counter(expected), (treatment, who, exclude)
                    seen.update(row[0] for row in rows)
    assert seen[sql.PRACTITIONER] and seen[sql.RESOURCE]


def test_the_busy_lookups_use_the_partial_indexes(world):
    """The appointments' condition must read like appointment_busy_lookup's for PostgreSQL
    to use it. Years of history, then a search: with sequential scans priced out, a query
    that did not match the partial indexes would fall back on the foreign-key indexes."""
    room = world.room
    client = factories.ClientFactory(clinic=world.clinic)
    first = date(2025, 3, 1)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            clinic=world.clinic,
            client=client,
            treatment=world.treatment,
            practitioner=world.practitioner,
            start=london(first + timedelta(days=n), 10),
            end=london(first + timedelta(days=n), 11),
            blocked_until=london(first + timedelta(days=n), 11),
            status=Appointment.Status.CANCELLED if n % 5 == 0 else Appointment.Status.COMPLETED,
        )
        for n in range(700)
    )
    AppointmentResource.objects.bulk_create(
        AppointmentResource(
            appointment=booked, resource=room, start=booked.start, blocked_until=booked.end
        )
        for booked in appointments
        if booked.status != Appointment.Status.CANCELLED
    )
    lo, hi = span(date(2027, 1, 10), date(2027, 1, 24))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE bookings_appointment, bookings_appointmentresource")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN " + sql.BUSY,
            {
                "lo": lo,
                "hi": hi,
                "practitioners": [world.practitioner.pk],
                "resources": [room.pk],
                "exclude": None,
            },
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "appointment_busy_lookup" in plan, plan
    assert "hold_busy_lookup" in plan, plan
    # The search's own statement, whose ids are worked out in it, reads the same indexes.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN " + sql.BUSY_OF_SEARCH,
            {
                "clinic": world.clinic.pk,
                "treatment": world.treatment.pk,
                "practitioner": None,
                "lo": lo,
                "hi": hi,
                "exclude": None,
            },
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "appointment_busy_lookup" in plan, plan
    assert "hold_busy_lookup" in plan, plan


def _lock_alone(world):
    reservation.lock_rows(practitioner_id=world.practitioner.pk)


def _lock_and_read(world):
    """The booking's lock step: the lock and the re-read in one round trip."""
    request = reservation.SlotRequest(
        treatment=world.treatment,
        start=datetime(2027, 3, 2, 10, tzinfo=ZoneInfo("Europe/London")),
        online=False,
        now=datetime(2027, 3, 1, tzinfo=ZoneInfo("UTC")),
    )
    diary = reservation.free_practitioners(request).diary
    fresh = reservation.lock_and_read(request, world.practitioner.pk, diary)
    assert list(fresh.working) == [world.practitioner.pk]


@pytest.mark.parametrize("lock_step", [_lock_alone, _lock_and_read])
@pytest.mark.django_db(transaction=True)
def test_the_lock_step_locks_the_practitioner_and_nothing_else(world, lock_step):
    bob = factories.PractitionerFactory(clinic=world.clinic, treatments=[world.treatment])
    database = connection.settings_dict

    def free(table: str, pk: int) -> bool:
        """Whether another session could lock that row now."""
        with psycopg.connect(
            dbname=database["NAME"],
            user=database["USER"],
            host=database["HOST"],
            port=database["PORT"] or 5432,
        ) as other:
            try:
                other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])
            except psycopg.errors.LockNotAvailable:
                return False
            return True

    with transaction.atomic(), connection.cursor() as cursor:
        lock_step(world)
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("3s",)
        assert not free("clinic_practitioner", world.practitioner.pk)
        assert free("clinic_practitioner", bob.pk)
        assert free("clinic_clinic", world.clinic.pk)
    assert free("clinic_practitioner", world.practitioner.pk)
