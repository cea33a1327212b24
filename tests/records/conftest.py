"""The workspace's cast (tests/workspace/conftest.py) for the records' tests, with a
microcurrent treatment the cast's practitioners give."""

import pytest

from tests.conftest import add_microcurrent
from tests.workspace.conftest import cast, fast_password_hashing  # noqa: F401


@pytest.fixture
def microcurrent(cast):  # noqa: F811
    treatment = add_microcurrent(cast.world)
    cast.ben.treatments.add(treatment)
    return treatment
