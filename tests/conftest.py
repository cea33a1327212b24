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
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from rest_framework.test import APIClient

from clinic.models import TreatmentCategory
from clinical.defaults import default_rules_install
from tests import factories

pytest_plugins = ["tests.loopback_fixtures"]

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday 1 March 2027, 08:00 in London

_truncate = PostgresOperations.sql_flush


def _delete_rows(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """What a transactional test's teardown (Django's flush) runs on PostgreSQL: DELETE of
    every table, the foreign keys checked at commit, instead of one TRUNCATE. The tests leave
    a few rows; TRUNCATE makes every table and index anew, ~2 s a test here against ~0.1 s.
    Sequences are not reset either way; a flush that resets them still truncates."""
    if reset_sequences or not tables:
        return _truncate(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    deletes = [f"DELETE FROM {self.quote_name(table)};" for table in tables]
    return ["SET CONSTRAINTS ALL DEFERRED;", *deletes]


PostgresOperations.sql_flush = _delete_rows


def pytest_collection_modifyitems(items):
    """Under `pytest -n 2 --dist loadgroup` a module's tests that share a module-scoped
    fixture (a Celery worker and its Redis, a fake server) run in one process, so it starts
    once, not once per process. `make test` uses --dist load (see the Makefile: schemathesis'
    tests share node ids), which ignores the mark, as a run without -n does."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures and any(
            defs[-1].scope == "module" for defs in fixtures.name2fixturedefs.values()
        ):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


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
def photo_files(settings, tmp_path):
    """Clinical photos go to this test's own directory too: under var/photos, tests running
    side by side (pytest -n) would see, and clean away, each other's files."""
    location = tmp_path / "photos"
    photos = settings.STORAGES["photos"]
    if "location" in photos.get("OPTIONS", {}):
        settings.STORAGES = {
            **settings.STORAGES,
            "photos": {**photos, "OPTIONS": {**photos["OPTIONS"], "location": str(location)}},
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
