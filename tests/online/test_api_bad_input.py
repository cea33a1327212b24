"""Bad input to every endpoint of docs/api.md: a 400 (or 404, or a clean 409) in the one
error shape, `{code, detail}` plus `fields` for field errors, never a 500; and a refused
booking stores nothing."""

import pytest
from rest_framework.test import APIClient

from bookings.models import Appointment
from clinic.models import Client
from tests import factories
from tests.helpers import as_owner

TOKEN_URL = "/api/v1/auth/token/"
PRACTITIONERS = "/api/v1/practitioners/"
AVAILABILITY = "/api/v1/availability/"
APPOINTMENTS = "/api/v1/appointments/"

HUGE = "x" * 10_000
TREATMENT = "manual-facial-massage"  # the slug of the `world` fixture's treatment
GOOD_START = "2027-03-02T10:00:00+00:00"  # Tuesday 10:00 in London, free and bookable
OTHER_START = "2027-03-02T14:00:00+00:00"
GOOD_CLIENT = {"name": "Dana Client", "email": "dana@example.com"}
# Nested deeper than Python's recursion limit: json.loads raises RecursionError there.
DEEP_JSON = '{"treatment": ' + "[" * 100_000 + "]" * 100_000 + "}"


@pytest.fixture
def api():
    """Anonymous, and a server error comes back as a 500 response instead of raising."""
    return APIClient(raise_request_exception=False)


@pytest.fixture
def staff_api(db):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(factories.StaffFactory(username="frontdesk"))
    return client


def assert_error(response, status: int = 400, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert isinstance(body.get("code"), str) and body["code"]
    assert isinstance(body.get("detail"), str) and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def assert_field_error(response, field: str) -> dict:
    """A 400 `invalid_input` naming `field` (or a field nested under it) in `fields`."""
    body = assert_error(response, 400, "invalid_input")
    fields = body["fields"]
    assert isinstance(fields, dict)
    assert any(key == field or key.startswith(f"{field}.") for key in fields), fields
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in fields.values()
    )
    return body


@pytest.fixture
def nothing_stored(world):
    """Asserts after the test that no appointment or client row was written."""
    before = (Appointment.objects.count(), Client.objects.count())
    yield
    assert (Appointment.objects.count(), Client.objects.count()) == before


@pytest.fixture
def outsider(world):
    """A practitioner who exists but does not offer the world's treatment."""
    other = factories.TreatmentFactory(clinic=world.clinic, slug="led-light")
    return factories.PractitionerFactory(clinic=world.clinic, name="Bella", treatments=[other])


