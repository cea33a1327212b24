"""Shared fixtures: a small clinic in Europe/London open every day 09:00-18:00, one
practitioner working the same hours, one treatment room, one 60-minute facial massage.

Tests change what they need (buffers, hours, resources) on top of it. The clock is frozen
with time_machine at NOW, a Monday well before the dates the tests book.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from clinic.models import TreatmentCategory
from clinical.defaults import default_rules_install
from tests import factories

pytest_plugins = ["tests.loopback_fixtures"]

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday 1 March 2027, 08:00 in London


@dataclass
class World:
    clinic: object
    room_kind: object
    room: object
    treatment: object
    practitioner: object


def open_every_day(clinic, opens=time(9), closes=time(18)):
    for weekday in range(7):
        factories.OpeningHoursFactory(clinic=clinic, weekday=weekday, opens=opens, closes=closes)


def works_every_day(practitioner, starts=time(9), ends=time(18)):
    for weekday in range(7):
        factories.WorkingHoursFactory(
            practitioner=practitioner, weekday=weekday, starts=starts, ends=ends
        )


def default_rules() -> None:
    """The default clinical rules (clinical/defaults.py). Transactional tests flush the
    database, migration data included, so tests that need the rules put them back."""
    default_rules_install()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Staff made by the factories get a password: with the production hasher (a million
    PBKDF2 rounds) that is ~0.4 s a user, seconds for each organisation fixture. The hasher
    itself is Django's, not ours to test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def consent_files(settings, tmp_path):
    """Signed forms' files go to this test's own directory, never to var/."""
    location = tmp_path / "consent-forms"
    settings.STORAGES = {
        **settings.STORAGES,
        "consent": {**settings.STORAGES["consent"], "OPTIONS": {"location": str(location)}},
    }
    return location


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Every test starts with no requests counted against the API's rate limits."""
    cache.clear()


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def make_world() -> World:
    """The clinic of the module docstring, built at whatever time it is."""
    default_rules()
    clinic = factories.ClinicFactory(slug="lumiere", name="Lumière")
    open_every_day(clinic)
    room_kind = factories.ResourceKindFactory(slug="treatment-room")
    room = factories.ResourceFactory(clinic=clinic, kind=room_kind, name="Room 1")
    treatment = factories.TreatmentFactory(
        clinic=clinic,
        slug="manual-facial-massage",
        name="Manual facial massage",
        kinds=[room_kind],
    )
    practitioner = factories.PractitionerFactory(
        clinic=clinic, name="Alice Practitioner", treatments=[treatment]
    )
    works_every_day(practitioner)
    return World(clinic, room_kind, room, treatment, practitioner)


@pytest.fixture
def world(db, frozen_now) -> World:
    return make_world()


def add_microcurrent(world: World):
    """A microcurrent treatment (a device, so the contraindication rules apply to it) that
    the world's practitioner gives."""
    device = factories.ResourceKindFactory(slug="microcurrent-device")
    factories.ResourceFactory(clinic=world.clinic, kind=device, name="Microcurrent unit")
    treatment = factories.TreatmentFactory(
        clinic=world.clinic,
        slug="microcurrent-toning",
        name="Microcurrent toning",
        category=TreatmentCategory.MICROCURRENT,
        kinds=[world.room_kind, device],
    )
    world.practitioner.treatments.add(treatment)
    return treatment


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff_api(world):
    """The front desk of the world's clinic, signed in to the API."""
    client = APIClient()
    client.force_authenticate(factories.StaffFactory(username="frontdesk"))
    return client
