"""Waitlist fixtures: the world's clinic with a client booked at START and clients waiting
for the same treatment; rounds are run by the tests themselves (no broker)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from access.roles import MANAGER
from diary.services import appointment_book
from tests import factories
from waitlist import planning
from waitlist.services import entry_join

LONDON = ZoneInfo("Europe/London")
DAY = date(2027, 3, 2)  # the day after the frozen NOW
START = datetime.combine(DAY, time(10), tzinfo=LONDON)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """A round queued after commit is recorded, not sent to a broker: tests run it."""
    queued = []
    monkeypatch.setattr(planning, "queue_round", queued.append)
    return queued


@dataclass
class Waiting:
    booked: object  # the appointment that will be cancelled
    clients: list  # waiting, in the order they joined
    entries: list


def make_waiting(world, *, names=("Ann", "Ben", "Cat"), start=START) -> Waiting:
    booked = appointment_book(
        treatment=world.treatment,
        start=start,
        client=factories.ClientFactory(clinic=world.clinic, name="Zoe Booked"),
        practitioner=world.practitioner,
        by=factories.StaffFactory(roles=[MANAGER]),
    ).appointment
    clients, entries = [], []
    for name in names:
        client = factories.ClientFactory(
            clinic=world.clinic, name=f"{name} Waiting", email=f"{name.lower()}@example.com"
        )
        clients.append(client)
        entries.append(
            entry_join(
                client=client,
                treatment=world.treatment,
                first_day=DAY,
                last_day=DAY + timedelta(days=7),
            )
        )
    return Waiting(booked, clients, entries)


@pytest.fixture
def waiting(world):
    return make_waiting(world)