@pytest.fixture
def appointment(world) -> dict:
    body = {"treatment": TREATMENT, "start": GOOD_START, "client": GOOD_CLIENT}
    response = as_owner(APIClient(), body).post(APPOINTMENTS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def url(reference: str, action: str = "") -> str:
    return f"{APPOINTMENTS}{reference}/" + (f"{action}/" if action else "")


# --- Availability ----------------------------------------------------------------------

GOOD_RANGE = {"treatment": TREATMENT, "from": "2027-03-02", "to": "2027-03-03"}

AVAILABILITY_CASES = [
    pytest.param({"treatment": "no-such-treatment"}, "treatment", id="unknown-treatment"),
    pytest.param({"treatment": None}, "treatment", id="missing-treatment"),
    pytest.param({"treatment": ""}, "treatment", id="blank-treatment"),
    pytest.param({"treatment": HUGE}, "treatment", id="huge-treatment"),
    pytest.param({"treatment": "not a slug!"}, "treatment", id="not-a-slug"),
    pytest.param({"treatment": "a\x00b"}, "treatment", id="nul-in-treatment"),
    pytest.param({"from": None}, "from", id="missing-from"),
    pytest.param({"to": None}, "to", id="missing-to"),
    pytest.param({"from": "2027-13-01"}, "from", id="month-13"),
    pytest.param({"from": "tomorrow"}, "from", id="tomorrow"),
    pytest.param({"from": ""}, "from", id="blank-from"),
    pytest.param({"to": ""}, "to", id="blank-to"),
    pytest.param({"from": "2027-02-30"}, "from", id="february-30"),
    pytest.param({"to": "2027-02-30"}, "to", id="to-february-30"),
    pytest.param({"from": "2027-03-02T00:00:00"}, "from", id="datetime-not-date"),
    pytest.param({"from": "02/03/2027"}, "from", id="slashes"),
    pytest.param({"from": HUGE}, "from", id="huge-from"),
    pytest.param({"to": HUGE}, "to", id="huge-to"),
    pytest.param({"from": "0001-01-01", "to": "0001-01-02"}, "from", id="year-1"),
    pytest.param({"from": "9999-12-30", "to": "9999-12-31"}, "from", id="year-9999"),
    pytest.param({"from": "2027-03-05", "to": "2027-03-04"}, "to", id="from-after-to"),
    pytest.param({"practitioner": "abc"}, "practitioner", id="practitioner-word"),
    pytest.param({"practitioner": "-1"}, "practitioner", id="practitioner-negative"),
    pytest.param({"practitioner": "0"}, "practitioner", id="practitioner-zero"),
    pytest.param({"practitioner": "1.5"}, "practitioner", id="practitioner-fraction"),
    pytest.param({"practitioner": str(10**30)}, "practitioner", id="practitioner-10e30"),
    pytest.param({"practitioner": "9" * 10_000}, "practitioner", id="practitioner-huge"),
    pytest.param({"practitioner": "2147483647"}, "practitioner", id="practitioner-missing"),
]


@pytest.mark.parametrize(("change", "field"), AVAILABILITY_CASES)
def test_bad_availability_queries_are_400_field_errors(world, api, change, field):
    params = {**GOOD_RANGE, **change}
    params = {key: value for key, value in params.items() if value is not None}

    response = api.get(AVAILABILITY, params)

    assert_field_error(response, field)


def test_availability_for_a_practitioner_who_does_not_offer_the_treatment_is_400(
    world, api, outsider
):
    response = api.get(AVAILABILITY, {**GOOD_RANGE, "practitioner": outsider.pk})

    assert_field_error(response, "practitioner")


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param("2027-03-02", "2027-05-03", id="63-days"),
        pytest.param("2027-03-01", "2028-02-29", id="a-year"),
        pytest.param("2000-01-01", "2100-12-31", id="a-century"),
    ],
)
def test_a_range_over_62_days_is_range_too_long(world, api, first, last):
    response = api.get(AVAILABILITY, {"treatment": TREATMENT, "from": first, "to": last})

    assert_error(response, 400, "range_too_long")


def test_a_range_of_exactly_62_days_is_fine(world, api):
    # 2 March to 2 May inclusive: 30 + 30 + 2 = 62 clinic-local dates.
    response = api.get(
        AVAILABILITY, {"treatment": TREATMENT, "from": "2027-03-02", "to": "2027-05-02"}
    )

    assert response.status_code == 200
    assert response.json()["slots"]


def test_a_single_day_range_is_fine(world, api):
    response = api.get(
        AVAILABILITY, {"treatment": TREATMENT, "from": "2027-03-02", "to": "2027-03-02"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param("2000-01-01", "2000-01-31", id="long-past"),
        pytest.param("2027-02-01", "2027-02-28", id="last-month"),
        pytest.param("2100-12-01", "2100-12-31", id="far-future"),
    ],
)
def test_availability_out_of_the_booking_window_is_empty_not_an_error(world, api, first, last):
    response = api.get(AVAILABILITY, {"treatment": TREATMENT, "from": first, "to": last})

    assert response.status_code == 200
    assert response.json()["slots"] == []


def test_staff_see_no_slots_in_the_far_future_either(world, staff_api):
    response = staff_api.get(
        AVAILABILITY, {"treatment": TREATMENT, "from": "2100-12-01", "to": "2100-12-31"}
    )

    assert response.status_code == 200
    assert response.json()["slots"] == []


