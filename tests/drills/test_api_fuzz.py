"""Schemathesis against the project's own OpenAPI schema, in process: generated requests for
every operation, anonymous and with a staff token. No answer may be a 5xx, and every answer
must match the schema (status code, content type, headers, body); schema-invalid input must
be refused.

Left out: schemathesis' positive_data_acceptance, which expects every schema-valid body to be
accepted. Ours refuses well-formed references to things that do not exist (a treatment slug
no clinic sells) with a 400, as docs/api.md says, and no schema can say which slugs exist.
A longer run: `FUZZ_EXAMPLES=500 make test ARGS=tests/drills/test_api_fuzz.py`.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from config.wsgi import application
from tests import factories
from tests.drills.conftest import REPORT

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Django's handler closes the database connection when a request finishes, which would
    end the test's transaction; Django's own test client disconnects the same receivers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


ANSWERS: list[int] = []  # every status code the fuzzing got back


@pytest.fixture(scope="module", autouse=True)
def fuzz_report():
    yield
    server_errors = sum(status >= 500 for status in ANSWERS)
    REPORT.append(
        f"API fuzzing (schemathesis, {FUZZ.max_examples} examples per operation and caller): "
        f"requests tried {len(ANSWERS)}, 5xx seen {server_errors}"
    )


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """Hundreds of requests from one caller: the limits (tested on their own) would answer
    most of them with 429 and leave the rest of the API unexplored."""
    settings.API_THROTTLE_RATES = dict.fromkeys(settings.API_THROTTLE_RATES)


@pytest.fixture
def staff_token(world):
    return Token.objects.create(user=factories.StaffFactory(username="fuzz-desk")).key


def call_and_count(case, headers=None):
    """Send the case, count its answer (a failure included), then check it against the
    schema and the CHECKS (validate_response raises on any failure); returns the answer."""
    response = case.call(headers=headers)
    ANSWERS.append(response.status_code)
    case.validate_response(response, checks=CHECKS, headers=headers)
    return response


@schema.parametrize()
@FUZZ
def test_anonymous(case, world):
    assert call_and_count(case).status_code < 500


@schema.parametrize()
@FUZZ
def test_staff(case, staff_token):
    assert call_and_count(case, headers={"Authorization": f"Token {staff_token}"}).status_code < 500
