"""What a booking asks the database, and what it no longer asks: no check that a drawn
reference is free (the unique constraint answers, and a clash draws again), no count of
the moves of an appointment that was just made."""

import itertools
import json

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

import access
from bookings.models import Appointment, new_reference
from clinic import audit as clinic_audit
from clinic import sql as clinic_sql
from clinic.prepared import kept_cursor
from diary import sql as diary_sql
from diary.services import appointment_book
from tests import factories
from tests.diary.test_concurrency import START


@pytest.fixture
def client(world):
    return factories.ClientFactory(clinic=world.clinic)


def test_a_booking_asks_nothing_about_references_or_earlier_moves(world, client):
    with CaptureQueriesContext(connection) as queries:
        booked = appointment_book(treatment=world.treatment, start=START, client=client)

    sql = [query["sql"] for query in queries]
    assert not [q for q in sql if q.startswith("SELECT") and '"reference" =' in q], sql
    assert not [q for q in sql if "bookings_appointmentchange" in q and "COUNT" in q], sql
    (confirmation,) = booked.appointment.messages.filter(kind="confirmation")
    assert confirmation.data["sequence"] == 0


def test_a_reference_already_taken_is_drawn_again(world, client, monkeypatch):
    first = appointment_book(treatment=world.treatment, start=START, client=client).appointment
    draws = itertools.chain([first.reference], iter(new_reference, None))
    monkeypatch.setattr(Appointment._meta.get_field("reference"), "default", lambda: next(draws))

    second = appointment_book(
        treatment=world.treatment, start=START.replace(hour=14), client=client
    ).appointment

    assert second.reference != first.reference
    assert Appointment.objects.filter(reference=second.reference).get() == second
    assert Appointment.objects.count() == 2


def test_a_signed_in_clients_booking_over_the_api_reads_no_booking_request(world):
    from rest_framework.test import APIClient

    from tests.helpers import as_owner

    body = {
        "treatment": world.treatment.slug,
        "start": START.isoformat(),
        "client": {"name": "Dana Client", "email": "dana@example.com"},
    }
    api = as_owner(APIClient(), body)
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/appointments/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "confirmed"
    assert not [q for q in queries if "bookings_bookingrequest" in q["sql"]]


# What a booking POST asks the database, at most (issue 16; bench/README.md). The front
# desk's, for a client on record: the session (web/sessions.py); the user with their
# memberships (one statement, access.UserBackend); the treatment with its clinic and the
# practitioner (one statement, clinic/sql.py); the client by address; in one round trip the
# rules' reads (the clinic's waiting and contraindication
# rules, the organisation's words, the treatment's kinds of resource, the client's
# injectables and declarations, the prerequisite rules with the client's counted
# appointments: clinical/sql.py, sent together by rules.booking_facts; with them the
# organisation's form rules, which the forms reminder asks, and the new appointment's id
# from its sequence: diary/services.py BOOKING_READS) and the day's diary (the calendar, the
# resources and the busy time: diary/sql.py SEARCH, diary/services.py _rules_and_diary);
# the attempts' savepoint with the
# lock and the re-read (one string, diary/sql.py LOCK_THEN_BUSY, never released:
# reservation._Attempts); the appointment, its history line, its outbox rows and its holds
# (returning the rooms' names) in one round trip (bookings/db.py together); the audit entry
# of the answer; and the release of the view's savepoint, which the test's transaction
# makes of the view's transaction. A sign-off is written only when a rule asks for one,
# and the answer finds it on the appointment. The public's (a hold): no session, user,
# memberships, client, record, prerequisites or form rules; the hourly count of holds for
# the address read with the rules and the diary, and the booking request written beside the
# appointment, in the writes' round trip.
FRONT_DESK_POST = 10  # was 29 before issue 16's changes, 25 before the rules' round trip, 18,
# 16, 15, 14, 13, 11
PUBLIC_POST = 6  # was 22, then 19, 15, 11, 10, 8


RULES_TABLES = (
    "clinical_waitingrule",
    "clinical_contraindicationrule",
    "clinic_term",
    "clinic_treatment_required_resource_kinds",
    "clinical_injectablerecord",
    "clinical_healthdeclaration",
    "clinical_prerequisiterule",
)


def _post(web, world, **client) -> tuple:
    body = {
        "treatment": world.treatment.slug,
        "start": START.isoformat(),
        "practitioner": world.practitioner.pk,
        "client": client,
    }
    with CaptureQueriesContext(connection) as queries:
        response = web.post(
            "/api/v1/appointments/", json.dumps(body), content_type="application/json"
        )
    return response, [query["sql"] for query in queries]


