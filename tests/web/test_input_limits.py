"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE: on the API a 413 in its `{code, detail}`,
on the pages a 413 in plain words, never Django's generic 400 page (nor the debug page under
DEBUG); logged as a warning without a traceback, not as an error."""

import json
import logging

import pytest
from django.conf import settings
from django.test import Client as BrowserClient
from rest_framework.test import APIClient

from bookings.models import Appointment

pytestmark = pytest.mark.django_db


def over_the_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1000


def assert_logged_as_a_warning(caplog):
    refusals = [record for record in caplog.records if "larger than" in record.getMessage()]
    assert refusals, [record.getMessage() for record in caplog.records]
    assert all(record.levelno == logging.WARNING for record in refusals)
    assert not any(record.exc_info for record in caplog.records)
    assert not any(record.levelno >= logging.ERROR for record in caplog.records)


@pytest.mark.parametrize("debug", [False, True])
def test_a_json_body_over_the_limit_is_a_413_in_the_api_shape(settings, caplog, debug):
    settings.DEBUG = debug
    api = APIClient(raise_request_exception=False)
    body = json.dumps({"treatment": "x", "notes": "x" * over_the_limit()})

    response = api.post("/api/v1/appointments/", body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "too_large",
        "detail": f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
        "bytes we accept.",
    }
    assert not Appointment.objects.exists()
    assert_logged_as_a_warning(caplog)


@pytest.mark.parametrize("debug", [False, True])
def test_a_form_over_the_limit_is_a_413_page_in_plain_words(settings, caplog, debug):
    settings.DEBUG = debug
    browser = BrowserClient(raise_request_exception=False)

    response = browser.post(
        "/staff/login/",
        "username=desk&password=" + "x" * over_the_limit(),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("The request body is larger than the")
    assert_logged_as_a_warning(caplog)


def test_a_body_just_under_the_limit_is_read_as_usual():
    api = APIClient(raise_request_exception=False)
    body = json.dumps({"notes": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 100)})

    response = api.post("/api/v1/appointments/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_the_schema_documents_the_refusals_on_every_operation():
    schema = json.loads(APIClient().get("/api/schema/", {"format": "json"}).content)

    operations = [op for ops in schema["paths"].values() for op in ops.values()]
    assert all("400" in op["responses"] for op in operations)
    assert all("413" in op["responses"] for op in operations if "requestBody" in op)


def test_a_form_that_cannot_be_parsed_is_a_400_in_plain_words(caplog):
    browser = BrowserClient(raise_request_exception=False)

    response = browser.post(
        "/staff/login/",
        "--x\r\nno headers, no end",
        content_type="multipart/form-data; boundary=",
    )

    assert response.status_code == 400
    assert response.content.decode() == "The form in the request's body could not be read."
    assert not any(record.exc_info for record in caplog.records)


def test_too_many_query_parameters_are_a_400_in_the_api_shape():
    api = APIClient(raise_request_exception=False)
    query = "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = api.get(f"/api/v1/practitioners/?{query}")

    assert response.status_code == 400
    assert response.json() == {
        "code": "malformed_request",
        "detail": "The request has more fields than we accept.",
    }
