"""A booking reads the rules and its day's diary in one round trip on PostgreSQL
(diary/services.py `_rules_and_diary`), and still decides as before: the slot first, then
the rules (issue 16; the statements are pinned in tests/diary/test_booking_queries.py)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings.models import Appointment
from clinical import rules
from clinical.models import InjectableRecord
from diary.errors import SlotUnavailable, WaitingPeriod
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