def test_the_front_desks_booking_post_asks_the_database_no_more_than_it_must(world, monkeypatch):
    factories.ClientFactory(clinic=world.clinic, email="dana@example.com")
    web = Client()
    web.force_login(
        factories.StaffFactory(username="frontdesk"),
        backend="access.UserBackend",
    )
    with kept_cursor() as cursor:  # the connection's kept cursor, made before the count
        cursor.execute("SELECT 1")
    db = connections[DEFAULT_DB_ALIAS]
    made = []
    create_cursor = db.create_cursor
    monkeypatch.setattr(db, "create_cursor", lambda *a: made.append(a) or create_cursor(*a))

    response, sql = _post(web, world, name="Dana Client", email="Dana@Example.com")

    assert response.status_code == 201, response.content
    assert response.json()["resources"] == ["Room 1"]
    assert len(sql) == FRONT_DESK_POST, "\n".join(sql)
    # Every statement goes through the connection's kept cursor (clinic/prepared.py) but
    # the savepoint and release Django sends for the view's block in the test's transaction.
    own = [q for q in sql if q.startswith(("SAVEPOINT", "RELEASE")) and ";" not in q]
    assert len(made) == len(own) == 2, own
    # The memberships come with the user, not by a read of their own.
    (user,) = [q for q in sql if access.user_query().sent_in(q)]
    assert "clinic_membership" in access.user_query().statement
    assert not [q for q in sql if q is not user and "clinic_membership" in q], sql
    # One statement reads the treatment and the practitioner; one locks and re-reads.
    assert len([q for q in sql if clinic_sql._treatment_query().sent_in(q)]) == 1, sql
    assert not [q for q in sql if '"clinic_practitioner"' in q], sql
    assert len([q for q in sql if diary_sql._LOCK_PRACTITIONER.sent_in(q)]) == 1, sql
    # One round trip reads everything the clinical rules ask.
    (rules,) = [q for q in sql if "clinical_waitingrule" in q]
    for table in RULES_TABLES:
        assert table in rules, rules
    assert not [q for q in sql if q is not rules and "clinical_" in q], sql
    # With them, the form rules the forms reminder asks and the new appointment's id.
    assert "consent_formrule" in rules and "nextval(" in rules, rules
    assert not [q for q in sql if q is not rules and "consent_formrule" in q], sql
    # And the day's diary, read by no statement of its own.
    for statement in diary_sql.SEARCH:
        assert statement.sent_in(rules), rules
        assert not [q for q in sql if q is not rules and statement.sent_in(q)], sql
    _written_in_one_round_trip(sql, "bookings_appointmentchange", "aftercare_message")
    # The answer's audit entry is written inside the booking's transaction, before the
    # outermost savepoint (the view's atomic block under the test's transaction) is released.
    audit = next(n for n, q in enumerate(sql) if clinic_audit._entry_statement().sent_in(q))
    assert audit < max(n for n, q in enumerate(sql) if q.startswith("RELEASE SAVEPOINT")), sql
    assert not [q for q in sql if 'FROM "clinic_resource" INNER JOIN' in q], sql


def test_the_publics_booking_post_asks_the_database_no_more_than_it_must(world):
    response, sql = _post(Client(), world, name="Dana Client", email="dana@example.com")

    assert response.status_code == 202, response.content
    assert len(sql) == PUBLIC_POST, "\n".join(sql)
    # The rules and words in one round trip; nobody's record, no prerequisites (whose
    # appointments count is known only when the address's owner confirms).
    (rules,) = [q for q in sql if "clinical_waitingrule" in q]
    assert "clinic_term" in rules and "clinical_contraindicationrule" in rules, rules
    assert "clinical_injectablerecord" not in rules and "prerequisite" not in rules, rules
    assert "nextval(" in rules, rules
    # With them the address's holds of the last hour and the day's diary.
    for statement in (diary_sql.RECENT_HOLDS_COUNT, *diary_sql.SEARCH):
        assert statement.sent_in(rules), rules
        assert not [q for q in sql if q is not rules and statement.sent_in(q)], sql
    _written_in_one_round_trip(
        sql, "bookings_bookingrequest", "bookings_appointmentchange", "aftercare_message"
    )


@pytest.mark.parametrize("web", ["public", "front desk"])
def test_a_booking_naming_nobody_reads_the_practitioner_it_got_written_out(world, web):
    """Its answer (and a booking's emails) name the practitioner the claim gave it: read
    once by the written-out statement (clinic/sql.py practitioner_of), not the ORM's
    related descriptor, which compiled a query for it."""
    caller = Client()
    if web == "front desk":
        caller.force_login(factories.StaffFactory(username="desk"), backend="access.UserBackend")
    body = {
        "treatment": world.treatment.slug,
        "start": START.isoformat(),
        "client": {"name": "Dana Client", "email": "dana@example.com"},
    }
    with CaptureQueriesContext(connection) as queries:
        response = caller.post(
            "/api/v1/appointments/", json.dumps(body), content_type="application/json"
        )

    assert response.status_code in (201, 202), response.content
    assert response.json()["practitioner"] == {
        "id": world.practitioner.pk,
        "name": world.practitioner.name,
    }
    sql = [query["sql"] for query in queries]
    reads = [q for q in sql if clinic_sql._practitioner_query().sent_in(q)]
    assert reads == [f"EXECUTE clinic_practitioner_by_id ({world.practitioner.pk})"], sql
    assert not [q for q in sql if 'FROM "clinic_practitioner"' in q], sql


def _written_in_one_round_trip(sql: list[str], *tables: str) -> None:
    """The appointment is inserted with its other rows and its holds, in one statement
    string, and in no other."""
    (writes,) = [q for q in sql if 'INSERT INTO "bookings_appointment" (' in q]
    assert diary_sql._HOLD.sent_in(writes), writes  # the holds and their names, prepared
    for table in tables:
        assert f'INSERT INTO "{table}"' in writes, writes


def test_the_hourly_count_of_an_addresss_holds_is_read_from_its_index(world):
    from django.utils import timezone

    from bookings.db import rows_together
    from tests.clinic.test_client_lookup import plan_without_scans

    with CaptureQueriesContext(connection) as queries:  # as a hold reads it with its rules
        rows_together(
            [diary_sql.RECENT_HOLDS_COUNT], {"email": "Dana@Example.com", "since": timezone.now()}
        )

    (count,) = [query["sql"] for query in queries]
    plan = plan_without_scans(count)
    assert "bookingrequest_recent_by_email" in plan, plan