# --- Practitioners ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "treatment",
    [
        pytest.param("no-such-treatment", id="unknown"),
        pytest.param(HUGE, id="huge"),
        pytest.param("not a slug!", id="not-a-slug"),
        pytest.param("a\x00b", id="nul"),
    ],
)
def test_practitioners_of_a_bad_treatment_are_400(world, api, treatment):
    response = api.get(PRACTITIONERS, {"treatment": treatment})

    assert_field_error(response, "treatment")


# --- Booking: field errors -------------------------------------------------------------

GOOD_BOOKING = {"treatment": TREATMENT, "start": GOOD_START, "client": GOOD_CLIENT}
MISSING = object()

BOOKING_CASES = [
    # treatment
    pytest.param({"treatment": "no-such-treatment"}, "treatment", id="unknown-treatment"),
    pytest.param({"treatment": MISSING}, "treatment", id="missing-treatment"),
    pytest.param({"treatment": None}, "treatment", id="null-treatment"),
    pytest.param({"treatment": HUGE}, "treatment", id="huge-treatment"),
    pytest.param({"treatment": 7}, "treatment", id="number-treatment"),
    pytest.param({"treatment": [TREATMENT]}, "treatment", id="list-treatment"),
    pytest.param({"treatment": {"slug": TREATMENT}}, "treatment", id="object-treatment"),
    # start
    pytest.param({"start": MISSING}, "start", id="missing-start"),
    pytest.param({"start": None}, "start", id="null-start"),
    pytest.param({"start": 1_804_000_000}, "start", id="number-start"),
    pytest.param({"start": 1.5}, "start", id="float-start"),
    pytest.param({"start": True}, "start", id="bool-start"),
    pytest.param({"start": [GOOD_START]}, "start", id="list-start"),
    pytest.param({"start": {"at": GOOD_START}}, "start", id="object-start"),
    pytest.param({"start": ""}, "start", id="blank-start"),
    pytest.param({"start": "tomorrow"}, "start", id="word-start"),
    pytest.param({"start": HUGE}, "start", id="huge-start"),
    pytest.param({"start": "2027-03-02T10:00:00"}, "start", id="naive-start"),
    pytest.param({"start": "2027-03-02 10:00"}, "start", id="naive-start-with-space"),
    pytest.param({"start": "2027-03-02"}, "start", id="date-only-start"),
    pytest.param({"start": "2027-03-02T09:07:00+00:00"}, "start", id="off-grid-09-07"),
    pytest.param({"start": "2027-03-02T09:00:30+00:00"}, "start", id="off-grid-seconds"),
    pytest.param({"start": "2027-03-02T09:00:00.5+00:00"}, "start", id="off-grid-fraction"),
    pytest.param({"start": "2027-04-06T10:00:00+00:10"}, "start", id="off-grid-via-offset"),
    pytest.param({"start": "2027-02-30T10:00:00+00:00"}, "start", id="february-30"),
    pytest.param({"start": "2027-03-02T25:00:00+00:00"}, "start", id="hour-25"),
    pytest.param({"start": "2027-03-02T10:00:00+99:00"}, "start", id="offset-99-hours"),
    pytest.param({"start": "0001-01-01T09:00:00+00:00"}, "start", id="year-1"),
    pytest.param({"start": "9999-12-31T09:00:00+00:00"}, "start", id="year-9999"),
    pytest.param({"start": "2027-03-02T10:00:00\x00+00:00"}, "start", id="nul-start"),
    # client
    pytest.param({"client": MISSING}, "client", id="missing-client"),
    pytest.param({"client": None}, "client", id="null-client"),
    pytest.param({"client": "Dana"}, "client", id="string-client"),
    pytest.param({"client": [GOOD_CLIENT]}, "client", id="list-client"),
    pytest.param({"client": {"email": "dana@example.com"}}, "client", id="client-no-name"),
    pytest.param({"client": {"name": "Dana"}}, "client", id="client-no-email"),
    pytest.param({"client": {**GOOD_CLIENT, "name": "   "}}, "client", id="blank-name"),
    pytest.param({"client": {**GOOD_CLIENT, "name": HUGE}}, "client", id="huge-name"),
    pytest.param({"client": {**GOOD_CLIENT, "name": ["Dana"]}}, "client", id="list-name"),
    pytest.param({"client": {**GOOD_CLIENT, "name": "Da\x00na"}}, "client", id="nul-name"),
    pytest.param(
        {"client": {**GOOD_CLIENT, "email": HUGE + "@example.com"}}, "client", id="huge-email"
    ),
    pytest.param({"client": {**GOOD_CLIENT, "email": "not-an-email"}}, "client", id="bad-email"),
    pytest.param({"client": {**GOOD_CLIENT, "email": 42}}, "client", id="number-email"),
    pytest.param({"client": {**GOOD_CLIENT, "phone": HUGE}}, "client", id="huge-phone"),
    pytest.param({"client": {**GOOD_CLIENT, "phone": None}}, "client", id="null-phone"),
    # practitioner
    pytest.param({"practitioner": "abc"}, "practitioner", id="practitioner-word"),
    pytest.param({"practitioner": -1}, "practitioner", id="practitioner-negative"),
    pytest.param({"practitioner": 0}, "practitioner", id="practitioner-zero"),
    pytest.param({"practitioner": 1.5}, "practitioner", id="practitioner-fraction"),
    pytest.param({"practitioner": 10**30}, "practitioner", id="practitioner-10e30"),
    pytest.param({"practitioner": [1]}, "practitioner", id="practitioner-list"),
    pytest.param({"practitioner": 2**31 - 1}, "practitioner", id="practitioner-missing"),
    # health
    pytest.param({"health": "x"}, "health", id="health-string"),
    pytest.param({"health": None}, "health", id="health-null"),
    pytest.param({"health": {"injectables": "x"}}, "health", id="injectables-string"),
    pytest.param({"health": {"injectables": ["x"]}}, "health", id="injectable-string"),
    pytest.param({"health": {"injectables": {"kind": "filler"}}}, "health", id="injectables-obj"),
    pytest.param(
        {"health": {"injectables": [{"kind": "laser", "date": "2027-01-04"}]}},
        "health",
        id="kind-laser",
    ),
    pytest.param(
        {"health": {"injectables": [{"kind": ["filler"], "date": "2027-01-04"}]}},
        "health",
        id="kind-list",
    ),
    pytest.param(
        {"health": {"injectables": [{"kind": "filler", "date": "2027-02-30"}]}},
        "health",
        id="injectable-february-30",
    ),
    pytest.param(
        {"health": {"injectables": [{"kind": "filler", "date": "0001-01-01"}]}},
        "health",
        id="injectable-year-1",
    ),
    pytest.param(
        {"health": {"injectables": [{"kind": "filler", "date": 20270104}]}},
        "health",
        id="injectable-date-number",
    ),
    pytest.param({"health": {"injectables": [{"kind": "filler"}]}}, "health", id="no-date"),
    pytest.param({"health": {"injectables": [{"date": "2027-01-04"}]}}, "health", id="no-kind"),
    pytest.param(
        {"health": {"injectables": [{"kind": "filler", "date": "2027-01-04", "areas": "x"}]}},
        "health",
        id="areas-string",
    ),
    pytest.param(
        {"health": {"injectables": [{"kind": "filler", "date": "2027-01-04", "areas": [HUGE]}]}},
        "health",
        id="area-huge",
    ),
    pytest.param(
        {"health": {"injectables": [{"kind": "botox", "date": "2027-01-04"}] * 21}},
        "health",
        id="too-many-injectables",
    ),
    pytest.param({"health": {"conditions": "pregnant"}}, "health", id="conditions-string"),
    pytest.param({"health": {"conditions": [HUGE]}}, "health", id="condition-huge"),
    pytest.param({"health": {"conditions": [{"a": 1}]}}, "health", id="condition-object"),
    # the rest
    pytest.param({"acknowledge_warnings": "maybe"}, "acknowledge_warnings", id="ack-word"),
    pytest.param({"acknowledge_warnings": [True]}, "acknowledge_warnings", id="ack-list"),
    pytest.param({"acknowledge_warnings": None}, "acknowledge_warnings", id="ack-null"),
    pytest.param({"notes": HUGE}, "notes", id="huge-notes"),
    pytest.param({"override_reason": HUGE}, "override_reason", id="huge-override-reason"),
    pytest.param({"client_id": 10**30}, "client_id", id="client-id-10e30"),
    pytest.param({"client_id": "abc"}, "client_id", id="client-id-word"),
]


