"""The public HTTP contract of docs/api.md, endpoint by endpoint: shapes, status codes,
who may do what, and what each write does to the availability others see."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from bookings.models import Appointment
from clinic.models import Client
from tests import factories
from tests.helpers import as_owner, assert_error, logged_in

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)  # GMT (+00:00)
APRIL_TUESDAY = date(2027, 4, 6)  # BST (+01:00)

TOKEN_URL = "/api/v1/auth/token/"
TREATMENTS = "/api/v1/treatments/"
PRACTITIONERS = "/api/v1/practitioners/"
AVAILABILITY = "/api/v1/availability/"
APPOINTMENTS = "/api/v1/appointments/"

# The 201 body of API.md. The contract lets fields be added; the ones added so far are
# named here, so anything else appearing (client data, notes) fails a test.
APPOINTMENT_KEYS = {
    "reference",
    "status",
    "start",
    "end",
    "treatment",
    "practitioner",
    "warnings",
    "manage_token",
}
ADDED_APPOINTMENT_KEYS = {"treatment_name", "price"}  # price: issue 19


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def iso(day: date, hour: int, minute: int = 0) -> str:
    return london(day, hour, minute).isoformat()


def url(reference: str, action: str = "") -> str:
    return f"{APPOINTMENTS}{reference}/" + (f"{action}/" if action else "")


def book(api, world, start: str, *, client=True, **extra):
    body = {"treatment": world.treatment.slug, "start": start, **extra}
    if client:
        body["client"] = {"name": "Dana Client", "email": "dana@example.com"}
    return as_owner(api, body).post(APPOINTMENTS, body, format="json")


def booked(api, world, start: str, **extra) -> dict:
    response = book(api, world, start, **extra)
    assert response.status_code == 201, response.json()
    return response.json()


def slots(api, world, first: date, last: date | None = None, **params) -> list[dict]:
    response = api.get(
        AVAILABILITY,
        {
            "treatment": world.treatment.slug,
            "from": first.isoformat(),
            "to": (last or first).isoformat(),
            **params,
        },
    )
    assert response.status_code == 200, response.json()
    return response.json()["slots"]


def starts(slot_list: list[dict]) -> list[str]:
    return [slot["start"] for slot in slot_list]


@pytest.fixture
def bob(world):
    """A client with an account: logged in, he books as himself."""
    user = factories.UserFactory(username="bob")
    return factories.ClientFactory(
        clinic=world.clinic, user=user, name="Bob Client", email="bob@example.com"
    )


@pytest.fixture
def charlie(world):
    """Another client with an account, who must not see Bob's bookings."""
    user = factories.UserFactory(username="charlie")
    return factories.ClientFactory(
        clinic=world.clinic, user=user, name="Charlie Client", email="charlie@example.com"
    )


@pytest.fixture
def eve(db):
    """Logged in, but neither staff nor a client."""
    return factories.UserFactory(username="eve")


# --- Token authentication ---------------------------------------------------------------


def test_it_issues_a_token_for_the_right_password(world, api):
    user = factories.UserFactory(username="frank")

    response = api.post(
        TOKEN_URL, {"username": "frank", "password": "pw-for-tests-1"}, format="json"
    )

    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    assert response.json()["token"] == user.auth_token.key


def test_it_refuses_a_wrong_password_with_the_error_shape(world, api):
    factories.UserFactory(username="frank")

    response = api.post(TOKEN_URL, {"username": "frank", "password": "wrong"}, format="json")

    assert_error(response, 400, "invalid_credentials")


def test_it_refuses_an_unknown_username_like_a_wrong_password(world, api):
    response = api.post(
        TOKEN_URL, {"username": "nobody", "password": "pw-for-tests-1"}, format="json"
    )

    assert_error(response, 400, "invalid_credentials")


def test_a_staff_token_in_the_authorization_header_can_complete_an_appointment(
    world, api, staff_api
):
    factories.StaffFactory(username="grace")
    token = api.post(
        TOKEN_URL, {"username": "grace", "password": "pw-for-tests-1"}, format="json"
    ).json()["token"]
    appointment = booked(staff_api, world, iso(TUESDAY, 10))
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    with time_machine.travel(london(TUESDAY, 10, 30), tick=False):
        response = api.post(url(appointment["reference"], "complete"))

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "completed"


