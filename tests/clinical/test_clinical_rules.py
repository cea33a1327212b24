"""The clinical rules on every booking path: waiting periods after filler and Botox,
contraindications, warnings to acknowledge, the staff override, privacy of the record, and
the flags a new health record raises on upcoming appointments.

The clock is frozen at 2027-03-01 08:00 UTC (conftest.NOW); the world's clinic is in London,
open 09:00-18:00 every day, with a 60-minute manual facial massage.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.roles import MANAGER
from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from clinic.services import client_get_or_create
from clinical import rules
from clinical.models import HealthDeclaration, InjectableRecord, WaitingRule
from clinical.rules import Declared
from clinical.services import declared_store
from clinical.vocabulary import RecordSource
from tests import factories
from tests.conftest import add_microcurrent, open_every_day, works_every_day
from tests.helpers import as_owner, assert_error, logged_in

APPOINTMENTS = "/api/v1/appointments/"
AVAILABILITY = "/api/v1/availability/"
LONDON = ZoneInfo("Europe/London")
DAY = date(2027, 3, 10)  # the appointment day most tests book, a Wednesday
DANA = {"name": "Dana Client", "email": "dana@example.com"}


def at(day: date, hour: int = 10, tz=LONDON) -> str:
    return datetime.combine(day, time(hour), tzinfo=tz).isoformat()


def body(world, day=DAY, *, hour=10, treatment=None, client=DANA, **extra) -> dict:
    data = {"treatment": (treatment or world.treatment).slug, "start": at(day, hour), **extra}
    if client is not None:
        data["client"] = client
    return data


def declaring(*injectables, conditions=()) -> dict:
    return {
        "health": {
            "injectables": [
                {"kind": kind, "date": when.isoformat(), "areas": list(areas)}
                for kind, when, *areas in injectables
            ],
            "conditions": list(conditions),
        }
    }


def post(api, data, **headers):
    return as_owner(api, data).post(APPOINTMENTS, data, format="json", **headers)


@pytest.fixture
def olivia(world):
    """A client with an account and filler on record."""
    client = factories.ClientFactory(
        clinic=world.clinic,
        user=factories.UserFactory(username="olivia"),
        name="Olivia Turner",
        email="olivia@example.com",
    )
    return client


@pytest.fixture
def desk(world):
    return factories.StaffFactory(username="desk")


@pytest.fixture
def manager(world):
    return factories.StaffFactory(username="manager", roles=[MANAGER])


@pytest.fixture
def microcurrent(world):
    return add_microcurrent(world)


# --- The waiting period at its boundaries ------------------------------------------------


@pytest.mark.parametrize("kind", ["filler", "botox"])
def test_day_13_is_refused_with_the_earliest_date(world, api, kind):
    injected = DAY - timedelta(days=13)

    response = post(api, body(world, **declaring((kind, injected))))

    refusal = assert_error(response, 422, "waiting_period")
    assert refusal["earliest_date"] == (injected + timedelta(days=14)).isoformat()
    assert "two weeks" in refusal["detail"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("kind", ["filler", "botox"])
@pytest.mark.parametrize("days_after", [14, 27])
def test_days_14_to_27_need_the_warning_acknowledged(world, api, kind, days_after):
    injection = declaring((kind, DAY - timedelta(days=days_after)))

    refused = post(api, body(world, **injection))
    accepted = post(api, body(world, **injection, acknowledge_warnings=True))

    warning = assert_error(refused, 422, "warnings_not_acknowledged")
    assert warning["warnings"] and "ideally four" in warning["warnings"][0]
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["warnings"] == warning["warnings"]


@pytest.mark.parametrize("kind", ["filler", "botox"])
def test_day_28_is_allowed_without_a_warning(world, api, kind):
    response = post(api, body(world, **declaring((kind, DAY - timedelta(days=28)))))

    assert response.status_code == 201, response.json()
    assert response.json()["warnings"] == []


@pytest.fixture
def auckland(db, frozen_now):
    """A clinic in Pacific/Auckland (UTC+13 in summer, +12 in winter) opening at 07:00, when
    it is still the previous day in UTC. NZ daylight saving ends at 03:00 on 2027-04-04."""
    clinic = factories.ClinicFactory(slug="auckland", timezone="Pacific/Auckland")
    open_every_day(clinic, opens=time(7))
    treatment = factories.TreatmentFactory(clinic=clinic, slug="auckland-facial")
    practitioner = factories.PractitionerFactory(clinic=clinic, treatments=[treatment])
    works_every_day(practitioner, starts=time(7))
    return treatment


@pytest.mark.parametrize(
    ("local_day", "expected"),
    [
        # Day 13 in Auckland (07:00 NZST = 19:00 UTC on the 3rd): refused.
        (date(2027, 4, 4), "waiting_period"),
        # Day 14 in Auckland, while in UTC it is still day 13: a warning, not a refusal.
        (date(2027, 4, 5), "warnings_not_acknowledged"),
    ],
)
def test_days_count_in_the_clinic_calendar_across_a_dst_change(auckland, api, local_day, expected):
    auckland_tz = ZoneInfo("Pacific/Auckland")
    start = datetime.combine(local_day, time(7), tzinfo=auckland_tz)
    assert start.astimezone(UTC).date() == local_day - timedelta(days=1)
    injected = date(2027, 3, 22)  # in daylight saving time (+13)

    with time_machine.travel(datetime(2027, 3, 25, tzinfo=UTC), tick=False):
        response = post(
            api,
            {
                "treatment": auckland.slug,
                "start": start.isoformat(),
                "client": DANA,
                **declaring(("filler", injected)),
            },
        )

    refusal = assert_error(response, 422, expected)
    if expected == "waiting_period":
        assert refusal["earliest_date"] == "2027-04-05"


def test_the_latest_injection_of_each_kind_governs(world, olivia):
    factories.InjectableRecordFactory(client=olivia, kind="filler", date=DAY - timedelta(40))
    factories.InjectableRecordFactory(client=olivia, kind="botox", date=DAY - timedelta(5))

    response = post(logged_in(olivia.user), body(world, client=None))

    refusal = assert_error(response, 422, "waiting_period")
    assert refusal["earliest_date"] == (DAY + timedelta(days=9)).isoformat()
    assert "Botox" in refusal["detail"]


def test_a_correction_replaces_the_record_it_corrects(world, olivia, desk):
    wrong = factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(5))

    response = logged_in(desk).post(
        f"/api/v1/clients/{olivia.pk}/injectables/",
        {"kind": "filler", "date": (DAY - timedelta(60)).isoformat(), "corrects": wrong.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert post(logged_in(olivia.user), body(world, client=None)).status_code == 201
    wrong.refresh_from_db()
    assert wrong.superseded_at is not None  # kept, no longer counting


def test_a_rule_edited_in_the_admin_governs_the_next_booking(world, api, client):
    injection = declaring(("filler", DAY - timedelta(days=15)))
    assert_error(post(api, body(world, **injection)), 422, "warnings_not_acknowledged")
    rule = WaitingRule.objects.get(
        clinic=None, injectable_kind="filler", treatment_category="facial_massage"
    )
    client.force_login(factories.UserFactory(username="boss", is_staff=True, is_superuser=True))

    edited = client.post(
        f"/admin/clinical/waitingrule/{rule.pk}/change/",
        {
            "clinic": "",
            "injectable_kind": "filler",
            "treatment_category": "facial_massage",
            "min_days": 21,
            "recommended_days": 28,
            "message": "Our clinic asks for three weeks after filler.",
        },
    )

    assert edited.status_code == 302, edited.content[:2000]
    refusal = assert_error(post(api, body(world, **injection)), 422, "waiting_period")
    assert refusal["earliest_date"] == (DAY + timedelta(days=6)).isoformat()
    assert refusal["detail"].startswith("Our clinic asks for three weeks")


def test_a_clinic_rule_replaces_the_default_for_that_clinic_only(world, api):
    WaitingRule.objects.create(
        clinic=world.clinic,
        injectable_kind="filler",
        treatment_category="facial_massage",
        min_days=7,
        recommended_days=7,
        message="One week is enough here.",
    )

    injection = declaring(("filler", DAY - timedelta(days=9)))  # refused by the default
    other_clinic = factories.ClinicFactory()

    response = post(api, body(world, **injection))

    assert response.status_code == 201, response.json()
    assert (
        WaitingRule.objects.filter_for(other_clinic)
        .get(injectable_kind="filler", treatment_category="facial_massage")
        .min_days
        == 14
    )


# --- Contraindications -------------------------------------------------------------------


def test_microcurrent_with_a_declared_pacemaker_is_contraindicated(world, api, microcurrent):
    response = post(api, body(world, treatment=microcurrent, **declaring(conditions=["pacemaker"])))

    refusal = assert_error(response, 422, "contraindicated")
    assert "pacemaker" in refusal["detail"]
    assert "earliest_date" not in refusal


def test_a_facial_massage_with_a_declared_pacemaker_is_allowed(world, api, microcurrent):
    response = post(api, body(world, **declaring(conditions=["pacemaker"])))

    assert response.status_code == 201, response.json()
    declared = HealthDeclaration.objects.get()
    assert (declared.condition, declared.source) == ("pacemaker", RecordSource.CLIENT)


def test_a_condition_on_record_refuses_microcurrent_for_the_client(world, olivia, microcurrent):
    factories.HealthDeclarationFactory(client=olivia, condition="pregnancy", declared_on=DAY)

    response = post(logged_in(olivia.user), body(world, treatment=microcurrent, client=None))

    assert_error(response, 422, "contraindicated")


# --- What the caller may learn -----------------------------------------------------------


def test_an_anonymous_booking_under_a_known_email_learns_nothing_of_the_record(world, api, olivia):
    injected = DAY - timedelta(days=5)
    factories.InjectableRecordFactory(client=olivia, date=injected, product="Restylane")

    response = post(api, body(world, client={"name": "Anyone", "email": "OLIVIA@example.com"}))

    refusal = assert_error(response, 422, "waiting_period")
    assert "earliest_date" not in refusal
    text = response.content.decode().lower()
    for secret in ("filler", "botox", "restylane", "inject", injected.isoformat(), "2027"):
        assert secret not in text
    assert world.clinic.phone in refusal["detail"]


def test_a_warning_from_the_record_is_generic_for_an_anonymous_caller(world, api, olivia):
    factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(days=20))

    response = post(api, body(world, client={"name": "Anyone", "email": "olivia@example.com"}))

    warning = assert_error(response, 422, "warnings_not_acknowledged")
    assert "filler" not in response.content.decode().lower()
    assert warning["warnings"] == [
        "Your practitioner needs to go through your health record with you at the start of "
        "this appointment; please confirm you are happy to do so."
    ]


def test_the_client_logged_in_sees_the_reason_and_date_from_their_record(world, olivia):
    factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(days=5))

    refusal = assert_error(
        post(logged_in(olivia.user), body(world, client=None)), 422, "waiting_period"
    )

    assert refusal["earliest_date"] == (DAY + timedelta(days=9)).isoformat()
    assert "filler" in refusal["detail"].lower()


def test_an_anonymous_caller_hears_about_their_own_declaration_only(world, api, olivia):
    factories.InjectableRecordFactory(client=olivia, kind="botox", date=DAY - timedelta(days=2))
    declared = DAY - timedelta(days=10)

    response = post(
        api,
        body(
            world,
            client={"name": "Olivia", "email": "olivia@example.com"},
            **declaring(("filler", declared)),
        ),
    )

    refusal = assert_error(response, 422, "waiting_period")
    assert refusal["earliest_date"] == (declared + timedelta(days=14)).isoformat()
    assert "botox" not in refusal["detail"].lower()


# --- What a booking stores ---------------------------------------------------------------


def test_what_the_client_declares_is_kept_as_client_declared_records(world, api):
    injected = DAY - timedelta(days=40)

    response = post(api, body(world, **declaring(("filler", injected, "lips", "cheeks"))))

    assert response.status_code == 201, response.json()
    record = InjectableRecord.objects.get()
    assert (record.kind, record.date, record.areas) == ("filler", injected, ["lips", "cheeks"])
    assert record.source == RecordSource.CLIENT
    assert record.client.email == DANA["email"]
    assert response.json()["reference"] in record.notes


def test_a_declaration_already_on_record_is_not_stored_twice(world, api):
    injection = declaring(("filler", DAY - timedelta(days=40)))
    post(api, body(world, **injection))

    post(api, body(world, hour=14, **injection))

    assert InjectableRecord.objects.count() == 1
    assert Appointment.objects.count() == 2


def test_a_refused_booking_stores_nothing(world, api):
    post(api, body(world, **declaring(("filler", DAY - timedelta(days=3)))))

    assert not InjectableRecord.objects.exists()
    assert not Appointment.objects.exists()


def test_a_declared_injection_cannot_be_in_the_future(world, api):
    response = post(api, body(world, **declaring(("filler", date(2027, 3, 5)))))

    assert_error(response, 400, "invalid_input")
    assert "health.injectables.0.date" in response.json()["fields"]


@pytest.mark.parametrize(
    "health",
    [
        {"injectables": [{"kind": "filler", "date": "2027-01-04", "areas": ["elbow"]}]},
        {"injectables": [{"kind": "laser", "date": "2027-01-04"}]},
        {"conditions": ["a cold"]},
    ],
)
def test_unknown_kinds_areas_and_conditions_are_400(world, api, health):
    assert_error(post(api, body(world, health=health)), 400, "invalid_input")


# --- The staff override ------------------------------------------------------------------


def test_overriding_without_the_permission_is_403(world, desk, olivia):
    factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(days=5))

    response = post(
        logged_in(desk), body(world, client=None, client_id=olivia.pk, override_reason="Ok'd")
    )

    assert_error(response, 403, "permission_denied")
    assert not Appointment.objects.exists()


def test_a_client_cannot_override(world, olivia):
    response = post(logged_in(olivia.user), body(world, client=None, override_reason="Please"))

    assert_error(response, 403, "permission_denied")


def test_with_the_permission_the_booking_stands_with_its_reason(world, manager, olivia):
    factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(days=5))
    reason = "Filler was in the lips only; Dr Hart approves a gentle upper-face massage."

    response = post(
        logged_in(manager), body(world, client=None, client_id=olivia.pk, override_reason=reason)
    )

    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get()
    assert appointment.override_reason == reason
    change = appointment.changes.get()
    assert change.reason == reason
    assert change.by == manager
    assert change.details["overridden"] and "two weeks" in change.details["overridden"][0]
    assert response.json()["override_reason"] == reason


def test_staff_without_an_override_get_the_full_refusal(world, desk, olivia):
    factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(days=5))

    response = post(logged_in(desk), body(world, client=None, client_id=olivia.pk))

    refusal = assert_error(response, 422, "waiting_period")
    assert refusal["earliest_date"] == (DAY + timedelta(days=9)).isoformat()


# --- Reschedule --------------------------------------------------------------------------


def test_rescheduling_into_a_waiting_period_is_refused(world, olivia):
    made = post(logged_in(olivia.user), body(world, date(2027, 3, 3), client=None)).json()
    factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(days=5))

    response = logged_in(olivia.user).post(
        f"{APPOINTMENTS}{made['reference']}/reschedule/", {"start": at(DAY)}, format="json"
    )

    assert_error(response, 422, "waiting_period")
    assert Appointment.objects.get().start.date() == date(2027, 3, 3)


def test_rescheduling_into_the_warning_days_needs_the_acknowledgement(world, olivia):
    made = post(logged_in(olivia.user), body(world, date(2027, 3, 3), client=None)).json()
    factories.InjectableRecordFactory(client=olivia, date=DAY - timedelta(days=20))
    url = f"{APPOINTMENTS}{made['reference']}/reschedule/"

    refused = logged_in(olivia.user).post(url, {"start": at(DAY)}, format="json")
    moved = logged_in(olivia.user).post(
        url, {"start": at(DAY), "acknowledge_warnings": True}, format="json"
    )

    assert_error(refused, 422, "warnings_not_acknowledged")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["warnings"]


# --- Availability for a known client -----------------------------------------------------


def search(api, world, first: date, last: date, **params):
    return api.get(
        AVAILABILITY,
        {"treatment": world.treatment.slug, "from": first, "to": last, **params},
    )


def test_a_logged_in_client_searches_from_their_earliest_eligible_date(world, olivia):
    factories.InjectableRecordFactory(client=olivia, date=date(2027, 2, 25))

    response = search(logged_in(olivia.user), world, date(2027, 3, 2), date(2027, 3, 15))

    assert response.json()["eligible_from"] == "2027-03-11"
    first = datetime.fromisoformat(response.json()["slots"][0]["start"])
    assert first.date() == date(2027, 3, 11)


def test_staff_search_for_a_client_the_same_way(world, desk, olivia):
    factories.InjectableRecordFactory(client=olivia, date=date(2027, 2, 25))

    response = search(logged_in(desk), world, date(2027, 3, 2), date(2027, 3, 5), client=olivia.pk)

    assert response.json() == {
        "timezone": "Europe/London",
        "slots": [],
        "eligible_from": "2027-03-11",
        "prerequisite": None,
    }


def test_only_staff_may_search_for_a_client(world, api, olivia):
    assert_error(
        search(api, world, date(2027, 3, 2), date(2027, 3, 5), client=olivia.pk),
        403,
        "permission_denied",
    )


def test_an_anonymous_search_is_not_narrowed(world, api, olivia):
    factories.InjectableRecordFactory(client=olivia, date=date(2027, 2, 25))

    response = search(api, world, date(2027, 3, 2), date(2027, 3, 2))

    assert response.json()["eligible_from"] is None
    assert response.json()["slots"]


# --- A new health record flags upcoming appointments --------------------------------------


@pytest.fixture
def upcoming(world, olivia):
    response = post(logged_in(olivia.user), body(world, client=None))
    assert response.status_code == 201, response.json()
    return Appointment.objects.get(reference=response.json()["reference"])


def test_recording_filler_flags_the_appointment_it_now_breaks(world, desk, olivia, upcoming):
    response = logged_in(desk).post(
        f"/api/v1/clients/{olivia.pk}/injectables/",
        {"kind": "filler", "date": "2027-03-01", "areas": ["cheeks"], "product": "Voluma"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert [f["reference"] for f in response.json()["flagged"]] == [upcoming.reference]
    upcoming.refresh_from_db()
    assert "two weeks" in upcoming.eligibility_flag
    flag = upcoming.changes.get(action=AppointmentChange.Action.FLAGGED)
    assert flag.by == desk
    assert flag.details == {"earliest_date": "2027-03-15"}
    listed = logged_in(desk).get(APPOINTMENTS, {"date": DAY}).json()
    assert listed[0]["flag"] == upcoming.eligibility_flag
    notice = Message.objects.get(kind=Message.Kind.FLAGGED)
    assert (notice.appointment, notice.data["reason"]) == (upcoming, upcoming.eligibility_flag)


def test_an_old_injection_flags_nothing(world, desk, olivia, upcoming):
    response = logged_in(desk).post(
        f"/api/v1/clients/{olivia.pk}/injectables/",
        {"kind": "botox", "date": "2026-11-01"},
        format="json",
    )

    assert response.json()["flagged"] == []
    upcoming.refresh_from_db()
    assert upcoming.eligibility_flag == ""


def test_declaring_a_pacemaker_flags_a_microcurrent_appointment(world, desk, olivia, microcurrent):
    made = post(logged_in(olivia.user), body(world, treatment=microcurrent, client=None)).json()

    response = logged_in(desk).post(
        f"/api/v1/clients/{olivia.pk}/declarations/", {"condition": "pacemaker"}, format="json"
    )

    assert [f["reference"] for f in response.json()["flagged"]] == [made["reference"]]


def test_a_declaration_while_booking_flags_the_clients_other_appointments(world, api, upcoming):
    later = body(
        world,
        date(2027, 4, 20),
        client={"name": "Olivia", "email": "olivia@example.com"},
        **declaring(("filler", date(2027, 3, 1))),
    )

    assert post(api, later).status_code == 201
    upcoming.refresh_from_db()
    assert upcoming.eligibility_flag


def test_rescheduling_a_flagged_appointment_past_the_wait_clears_the_flag(
    world, desk, olivia, upcoming
):
    factories.InjectableRecordFactory(client=olivia, date=date(2027, 2, 20))
    logged_in(desk).post(
        f"/api/v1/clients/{olivia.pk}/injectables/",
        {"kind": "filler", "date": "2027-03-01"},
        format="json",
    )

    moved = logged_in(desk).post(
        f"{APPOINTMENTS}{upcoming.reference}/reschedule/",
        {"start": at(date(2027, 4, 5)), "acknowledge_warnings": True},
        format="json",
    )

    assert moved.status_code == 200, moved.json()
    assert moved.json()["flag"] == ""


# --- Cautions for the practitioner ---------------------------------------------------------


def test_cautions_name_the_filled_areas_on_the_day_list_and_the_appointment(
    world, desk, olivia, upcoming
):
    factories.InjectableRecordFactory(
        client=olivia, date=date(2027, 1, 4), areas=["cheeks", "jawline"]
    )
    caution = "avoid deep pressure: cheeks, jawline (filler 2027-01-04)"

    day_list = logged_in(desk).get(APPOINTMENTS, {"date": DAY})
    detail = logged_in(desk).get(f"{APPOINTMENTS}{upcoming.reference}/")

    assert day_list.status_code == 200
    assert [a["cautions"] for a in day_list.json()] == [[caution]]
    assert day_list.json()[0]["client"]["name"] == "Olivia Turner"
    assert detail.json()["cautions"] == [caution]


def test_the_client_does_not_get_the_practitioner_cautions(world, olivia, upcoming):
    factories.InjectableRecordFactory(client=olivia, date=date(2027, 1, 4), areas=["lips"])

    response = logged_in(olivia.user).get(f"{APPOINTMENTS}{upcoming.reference}/")

    assert "cautions" not in response.json()


def test_the_day_list_costs_the_same_queries_for_one_or_many(world, desk):
    def fill(count: int, day: date):
        for n in range(count):
            client = factories.ClientFactory(clinic=world.clinic)
            factories.InjectableRecordFactory(client=client, date=date(2027, 1, 4))
            post(logged_in(desk), body(world, day, hour=9 + n, client=None, client_id=client.pk))

    # Two and six: a list of several clients is one audit entry naming them all, a list of
    # one an entry on its own (clinic/audit.py), so one is not the measure of many.
    fill(2, DAY)
    fill(6, DAY + timedelta(days=1))

    def api():  # a request's user, read afresh as each real request reads it
        return logged_in(type(desk).objects.get(pk=desk.pk))

    with CaptureQueriesContext(connection) as one:
        assert len(api().get(APPOINTMENTS, {"date": DAY}).json()) == 2
    with CaptureQueriesContext(connection) as six:
        assert len(api().get(APPOINTMENTS, {"date": DAY + timedelta(days=1)}).json()) == 6

    assert len(six.captured_queries) == len(one.captured_queries)


def test_a_new_clients_first_booking_does_not_read_a_record_it_cannot_have(world, api):
    body = {"treatment": world.treatment.slug, "start": at(DAY), "client": DANA}
    dana = as_owner(api, body)
    with CaptureQueriesContext(connection) as queries:
        response = dana.post(APPOINTMENTS, body, format="json")
    assert response.status_code == 201, response.content
    # Reads: written out (SELECT) or prepared (EXECUTE, clinic/prepared.py).
    reads = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("SELECT", "EXECUTE"))
    ]
    assert [sql for sql in reads if InjectableRecord._meta.db_table in sql] == []
    assert [sql for sql in reads if HealthDeclaration._meta.db_table in sql] == []


def test_a_new_client_is_judged_on_what_they_declared_once_it_is_stored(world):
    """The shortcut above ends when the client's first record is written."""
    client, created = client_get_or_create(clinic=world.clinic, **DANA)
    assert created
    with time_machine.travel(datetime.combine(DAY, time(9), tzinfo=LONDON), tick=False):
        declared_store(
            client=client,
            declared=Declared(injectables=[{"kind": "filler", "date": DAY - timedelta(days=3)}]),
        )
    decision = rules.client_decision(client=client, treatment=world.treatment, on=DAY)
    assert decision.refusals, "the stored filler must count"
