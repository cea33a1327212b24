"""A booking reads the rules and its day's diary in one round trip on PostgreSQL
(diary/services.py `_rules_and_diary`), and still decides as before: the slot first, then
the rules (issue 16; the statements are pinned in tests/diary/test_booking_queries.py)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings.models import Appointment
from clinical import rules
from clinical.models import InjectableRecord
from diary import holds
from diary.errors import SlotUnavailable, TooManyHolds, WaitingPeriod
from diary.holds import appointment_hold
from diary.services import appointment_book
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
DAY = date(2027, 3, 10)
TEN = datetime.combine(DAY, time(10), tzinfo=LONDON)


@pytest.fixture
def olivia(world):
    """A client five days after filler: the waiting period refuses her a massage."""
    client = factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")
    factories.InjectableRecordFactory(client=client, date=DAY - timedelta(days=5))
    return client


def test_a_taken_slot_is_refused_as_taken_before_the_rules_are_asked(world, olivia):
    taken = appointment_book(
        treatment=world.treatment, start=TEN, client=factories.ClientFactory(clinic=world.clinic)
    ).appointment

    with pytest.raises(SlotUnavailable) as refusal:
        appointment_book(treatment=world.treatment, start=TEN, client=olivia)

    assert refusal.value.alternatives  # the diary read with the rules offers other times
    with pytest.raises(WaitingPeriod):  # a free time: the rules refuse her
        appointment_book(treatment=world.treatment, start=TEN + timedelta(hours=2), client=olivia)
    assert list(Appointment.objects.values_list("pk", flat=True)) == [taken.pk]


def test_a_booking_sees_the_diary_and_the_rules_as_they_are(world, olivia):
    appointment_book(
        treatment=world.treatment, start=TEN, client=factories.ClientFactory(clinic=world.clinic)
    )
    InjectableRecord.objects.filter(client=olivia).update(date=DAY - timedelta(days=60))

    booked = appointment_book(
        treatment=world.treatment, start=TEN + timedelta(hours=2), client=olivia
    ).appointment

    assert booked.client_id == olivia.pk and booked.resource_holds.count() == 1
    with pytest.raises(SlotUnavailable):  # her own booking is in the next one's diary
        appointment_book(
            treatment=world.treatment,
            start=TEN + timedelta(hours=2, minutes=30),
            client=factories.ClientFactory(clinic=world.clinic),
        )


def test_the_callers_parameters_may_not_change_the_rules(world, olivia):
    with pytest.raises(ValueError, match="'clinic'"):
        rules.booking_facts(
            treatment=world.treatment,
            client=olivia,
            also=["SELECT %(clinic)s"],
            also_params={"clinic": world.clinic.pk + 1},
        )
    facts = rules.booking_facts(
        treatment=world.treatment,
        client=olivia,
        also=["SELECT %(clinic)s, %(extra)s"],
        also_params={"clinic": world.clinic.pk, "extra": 7},
    )
    assert facts.also == ([(world.clinic.pk, 7)],)


def test_a_hold_decides_the_addresss_holds_first_then_the_slot(world, settings):
    """A hold reads the address's recent holds, the diary and the rules in one round trip
    (diary/holds.py) and still refuses in the same order: too many holds, then the slot."""
    settings.HOLDS_PER_ADDRESS_PER_HOUR = 1
    dana = holds.Contact(name="Dana", email="dana@example.com")
    appointment_hold(treatment=world.treatment, start=TEN, contact=dana)

    with pytest.raises(TooManyHolds):  # at the time she holds already
        appointment_hold(treatment=world.treatment, start=TEN, contact=dana)
    with pytest.raises(SlotUnavailable):  # another address, at a taken time
        appointment_hold(
            treatment=world.treatment,
            start=TEN,
            contact=holds.Contact(name="Eve", email="eve@example.com"),
        )
    held = appointment_hold(
        treatment=world.treatment,
        start=TEN + timedelta(hours=2),
        contact=holds.Contact(name="Eve", email="EVE@example.com"),
    )
    assert held.appointment.status == Appointment.Status.HELD
    assert Appointment.objects.count() == 2