def test_a_bogus_token_is_refused_not_ignored(world, api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api.get(TREATMENTS)

    assert response.status_code in (401, 403)
    assert isinstance(response.json()["code"], str)


# --- Treatments and practitioners ------------------------------------------------------


def test_it_lists_treatments_with_price_and_clinic(world, api):
    response = api.get(TREATMENTS)

    assert response.status_code == 200
    [treatment] = response.json()
    assert treatment["id"] == world.treatment.pk
    assert treatment["slug"] == "manual-facial-massage"
    assert treatment["name"] == "Manual facial massage"
    assert treatment["category"] == "facial_massage"
    assert treatment["duration_minutes"] == 60
    assert treatment["price"] == "95.00"
    assert treatment["currency"] == "GBP"
    assert treatment["clinic"] == {
        "slug": "lumiere",
        "name": "Lumière",
        "timezone": "Europe/London",
    }


@pytest.fixture
def bella(world):
    """A practitioner who works at the clinic but offers only another treatment."""
    other = factories.TreatmentFactory(clinic=world.clinic, slug="led-light", name="LED light")
    return factories.PractitionerFactory(clinic=world.clinic, name="Bella", treatments=[other])


def test_it_lists_every_active_practitioner_without_a_treatment(world, api, bella):
    response = api.get(PRACTITIONERS)

    assert response.status_code == 200
    assert response.json() == [
        {"id": world.practitioner.pk, "name": "Alice Practitioner"},
        {"id": bella.pk, "name": "Bella"},
    ]


def test_it_lists_only_the_practitioners_offering_a_treatment(world, api, bella):
    response = api.get(PRACTITIONERS, {"treatment": world.treatment.slug})

    assert response.status_code == 200
    assert response.json() == [{"id": world.practitioner.pk, "name": "Alice Practitioner"}]


# --- Availability ----------------------------------------------------------------------


def test_availability_has_the_clinic_timezone_and_slot_shape(world, api):
    response = api.get(
        AVAILABILITY, {"treatment": world.treatment.slug, "from": "2027-03-02", "to": "2027-03-02"}
    )

    assert response.status_code == 200
    body = response.json()
    assert {"timezone", "slots"} <= set(body)
    assert body["eligible_from"] is None  # only for a known client in a waiting period
    assert body["timezone"] == "Europe/London"
    assert body["slots"][0] == {
        "start": "2027-03-02T09:00:00+00:00",
        "end": "2027-03-02T10:00:00+00:00",
        "practitioners": [world.practitioner.pk],
    }


def test_availability_covers_the_whole_local_day_in_winter(world, api):
    found = starts(slots(api, world, TUESDAY))

    assert found[0] == "2027-03-02T09:00:00+00:00"
    assert found[-1] == "2027-03-02T17:00:00+00:00"  # 60 minutes must end by 18:00
    assert len(found) == 33  # 09:00 .. 17:00 every 15 minutes


def test_availability_carries_the_summer_offset_in_april(world, api):
    found = slots(api, world, APRIL_TUESDAY)

    assert found[0]["start"] == "2027-04-06T09:00:00+01:00"
    assert found[0]["end"] == "2027-04-06T10:00:00+01:00"
    assert found[-1]["start"] == "2027-04-06T17:00:00+01:00"
    assert all(slot["start"].endswith("+01:00") for slot in found)


def test_availability_slots_are_ordered_by_start(world, api):
    factories.PractitionerFactory(clinic=world.clinic, treatments=[world.treatment])
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")

    found = starts(slots(api, world, TUESDAY, TUESDAY + timedelta(days=3)))

    instants = [datetime.fromisoformat(start) for start in found]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)


def test_availability_runs_from_to_inclusive_in_local_dates(world, api):
    # 27..29 March crosses the change to summer time on the 28th.
    found = starts(slots(api, world, date(2027, 3, 27), date(2027, 3, 29)))

    local_dates = {datetime.fromisoformat(start).astimezone(LONDON).date() for start in found}
    assert local_dates == {date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29)}
    assert found[0] == "2027-03-27T09:00:00+00:00"
    assert "2027-03-28T09:00:00+01:00" in found
    assert found[-1] == "2027-03-29T17:00:00+01:00"


def test_availability_for_one_practitioner_lists_only_them(world, api):
    other = factories.PractitionerFactory(clinic=world.clinic, treatments=[world.treatment])
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    for weekday in range(7):
        factories.WorkingHoursFactory(practitioner=other, weekday=weekday)

    everyone = slots(api, world, TUESDAY)
    only_other = slots(api, world, TUESDAY, practitioner=other.pk)

    assert everyone[0]["practitioners"] == sorted([world.practitioner.pk, other.pk])
    assert {tuple(slot["practitioners"]) for slot in only_other} == {(other.pk,)}


