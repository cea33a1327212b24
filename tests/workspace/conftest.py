"""The workspace's cast, on top of tests/conftest.py's world (Lumière in London, Alice
Practitioner, a 60-minute facial massage, the clock frozen on Monday 1 March 2027 08:00):

- olivia: a client with a login and filler (cheeks, lips) on 8 February, booked with
  Alice today at 10:00;
- bruno: a client booked with Ben (a second practitioner) today at 11:00;
- personas: anonymous, client (olivia's login), norole (staff account in no group),
  desk (front desk), pat (practitioner, the user of Alice), mia (clinic manager).
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as BrowserClient

from access.roles import MANAGER, PRACTITIONER
from diary.services import appointment_book
from tests import factories
from tests.conftest import works_every_day

LONDON = ZoneInfo("Europe/London")
TODAY = date(2027, 3, 1)
FILLER_DAY = date(2027, 2, 8)  # day 21 today: a facial massage is allowed with a warning
PERSONAS = ["anonymous", "client", "norole", "desk", "pat", "mia"]


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Each cast has five accounts; the real hasher takes a good part of a second for each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Cast:
    world: object
    olivia: object
    bruno: object
    ben: object
    olivia_visit: object
    bruno_visit: object
    users: dict

    def browser(self, persona: str) -> BrowserClient:
        browser = BrowserClient()
        if self.users.get(persona) is not None:
            browser.force_login(self.users[persona])
        return browser


@pytest.fixture
def cast(world) -> Cast:
    desk = factories.StaffFactory(username="desk", first_name="Dee", last_name="Desk")
    pat = factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    world.practitioner.user = pat
    world.practitioner.save(update_fields=["user"])
    ben = factories.PractitionerFactory(
        clinic=world.clinic, name="Ben Practitioner", treatments=[world.treatment]
    )
    works_every_day(ben)
    olivia = factories.ClientFactory(
        clinic=world.clinic,
        user=factories.UserFactory(username="olivia"),
        name="Olivia Turner",
        email="olivia.turner@example.com",
        phone="07700 900101",
    )
    factories.InjectableRecordFactory(
        client=olivia, date=FILLER_DAY, areas=["cheeks", "lips"], recorded_by=desk
    )
    bruno = factories.ClientFactory(
        clinic=world.clinic, name="Bruno Costa", email="bruno@example.com"
    )
    olivia_visit = appointment_book(
        treatment=world.treatment,
        start=london(TODAY, 10),
        client=olivia,
        practitioner=world.practitioner,
        by=desk,
        acknowledge_warnings=True,
    ).appointment
    bruno_visit = appointment_book(
        treatment=world.treatment, start=london(TODAY, 11), client=bruno, practitioner=ben, by=desk
    ).appointment
    users = {
        "anonymous": None,
        "client": olivia.user,
        "norole": factories.StaffFactory(username="norole", roles=[]),
        "desk": desk,
        "pat": pat,
        "mia": factories.StaffFactory(username="mia", roles=[MANAGER]),
    }
    return Cast(world, olivia, bruno, ben, olivia_visit, bruno_visit, users)
