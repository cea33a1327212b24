"""The workspace's cast (tests/workspace/conftest.py) for the records' tests, with a
microcurrent treatment the cast's practitioners give."""

from datetime import timedelta

import pytest
import time_machine

from diary.services import appointment_book
from tests.conftest import add_microcurrent
from tests.workspace.conftest import TODAY, cast, fast_password_hashing, london  # noqa: F401

NEXT_WEEK = TODAY + timedelta(days=7)


@pytest.fixture
def microcurrent(cast):  # noqa: F811
    treatment = add_microcurrent(cast.world)
    cast.ben.treatments.add(treatment)
    return treatment


@pytest.fixture
def visits(cast, microcurrent):  # noqa: F811
    """Olivia's microcurrent session with Alice (pat) today at 14:00 and the next one a
    week later; the clock then stands at 15:00 today."""
    book = dict(
        treatment=microcurrent,
        client=cast.olivia,
        practitioner=cast.world.practitioner,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    )
    first = appointment_book(start=london(TODAY, 14), **book).appointment
    second = appointment_book(start=london(NEXT_WEEK, 14), **book).appointment
    with time_machine.travel(london(TODAY, 15), tick=False):
        yield first, second