def test_availability_leaves_out_a_booked_slot(world, api):
    booked(api, world, iso(TUESDAY, 10))

    found = starts(slots(api, world, TUESDAY))

    assert iso(TUESDAY, 10) not in found
    assert iso(TUESDAY, 9, 45) not in found  # would overlap 10:00-11:00
    assert iso(TUESDAY, 9) in found and iso(TUESDAY, 11) in found


# --- Booking ----------------------------------------------------------------------------


def test_a_booking_answers_201_with_the_appointment(world, api):
    response = book(api, world, "2027-03-02T10:00:00+00:00")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == APPOINTMENT_KEYS | ADDED_APPOINTMENT_KEYS
    assert body["status"] == "confirmed"
    assert body["start"] == "2027-03-02T10:00:00+00:00"
    assert body["end"] == "2027-03-02T11:00:00+00:00"
    assert body["treatment"] == "manual-facial-massage"
    assert body["practitioner"] == {"id": world.practitioner.pk, "name": "Alice Practitioner"}
    assert body["warnings"] == []
    assert body["price"] == {"amount": "95.00", "discount": "0.00", "currency": "GBP"}
    assert isinstance(body["manage_token"], str) and body["manage_token"]
    appointment = Appointment.objects.get(reference=body["reference"])
    assert appointment.status == Appointment.Status.CONFIRMED
    assert appointment.client.email == "dana@example.com"


def test_a_booking_in_summer_answers_with_the_summer_offset(world, api):
    body = booked(api, world, "2027-04-06T10:00:00+01:00")

    assert body["start"] == "2027-04-06T10:00:00+01:00"
    assert body["end"] == "2027-04-06T11:00:00+01:00"


def test_a_booking_given_in_another_offset_is_the_same_instant(world, api):
    body = booked(api, world, "2027-04-06T09:00:00Z")

    assert body["start"] == "2027-04-06T10:00:00+01:00"


def test_a_booking_with_a_chosen_practitioner_gets_them(world, api):
    other = factories.PractitionerFactory(
        clinic=world.clinic, name="Olive", treatments=[world.treatment]
    )
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    for weekday in range(7):
        factories.WorkingHoursFactory(practitioner=other, weekday=weekday)

    body = booked(api, world, iso(TUESDAY, 10), practitioner=other.pk)

    assert body["practitioner"] == {"id": other.pk, "name": "Olive"}


def test_booking_the_same_slot_twice_is_409_with_alternatives(world, api):
    booked(api, world, iso(TUESDAY, 10))

    response = book(api, world, iso(TUESDAY, 10))

    body = assert_error(response, 409, "slot_unavailable")
    assert body["alternatives"]
    assert iso(TUESDAY, 10) not in starts(body["alternatives"])
    assert Appointment.objects.count() == 1


def test_the_alternatives_offered_are_real_free_slots(world, api):
    booked(api, world, iso(TUESDAY, 10))

    alternatives = book(api, world, iso(TUESDAY, 10)).json()["alternatives"]

    days = sorted({datetime.fromisoformat(a["start"]).date() for a in alternatives})
    free = slots(api, world, days[0], days[-1])
    assert alternatives
    for alternative in alternatives:
        assert set(alternative) == {"start", "end", "practitioners"}
        assert alternative in free


@pytest.mark.parametrize(
    "start",
    [
        "2027-03-02T08:45:00+00:00",  # before opening
        "2027-03-02T17:15:00+00:00",  # would end after closing
        "2027-03-02T20:00:00+00:00",  # evening
        "2027-04-06T08:30:00+01:00",  # 08:30 local in summer (07:30 UTC)
    ],
)
def test_booking_outside_opening_hours_is_409(world, api, start):
    response = book(api, world, start)

    body = assert_error(response, 409, "slot_unavailable")
    assert isinstance(body["alternatives"], list)
    assert not Appointment.objects.exists()


def test_a_chosen_practitioner_who_is_busy_is_409(world, api):
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    booked(api, world, iso(TUESDAY, 10), practitioner=world.practitioner.pk)

    response = book(api, world, iso(TUESDAY, 10, 30), practitioner=world.practitioner.pk)

    assert_error(response, 409, "slot_unavailable")


