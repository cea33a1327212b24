"""The slot search's compiled-SQL cache (bookings/db.py compiled_rows): a query compiled
once per shape gives, with new values, exactly the rows the ORM gives; and a query whose
values cannot be told apart from its constants is never cached."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from bookings import db
from bookings.models import Appointment
from clinic.models import Closure, Resource
from diary import availability
from diary.services import appointment_book
from tests import factories
from tests.conftest import works_every_day

LONDON = ZoneInfo("Europe/London")
DAY = date(2027, 3, 2)  # the day after the frozen clock's Monday

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the cache applies on PostgreSQL only"
)


@pytest.fixture
def clean_cache(monkeypatch):
    monkeypatch.setattr(db, "_compiled", {})
    return db._compiled


def closures(clinic_id, first, last):
    return Closure.objects.filter(clinic_id=clinic_id, date__range=(first, last)).values_list(
        "date"
    )


def test_a_cached_query_binds_new_values(world, clean_cache):
    for day in (1, 5, 9):
        Closure.objects.create(clinic=world.clinic, date=date(2027, 3, day), reason="bank holiday")
    other = factories.ClinicFactory(slug="other")
    Closure.objects.create(clinic=other, date=date(2027, 3, 5), reason="other clinic")

    for clinic_id, first, last in [
        (world.clinic.pk, date(2027, 3, 1), date(2027, 3, 4)),
        (world.clinic.pk, date(2027, 3, 2), date(2027, 3, 31)),
        (other.pk, date(2027, 3, 1), date(2027, 3, 31)),
        (world.clinic.pk, date(2027, 4, 1), date(2027, 4, 30)),
    ]:
        rows = db.compiled_rows(("closures",), closures, (clinic_id, first, last))
        assert sorted(rows) == sorted(closures(clinic_id, first, last))
    assert len(clean_cache) == 1
    assert next(iter(clean_cache.values())) is not None, "the query was not cached"


def test_the_second_call_does_not_build_the_queryset(world, clean_cache):
    built = []

    def counting(*values):
        built.append(values)
        return closures(*values)

    db.compiled_rows(("closures",), counting, (world.clinic.pk, date(2027, 3, 1), date(2027, 3, 2)))
    assert len(built) == 2  # the real values and the probes
    db.compiled_rows(("closures",), counting, (world.clinic.pk, date(2027, 5, 1), date(2027, 5, 2)))
    assert len(built) == 2


def test_a_value_changed_on_its_way_is_never_cached(world, clean_cache):
    """The builder shifts a date: no parameter carries the value as given, so the mapping
    is uncertain and every call builds the queryset."""
    Closure.objects.create(clinic=world.clinic, date=date(2027, 3, 2), reason="training")

    def shifted(clinic_id, day):
        return Closure.objects.filter(
            clinic_id=clinic_id, date=day + timedelta(days=1)
        ).values_list("date")

    rows = db.compiled_rows(("shifted",), shifted, (world.clinic.pk, date(2027, 3, 1)))
    assert rows == [(date(2027, 3, 2),)]
    assert list(clean_cache.values()) == [None]
    assert db.compiled_rows(("shifted",), shifted, (world.clinic.pk, date(2027, 3, 2))) == []


def test_an_id_equal_to_a_constant_is_still_told_apart():
    """A query may carry True as a parameter; True == 1 in Python, and ids are often 1:
    the mapping compares types too, so the id is bound and True kept."""

    def active_in(clinic_id):
        return (
            Resource.objects.filter(clinic_id=clinic_id)
            .annotate(flag=Value(True))
            .values_list("pk", "flag")
        )

    sql, slots = db._template(active_in, (1,))
    assert sorted(slots, key=repr) == sorted([(None, True), (0, None)], key=repr)


def test_the_search_gives_the_same_slots_cached_and_uncached(world, monkeypatch, clean_cache):
    second = factories.PractitionerFactory(clinic=world.clinic, treatments=[world.treatment])
    works_every_day(second, starts=time(12), ends=time(16))
    client = factories.ClientFactory(clinic=world.clinic)
    appointment_book(
        treatment=world.treatment,
        start=datetime.combine(DAY, time(10), tzinfo=LONDON),
        client=client,
    )
    Closure.objects.create(clinic=world.clinic, date=DAY + timedelta(days=2), reason="x")

    def search(**kwargs):
        return availability.find_slots(
            treatment=world.treatment,
            first_day=DAY,
            last_day=DAY + timedelta(days=6),
            **kwargs,
        )

    searches = [
        {},
        {"practitioner_id": world.practitioner.pk},
        {"exclude_appointment_id": Appointment.objects.get().pk},
    ]
    cached = [search(**kwargs) for kwargs in searches * 2]  # the second round binds only
    with CaptureQueriesContext(connection) as queries:
        search()
    assert len(queries) == 3
    monkeypatch.setattr(db, "is_postgresql", lambda: False)  # the ORM, built every time
    assert cached == [search(**kwargs) for kwargs in searches * 2]
    assert cached[0] and cached[0] != cached[1] != cached[2]