def booking(change: dict) -> dict:
    body = {**GOOD_BOOKING, **change}
    return {key: value for key, value in body.items() if value is not MISSING}


@pytest.mark.parametrize(("change", "field"), BOOKING_CASES)
def test_bad_booking_fields_are_400_and_store_nothing(world, api, nothing_stored, change, field):
    response = api.post(APPOINTMENTS, booking(change), format="json")

    assert_field_error(response, field)


def test_booking_with_a_practitioner_who_does_not_offer_the_treatment_is_400(
    world, api, nothing_stored, outsider
):
    response = api.post(APPOINTMENTS, booking({"practitioner": outsider.pk}), format="json")

    assert_field_error(response, "practitioner")


def test_a_good_booking_body_is_accepted(world, api):
    # The control for the table above: only the change makes those bookings fail.
    response = api.post(APPOINTMENTS, booking({}), format="json")

    assert response.status_code == 202  # held for the address to confirm (diary/holds.py)
    assert response.json()["status"] == "held"


def test_staff_booking_without_any_client_is_400(world, staff_api, nothing_stored):
    response = staff_api.post(APPOINTMENTS, booking({"client": MISSING}), format="json")

    assert_field_error(response, "client")


def test_staff_booking_for_an_unknown_client_id_is_400(world, staff_api, nothing_stored):
    response = staff_api.post(
        APPOINTMENTS, booking({"client": MISSING, "client_id": 2**31 - 1}), format="json"
    )

    assert_field_error(response, "client_id")