def test_an_online_booking_inside_the_minimum_notice_is_409(world, api):
    response = book(api, world, "2027-03-01T09:00:00+00:00")  # one hour from now

    assert_error(response, 409, "slot_unavailable")


def test_staff_may_book_inside_the_minimum_notice(world, staff_api):
    response = book(staff_api, world, "2027-03-01T09:00:00+00:00")

    assert response.status_code == 201, response.json()


# --- One appointment: read -------------------------------------------------------------


def test_the_manage_token_shows_the_appointment(world, api):
    made = booked(api, world, iso(TUESDAY, 10))

    response = APIClient().get(url(made["reference"]), {"token": made["manage_token"]})

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in APPOINTMENT_KEYS - {"warnings"}} == {
        key: made[key] for key in APPOINTMENT_KEYS - {"warnings"}
    }


@pytest.mark.parametrize("params", [{}, {"token": "wrong"}, {"token": ""}])
def test_without_the_right_token_the_appointment_is_404_not_403(world, api, params):
    made = booked(api, world, iso(TUESDAY, 10))

    response = APIClient().get(url(made["reference"]), params)

    assert_error(response, 404, "not_found")


def test_a_token_of_another_appointment_does_not_open_this_one(world, api):
    first = booked(api, world, iso(TUESDAY, 10))
    second = booked(api, world, iso(TUESDAY, 12))

    response = api.get(url(first["reference"]), {"token": second["manage_token"]})

    assert_error(response, 404, "not_found")


# --- Cancel ----------------------------------------------------------------------------


