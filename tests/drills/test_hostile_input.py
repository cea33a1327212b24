"""Hostile and unusual input on the API: people's real names in every script are kept exactly;
control characters, invalid Unicode and over-long text are clean 400s that store nothing;
other timezones' offsets mean the same instant. (Escaping on pages and in emails is tested
with those.)"""

import json

import pytest
from rest_framework.test import APIClient

from bookings.models import Appointment
from clinic.models import Client
from tests import factories
from tests.helpers import as_owner, assert_error, logged_in

APPOINTMENTS = "/api/v1/appointments/"
START = "2027-03-02T10:00:00+00:00"  # Tuesday 10:00 in London, free in the world fixture


def book(api, client: dict, **extra):
    # As a real client sends it: ASCII JSON with \u escapes, which can carry a lone surrogate.
    body = {"treatment": "manual-facial-massage", "start": START, "client": client, **extra}
    return as_owner(api, body).post(APPOINTMENTS, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Ó Súilleabháin-Øvergård",
        "محمد الأحمد",  # right to left
        "\u200fنور\u200f Lima",  # right-to-left marks: they help display a mixed name, kept
        "李小龍",
        "Ana 🌸 Lima",
        "<script>alert(1)</script>",
        "{{ client.user.password }} {% load static %}",
        "Robert'); DROP TABLE clinic_client;--",
    ],
)
def test_unusual_names_are_stored_exactly(world, api, name):
    response = book(api, {"name": name, "email": "someone@example.com"})

    assert response.status_code == 201, response.json()
    assert Client.objects.get().name == name


@pytest.mark.parametrize(
    "name",
    [
        "Dana\x00Client",
        "Dana\x07Client",
        "Dana\x1bClient",
        "Dana\u0085Client",  # a C1 control (next line)
        "Dana\u2028Client",  # line separator
        "\u202eevil\u202c Name",  # a right-to-left override: "evil" displays as "live"
        "Dana\u2067Client",  # a right-to-left isolate
        "Dana\nClient",
        "\ud800Dana",  # a lone surrogate: not valid Unicode, cannot be stored
    ],
)
def test_control_characters_and_invalid_unicode_in_a_name_are_400(world, api, name):
    response = book(api, {"name": name, "email": "dana@example.com"})

    body = assert_error(response, 400, "invalid_input")
    assert "client.name" in body["fields"]
    assert not Client.objects.exists() and not Appointment.objects.exists()


def test_a_note_may_have_lines_but_no_other_control_characters(world):
    staff = logged_in(factories.StaffFactory(username="desk"))
    client = {"name": "Dana", "email": "dana@example.com"}

    kept = book(staff, client, notes="Prefers a quiet room.\nArrives by bus.")
    refused = book(staff, client, notes="Bell\x07")

    assert kept.status_code == 201
    assert Appointment.objects.get().notes == "Prefers a quiet room.\nArrives by bus."
    assert "notes" in assert_error(refused, 400, "invalid_input")["fields"]


def test_length_counts_what_was_sent_not_what_is_left_after_trimming(world, api):
    padded_phone = " " * 30 + "07700 900101"  # 42 characters, 12 once trimmed

    response = book(api, {"name": "Dana", "email": "dana@example.com", "phone": padded_phone})

    assert "client.phone" in assert_error(response, 400, "invalid_input")["fields"]


@pytest.mark.parametrize(
    "query",
    [
        {"treatment": ""},
        {
            "treatment": "manual-facial-massage",
            "from": "2027-03-02",
            "to": "2027-03-02",
            "practitioner": "",
        },
    ],
)
def test_a_query_parameter_given_blank_is_400_not_ignored(world, api, query):
    url = "/api/v1/practitioners/" if len(query) == 1 else "/api/v1/availability/"

    response = api.get(url, query)

    assert_error(response, 400, "invalid_input")


@pytest.mark.parametrize(
    "start",
    [
        "2027-03-02T10:00:00Z",
        "2027-03-02T15:30:00+05:30",  # India
        "2027-03-02T05:00:00-05:00",  # New York
        "2027-03-02T23:00:00+13:00",  # Auckland, the next calendar day there
    ],
)
def test_any_offset_names_the_same_instant(world, start):
    body = {
        "treatment": "manual-facial-massage",
        "start": start,
        "client": {"name": "Dana", "email": "dana@example.com"},
    }
    response = as_owner(APIClient(), body).post(APPOINTMENTS, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["start"] == "2027-03-02T10:00:00+00:00"