def test_an_anonymous_override_reason_is_refused(world, api, nothing_stored):
    response = api.post(APPOINTMENTS, booking({"override_reason": "Doctor agreed"}), format="json")

    assert_error(response, 403, "permission_denied")


# --- Booking: bodies that are not an object --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("{", "malformed_request", id="truncated"),
        pytest.param('{"treatment": }', "malformed_request", id="missing-value"),
        pytest.param("{'treatment': 'x'}", "malformed_request", id="single-quotes"),
        pytest.param('{"practitioner": NaN}', "malformed_request", id="nan"),
        pytest.param(b'{"treatment": "\xff\xfe"}', "malformed_request", id="not-utf8"),
        pytest.param('{"practitioner": ' + "9" * 5000 + "}", "malformed_request", id="5000-digits"),
        pytest.param(DEEP_JSON, "malformed_request", id="deeply-nested"),
        pytest.param("[]", "invalid_input", id="empty-list"),
        pytest.param(
            '[{"treatment": "manual-facial-massage", "start": "2027-03-02T10:00:00+00:00"}]',
            "invalid_input",
            id="list-of-objects",
        ),
        pytest.param('"booking"', "invalid_input", id="string"),
        pytest.param("42", "invalid_input", id="number"),
        pytest.param("null", "invalid_input", id="null"),
        pytest.param("{}", "invalid_input", id="empty-object"),
    ],
)
def test_a_booking_body_that_is_not_a_good_object_is_400(world, api, nothing_stored, raw, code):
    response = api.post(APPOINTMENTS, raw, content_type="application/json")

    assert_error(response, 400, code)


# --- Booking: far-away times -----------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        pytest.param("2000-01-03T10:00:00+00:00", id="long-past"),
        pytest.param("2000-01-01T00:00:00+14:00", id="before-2000-in-utc"),
        pytest.param("2027-02-01T10:00:00+00:00", id="last-month"),
        pytest.param("2027-03-01T07:00:00+00:00", id="an-hour-ago"),
        pytest.param("2027-12-07T10:00:00+00:00", id="past-max-advance"),
        pytest.param("2100-12-31T10:00:00+00:00", id="far-future"),
        pytest.param("2100-12-31T23:45:00-12:00", id="after-2100-in-utc"),
    ],
)
def test_booking_far_from_now_is_a_clean_409(world, api, nothing_stored, start):
    response = api.post(APPOINTMENTS, booking({"start": start}), format="json")

    body = assert_error(response, 409, "slot_unavailable")
    assert isinstance(body["alternatives"], list)


