"""A client booked for Friday 5 March 2027 at 10:00 (London) for the world's facial massage,
and the organisation's consent form that every facial massage needs."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from diary.services import appointment_book
from tests import factories

LONDON = ZoneInfo("Europe/London")
FRIDAY = date(2027, 3, 5)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


@pytest.fixture
def form(world):
    return factories.consent_form(
        organisation=world.clinic.organisation, name="Massage consent", category="facial_massage"
    )


@pytest.fixture
def olivia(world):
    world.clinic.email = "frontdesk@lumiere.example.com"
    world.clinic.save()
    return factories.ClientFactory(
        clinic=world.clinic, name="Olivia Turner", email="olivia@example.com"
    )


@pytest.fixture
def visit(world, form, olivia):
    return appointment_book(
        treatment=world.treatment, start=at(FRIDAY, 10), client=olivia
    ).appointment