def test_cancelling_with_the_token_answers_200(world, api):
    made = booked(api, world, iso(TUESDAY, 10))

    response = APIClient().post(
        url(made["reference"], "cancel"), {"token": made["manage_token"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"reference": made["reference"], "status": "cancelled"}
    assert (
        Appointment.objects.get(reference=made["reference"]).status == Appointment.Status.CANCELLED
    )


def test_the_token_may_also_come_in_the_query_string_to_cancel(world, api):
    made = booked(api, world, iso(TUESDAY, 10))

    response = api.post(f"{url(made['reference'], 'cancel')}?token={made['manage_token']}")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_a_cancelled_slot_is_free_again(world, api):
    made = booked(api, world, iso(TUESDAY, 10))
    assert iso(TUESDAY, 10) not in starts(slots(api, world, TUESDAY))

    api.post(url(made["reference"], "cancel"), {"token": made["manage_token"]}, format="json")

    assert iso(TUESDAY, 10) in starts(slots(api, world, TUESDAY))
    booked(api, world, iso(TUESDAY, 10))


def test_cancelling_without_the_token_is_404(world, api):
    made = booked(api, world, iso(TUESDAY, 10))

    response = APIClient().post(url(made["reference"], "cancel"), {}, format="json")

    assert_error(response, 404, "not_found")
    assert (
        Appointment.objects.get(reference=made["reference"]).status == Appointment.Status.CONFIRMED
    )


def test_a_client_cannot_cancel_inside_the_window(world, api, staff_api):
    # Staff may book at short notice: 26 hours ahead, then the clock moves 3 hours on.
    made = booked(staff_api, world, "2027-03-02T10:00:00+00:00")
    # Staff answers carry no manage token; the client has it from their email.
    token = Appointment.objects.get(reference=made["reference"]).manage_token

    with time_machine.travel(datetime(2027, 3, 1, 11, 0, tzinfo=UTC), tick=False):
        response = api.post(url(made["reference"], "cancel"), {"token": token}, format="json")

    assert_error(response, 409, "too_late_to_cancel")
    assert (
        Appointment.objects.get(reference=made["reference"]).status == Appointment.Status.CONFIRMED
    )


def test_a_client_can_cancel_just_outside_the_window(world, api):
    made = booked(api, world, "2027-03-02T10:00:00+00:00")

    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        response = api.post(
            url(made["reference"], "cancel"), {"token": made["manage_token"]}, format="json"
        )

    assert response.status_code == 200


def test_staff_can_cancel_inside_the_window(world, staff_api):
    made = booked(staff_api, world, "2027-03-01T10:00:00+00:00")  # two hours from now

    response = staff_api.post(url(made["reference"], "cancel"), {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"reference": made["reference"], "status": "cancelled"}


def test_cancelling_twice_is_409(world, api):
    made = booked(api, world, iso(TUESDAY, 10))
    api.post(url(made["reference"], "cancel"), {"token": made["manage_token"]}, format="json")

    response = api.post(
        url(made["reference"], "cancel"), {"token": made["manage_token"]}, format="json"
    )

    assert response.status_code == 409
    assert isinstance(response.json()["code"], str)


# --- Reschedule ------------------------------------------------------------------------


def test_rescheduling_with_the_token_moves_the_appointment(world, api):
    made = booked(api, world, iso(TUESDAY, 10))

    response = APIClient().post(
        url(made["reference"], "reschedule"),
        {"start": iso(TUESDAY, 14), "token": made["manage_token"]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["reference"] == made["reference"]
    assert body["status"] == "confirmed"
    assert body["start"] == "2027-03-02T14:00:00+00:00"
    assert body["end"] == "2027-03-02T15:00:00+00:00"
    assert body["practitioner"] == made["practitioner"]


def test_rescheduling_frees_the_old_slot_and_takes_the_new_one(world, api):
    made = booked(api, world, iso(TUESDAY, 10))

    api.post(
        url(made["reference"], "reschedule"),
        {"start": iso(TUESDAY, 14), "token": made["manage_token"]},
        format="json",
    )

    found = starts(slots(api, world, TUESDAY))
    assert iso(TUESDAY, 10) in found
    assert iso(TUESDAY, 14) not in found
    assert Appointment.objects.get().start == london(TUESDAY, 14)


def test_rescheduling_into_a_taken_slot_is_409_with_alternatives(world, api):
    booked(api, world, iso(TUESDAY, 10))
    made = booked(api, world, iso(TUESDAY, 14))

    response = api.post(
        url(made["reference"], "reschedule"),
        {"start": iso(TUESDAY, 10), "token": made["manage_token"]},
        format="json",
    )

    body = assert_error(response, 409, "slot_unavailable")
    assert body["alternatives"]
    assert iso(TUESDAY, 10) not in starts(body["alternatives"])
    assert Appointment.objects.get(reference=made["reference"]).start == london(TUESDAY, 14)


def test_rescheduling_without_the_token_is_404(world, api):
    made = booked(api, world, iso(TUESDAY, 10))

    response = APIClient().post(
        url(made["reference"], "reschedule"), {"start": iso(TUESDAY, 14)}, format="json"
    )

    assert_error(response, 404, "not_found")
    assert Appointment.objects.get().start == london(TUESDAY, 10)


def test_a_client_cannot_reschedule_inside_the_window(world, api, staff_api):
    made = booked(staff_api, world, "2027-03-01T16:00:00+00:00")
    # Staff answers carry no manage token; the client has it from their email.
    token = Appointment.objects.get(reference=made["reference"]).manage_token

    response = api.post(
        url(made["reference"], "reschedule"),
        {"start": iso(TUESDAY, 14), "token": token},
        format="json",
    )

    assert response.status_code == 409
    assert Appointment.objects.get().start == datetime(2027, 3, 1, 16, 0, tzinfo=UTC)


# --- Complete and no-show (staff only) -------------------------------------------------


@pytest.fixture
def tuesday_ten(world, api) -> dict:
    return booked(api, world, iso(TUESDAY, 10))


@pytest.mark.parametrize("action", ["complete", "no-show"])
def test_anonymous_callers_cannot_finish_an_appointment(world, tuesday_ten, action):
    with time_machine.travel(london(TUESDAY, 10, 30), tick=False):
        response = APIClient().post(
            f"{url(tuesday_ten['reference'], action)}?token={tuesday_ten['manage_token']}"
        )

    assert response.status_code == 403
    assert isinstance(response.json()["code"], str)
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED


@pytest.mark.parametrize("action", ["complete", "no-show"])
def test_a_non_staff_user_cannot_finish_an_appointment(world, tuesday_ten, eve, action):
    with time_machine.travel(london(TUESDAY, 10, 30), tick=False):
        response = logged_in(eve).post(url(tuesday_ten["reference"], action))

    assert_error(response, 403, "permission_denied")
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED


@pytest.mark.parametrize("action", ["complete", "no-show"])
def test_the_owning_client_cannot_finish_their_appointment(world, bob, action):
    made = booked(logged_in(bob.user), world, iso(TUESDAY, 10), client=False)

    with time_machine.travel(london(TUESDAY, 10, 30), tick=False):
        response = logged_in(bob.user).post(url(made["reference"], action))

    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize(("action", "status"), [("complete", "completed"), ("no-show", "no_show")])
def test_staff_finish_an_appointment_once_it_has_started(
    world, staff_api, tuesday_ten, action, status
):
    with time_machine.travel(london(TUESDAY, 10, 5), tick=False):
        response = staff_api.post(url(tuesday_ten["reference"], action))

    assert response.status_code == 200, response.json()
    assert response.json()["reference"] == tuesday_ten["reference"]
    assert response.json()["status"] == status
    assert Appointment.objects.get().status == status


@pytest.mark.parametrize("action", ["complete", "no-show"])
def test_staff_cannot_finish_an_appointment_before_it_starts(world, staff_api, tuesday_ten, action):
    with time_machine.travel(london(TUESDAY, 9, 55), tick=False):
        response = staff_api.post(url(tuesday_ten["reference"], action))

    assert response.status_code == 409
    assert isinstance(response.json()["code"], str)
    assert isinstance(response.json()["detail"], str)
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED


def test_staff_finishing_an_unknown_appointment_get_404(world, staff_api):
    response = staff_api.post(url("NOSUCHREF", "complete"))

    assert_error(response, 404, "not_found")


# --- Client accounts -------------------------------------------------------------------


def test_a_client_account_books_as_its_own_client_record(world, bob):
    clients_before = Client.objects.count()

    made = booked(logged_in(bob.user), world, iso(TUESDAY, 10), client=False)

    assert Appointment.objects.get(reference=made["reference"]).client == bob
    assert Client.objects.count() == clients_before


def test_a_client_account_sees_its_appointment_without_the_token(world, bob):
    made = booked(logged_in(bob.user), world, iso(TUESDAY, 10), client=False)

    response = logged_in(bob.user).get(url(made["reference"]))

    assert response.status_code == 200
    assert response.json()["reference"] == made["reference"]


def test_another_client_account_gets_404_for_it(world, bob, charlie):
    made = booked(logged_in(bob.user), world, iso(TUESDAY, 10), client=False)

    response = logged_in(charlie.user).get(url(made["reference"]))

    assert_error(response, 404, "not_found")


def test_a_client_account_can_cancel_its_appointment_without_the_token(world, bob):
    made = booked(logged_in(bob.user), world, iso(TUESDAY, 10), client=False)

    response = logged_in(bob.user).post(url(made["reference"], "cancel"), {}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_another_client_account_cannot_cancel_it(world, bob, charlie):
    made = booked(logged_in(bob.user), world, iso(TUESDAY, 10), client=False)

    response = logged_in(charlie.user).post(url(made["reference"], "cancel"), {}, format="json")

    assert_error(response, 404, "not_found")
    assert Appointment.objects.get().status == Appointment.Status.CONFIRMED


def test_a_client_account_can_log_in_with_a_token_and_book(world, api, bob):
    token = api.post(
        TOKEN_URL, {"username": "bob", "password": "pw-for-tests-1"}, format="json"
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    made = booked(api, world, iso(TUESDAY, 10), client=False)

    assert Appointment.objects.get(reference=made["reference"]).client == bob


# --- Schema and docs -------------------------------------------------------------------


def test_the_openapi_schema_is_served(world, api):
    response = api.get("/api/schema/")

    assert response.status_code == 200


def test_the_openapi_schema_describes_every_v1_endpoint(world, api):
    response = api.get("/api/schema/", {"format": "json"})

    paths = set(response.json()["paths"])
    assert {
        "/api/v1/auth/token/",
        "/api/v1/treatments/",
        "/api/v1/practitioners/",
        "/api/v1/availability/",
        "/api/v1/appointments/",
        "/api/v1/appointments/{reference}/",
        "/api/v1/appointments/{reference}/cancel/",
        "/api/v1/appointments/{reference}/reschedule/",
        "/api/v1/appointments/{reference}/complete/",
        "/api/v1/appointments/{reference}/no-show/",
        "/api/v1/clients/",
        "/api/v1/clients/{client_id}/injectables/",
        "/api/v1/clients/{client_id}/declarations/",
        "/api/v1/clients/{client_id}/eligibility/",
    } <= paths
    assert set(response.json()["paths"]["/api/v1/appointments/"]) == {"get", "post"}


def test_the_schema_generates_without_warnings(tmp_path):
    # drf-spectacular's own check: an ambiguous or guessed part of the schema is a warning,
    # and --fail-on-warn makes it an error.
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    assert "/api/v1/appointments/" in schema.read_text()


def test_the_api_docs_page_is_served(world, api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