def test_staff_booking_in_the_past_is_a_clean_409(world, staff_api, nothing_stored):
    response = staff_api.post(
        APPOINTMENTS, booking({"start": "2000-01-03T10:00:00+00:00"}), format="json"
    )

    assert_error(response, 409, "slot_unavailable")


def test_staff_booking_in_the_far_future_is_a_clean_409(world, staff_api, nothing_stored):
    response = staff_api.post(
        APPOINTMENTS, booking({"start": "2100-12-31T10:00:00+00:00"}), format="json"
    )

    assert_error(response, 409, "slot_unavailable")


# --- Reschedule ------------------------------------------------------------------------

RESCHEDULE_CASES = [
    pytest.param({}, "start", id="missing-start"),
    pytest.param({"start": None}, "start", id="null-start"),
    pytest.param({"start": 1_804_000_000}, "start", id="number-start"),
    pytest.param({"start": [OTHER_START]}, "start", id="list-start"),
    pytest.param({"start": ""}, "start", id="blank-start"),
    pytest.param({"start": HUGE}, "start", id="huge-start"),
    pytest.param({"start": "2027-03-02T14:00:00"}, "start", id="naive-start"),
    pytest.param({"start": "2027-03-02T14:07:00+00:00"}, "start", id="off-grid"),
    pytest.param({"start": "2027-02-30T14:00:00+00:00"}, "start", id="february-30"),
    pytest.param({"start": "0001-01-01T09:00:00+00:00"}, "start", id="year-1"),
    pytest.param({"start": "9999-12-31T09:00:00+00:00"}, "start", id="year-9999"),
    pytest.param({"start": OTHER_START, "token": ["x"]}, "token", id="list-token"),
    pytest.param({"start": OTHER_START, "token": HUGE}, "token", id="huge-token"),
]


@pytest.mark.parametrize(("body", "field"), RESCHEDULE_CASES)
def test_bad_reschedule_bodies_are_400_and_move_nothing(world, api, appointment, body, field):
    response = api.post(
        f"{url(appointment['reference'], 'reschedule')}?token={appointment['manage_token']}",
        body,
        format="json",
    )

    assert_field_error(response, field)
    assert Appointment.objects.get().start.isoformat() == GOOD_START


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("{", id="truncated"),
        pytest.param("[]", id="list"),
        pytest.param("null", id="null"),
        pytest.param(DEEP_JSON, id="deeply-nested"),
    ],
)
def test_a_reschedule_body_that_is_not_a_good_object_is_400(world, api, appointment, raw):
    response = api.post(
        f"{url(appointment['reference'], 'reschedule')}?token={appointment['manage_token']}",
        raw,
        content_type="application/json",
    )

    assert_error(response, 400)
    assert Appointment.objects.get().start.isoformat() == GOOD_START


@pytest.mark.parametrize(
    "start",
    [
        pytest.param("2000-01-03T10:00:00+00:00", id="long-past"),
        pytest.param("2100-12-31T10:00:00+00:00", id="far-future"),
        pytest.param("2027-03-02T20:00:00+00:00", id="after-closing"),
    ],
)
def test_rescheduling_far_away_is_a_clean_409(world, api, appointment, start):
    response = api.post(
        url(appointment["reference"], "reschedule"),
        {"start": start, "token": appointment["manage_token"]},
        format="json",
    )

    assert_error(response, 409, "slot_unavailable")
    assert Appointment.objects.get().start.isoformat() == GOOD_START


# --- Cancel ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"reason": HUGE}, "reason", id="huge-reason"),
        pytest.param({"reason": ["x"]}, "reason", id="list-reason"),
        pytest.param({"token": ["x"]}, "token", id="list-token"),
        pytest.param({"token": HUGE}, "token", id="huge-token"),
    ],
)
def test_bad_cancel_bodies_are_400_and_cancel_nothing(world, api, appointment, body, field):
    response = api.post(
        f"{url(appointment['reference'], 'cancel')}?token={appointment['manage_token']}",
        body,
        format="json",
    )

    assert_field_error(response, field)
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("{", id="truncated"),
        pytest.param("[]", id="list"),
        pytest.param('"cancel"', id="string"),
        pytest.param(DEEP_JSON, id="deeply-nested"),
    ],
)
def test_a_cancel_body_that_is_not_a_good_object_is_400(world, api, appointment, raw):
    response = api.post(
        f"{url(appointment['reference'], 'cancel')}?token={appointment['manage_token']}",
        raw,
        content_type="application/json",
    )

    assert_error(response, 400)
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED


# --- Token -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"password": "pw-for-tests-1"}, "username", id="missing-username"),
        pytest.param({"username": "frank"}, "password", id="missing-password"),
        pytest.param({"username": None, "password": "x"}, "username", id="null-username"),
        pytest.param({"username": ["frank"], "password": "x"}, "username", id="list-username"),
        pytest.param({"username": HUGE, "password": "x"}, "username", id="huge-username"),
        pytest.param({"username": "frank", "password": HUGE}, "password", id="huge-password"),
        pytest.param({"username": "fr\x00ank", "password": "x"}, "username", id="nul-username"),
        pytest.param({"username": "", "password": ""}, "username", id="blank"),
    ],
)
def test_bad_token_requests_are_400_field_errors(world, api, body, field):
    factories.UserFactory(username="frank")

    response = api.post(TOKEN_URL, body, format="json")

    assert_field_error(response, field)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("{", "malformed_request", id="truncated"),
        pytest.param("[]", "invalid_input", id="list"),
        pytest.param("null", "invalid_input", id="null"),
        pytest.param(DEEP_JSON, "malformed_request", id="deeply-nested"),
    ],
)
def test_a_token_body_that_is_not_a_good_object_is_400(world, api, raw, code):
    response = api.post(TOKEN_URL, raw, content_type="application/json")

    assert_error(response, 400, code)


# --- Unknown references ----------------------------------------------------------------

REFERENCES = [
    pytest.param("NOSUCHREF", id="unknown"),
    pytest.param("nosuchref", id="lower-case"),
    pytest.param("A" * 5000, id="5000-chars"),
    pytest.param("ÄÖÜ-€", id="non-ascii"),
    pytest.param("%25%27%22;--", id="quotes-and-percent"),
    pytest.param("AB%00CD", id="nul"),
]


@pytest.mark.parametrize("reference", REFERENCES)
def test_reading_an_unknown_reference_is_404(world, api, reference):
    response = api.get(url(reference), {"token": "whatever"})

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("reference", REFERENCES)
def test_cancelling_an_unknown_reference_is_404(world, api, reference):
    response = api.post(url(reference, "cancel"), {"token": "whatever"}, format="json")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("reference", REFERENCES)
def test_rescheduling_an_unknown_reference_is_404(world, api, reference):
    response = api.post(
        url(reference, "reschedule"), {"start": OTHER_START, "token": "x"}, format="json"
    )

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("action", ["complete", "no-show"])
@pytest.mark.parametrize("reference", REFERENCES)
def test_staff_finishing_an_unknown_reference_get_404(world, staff_api, reference, action):
    response = staff_api.post(url(reference, action))

    assert_error(response, 404, "not_found")


def test_a_staff_member_reading_an_unknown_reference_gets_404(world, staff_api):
    response = staff_api.get(url("NOSUCHREF"))

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(HUGE, id="huge"),
        pytest.param("a\x00b", id="nul"),
        pytest.param(" ", id="space"),
    ],
)
def test_a_bad_token_for_a_real_appointment_is_404(world, api, appointment, token):
    response = api.get(url(appointment["reference"]), {"token": token})

    assert_error(response, 404, "not_found")
