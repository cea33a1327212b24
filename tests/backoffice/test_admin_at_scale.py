"""The admin at a clinic group's size (issue 16): a client's page costs the same queries
however long their history; the big lists build no DISTINCT over their table (no date
hierarchy, no related-only filters), count no whole table, are read in the order of an
index, and search through indexes; and they still show the right rows, to the right staff.

bench/README.md ("Pages") has the figures; these tests hold what made them.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from access.roles import MANAGER
from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from clinic.models import AuditEntry, Membership
from tests import factories
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's statistics and query plans"
)

BIG_LISTS = {
    "appointments": "admin:bookings_appointment_changelist",
    "appointment changes": "admin:bookings_appointmentchange_changelist",
    "messages": "admin:aftercare_message_changelist",
    "audit entries": "admin:clinic_auditentry_changelist",
    "injectables": "admin:clinical_injectablerecord_changelist",
    "declarations": "admin:clinical_healthdeclaration_changelist",
    "clients": "admin:clinic_client_changelist",
}


@pytest.fixture
def root(db) -> Browser:
    browser = Browser()
    browser.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    return browser


def history(world, client, visits: int, *, first=datetime(2020, 1, 6, 10, tzinfo=UTC)):
    """`visits` past appointments of `client`, a day apart, each with its booking's change,
    a message and an audit entry; and an injectable record and a declaration per visit."""
    appointments = Appointment.objects.bulk_create(
        Appointment(
            clinic=world.clinic,
            client=client,
            treatment=world.treatment,
            practitioner=world.practitioner,
            start=first + timedelta(days=n),
            end=first + timedelta(days=n, hours=1),
            blocked_until=first + timedelta(days=n, hours=1),
            status=Appointment.Status.COMPLETED,
        )
        for n in range(visits)
    )
    AppointmentChange.objects.bulk_create(
        AppointmentChange(
            appointment=a,
            action=AppointmentChange.Action.BOOKED,
            channel=a.channel,
            to_status=Appointment.Status.CONFIRMED,
        )
        for a in appointments
    )
    Message.objects.bulk_create(
        Message(
            key=f"test:{a.pk}:reminder",
            clinic=world.clinic,
            client=client,
            appointment=a,
            treatment=world.treatment,
            kind=Message.Kind.REMINDER,
            due_at=a.start - timedelta(days=1),
            status=Message.Status.SENT,
        )
        for a in appointments
    )
    AuditEntry.objects.bulk_create(
        AuditEntry(
            username="someone",
            action=AuditEntry.Action.VIEW,
            what="client page",
            client=client,
            clinic=world.clinic,
            via="workspace",
            path="/staff/",
        )
        for _ in appointments
    )
    for _ in appointments:
        factories.InjectableRecordFactory(client=client, date=first.date())
        factories.HealthDeclarationFactory(client=client, declared_on=first.date())
    return appointments


def statements(browser, url, params=None) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url, params or {})
    assert response.status_code == 200
    return [q["sql"] for q in queries], response


def shown(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


# -- a client's page ---------------------------------------------------------------------------


def test_the_client_page_costs_the_same_queries_however_long_the_history(world, root):
    short = factories.ClientFactory(clinic=world.clinic, name="Shirley Short")
    long = factories.ClientFactory(clinic=world.clinic, name="Margaret Longstay")
    history(world, short, 3)
    visits = history(world, long, 60, first=datetime(2021, 1, 6, 10, tzinfo=UTC))
    page = "admin:clinic_client_change"

    root.get(reverse(page, args=[short.pk]))  # what the first page of a session reads once
    few, _ = statements(root, reverse(page, args=[short.pk]))
    many, response = statements(root, reverse(page, args=[long.pk]))

    assert len(many) == len(few), "\n".join(many)
    text = response.content.decode()
    assert "All 60 appointments" in text and "All 60 messages" in text
    assert "All 60 injectables" in text and "All 60 declared conditions" in text
    assert visits[-1].reference in text  # the latest shown
    assert visits[0].reference not in text  # the oldest in the list it links to
    appointments = reverse("admin:bookings_appointment_changelist")
    assert f"{appointments}?client__id__exact={long.pk}" in text


def test_the_client_page_links_to_a_list_of_their_whole_history(world, root):
    client = factories.ClientFactory(clinic=world.clinic)
    other = factories.ClientFactory(clinic=world.clinic)
    visits = history(world, client, 12)
    history(world, other, 2, first=datetime(2022, 1, 6, 10, tzinfo=UTC))

    for name, route in BIG_LISTS.items():
        if name in ("clients", "appointment changes"):  # not linked from the client's page
            continue
        response = root.get(reverse(route), {"client__id__exact": client.pk})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 12, name
    response = root.get(
        reverse("admin:bookings_appointment_changelist"), {"client__id__exact": client.pk}
    )
    assert shown(response) == {a.pk for a in visits}


# -- the big lists --------------------------------------------------------------------------


@postgresql_only
@pytest.mark.parametrize("name", BIG_LISTS)
def test_a_big_list_reads_no_distinct_and_counts_no_whole_table(world, root, name):
    history(world, factories.ClientFactory(clinic=world.clinic), 3)
    route = BIG_LISTS[name]
    table = admin.site._registry[resolve(reverse(route)).func.model_admin.model]
    with connection.cursor() as cursor:
        # What autovacuum would have recorded of a big table (rolled back with the test; an
        # ANALYZE here would outlive it and change other tests' plans).
        cursor.execute(
            "UPDATE pg_class SET reltuples = 123456 WHERE oid = %s::regclass",
            [table.model._meta.db_table],
        )

    sql, response = statements(root, reverse(route))

    # (The clinics' time zones, read to show the list in theirs, are the one DISTINCT.)
    assert not [s for s in sql if "DISTINCT" in s and '"clinic_clinic"."timezone"' not in s]
    assert not [s for s in sql if s.startswith("SELECT COUNT(*)")], sql
    assert response.context["cl"].result_count == 123456  # the statistics', not counted


def plan_without_scans(sql: str) -> str:
    """The plan of `sql` when a sequential scan costs PostgreSQL all but everything (as in
    tests/clinic/test_client_lookup.py): an index where one serves the query."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def page_query(sql: list[str], table: str) -> str:
    [query] = [
        s
        for s in sql
        if s.startswith("SELECT")
        and not s.startswith("SELECT COUNT(")  # the page's rows, not their count
        and f'FROM "{table}"' in s
        and "ORDER BY" in s
    ]
    return query


@postgresql_only
@pytest.mark.parametrize(
    ("route", "params", "table", "index"),
    [
        (
            "admin:bookings_appointment_changelist",
            {},
            "bookings_appointment",
            "appointment_start_id",
        ),
        (
            "admin:bookings_appointmentchange_changelist",
            {},
            "bookings_appointmentchange",
            "appointmentchange_at_id",
        ),
        ("admin:aftercare_message_changelist", {}, "aftercare_message", "message_due_id"),
        (
            "admin:aftercare_message_changelist",
            {"status__exact": "failed"},
            "aftercare_message",
            "message_failed_due",
        ),
        ("admin:clinic_auditentry_changelist", {}, "clinic_auditentry", "audit_at_id"),
        ("admin:clinic_client_changelist", {}, "clinic_client", "client_name_id"),
    ],
)
def test_a_big_list_is_read_in_the_order_of_an_index(
    world, root, monkeypatch, route, params, table, index
):
    history(world, factories.ClientFactory(clinic=world.clinic), 3)
    factories.ClientFactory.create_batch(2, clinic=world.clinic)
    Message.objects.update(status=Message.Status.FAILED)
    for model_admin in admin.site._registry.values():  # a page of 2: read with a LIMIT
        monkeypatch.setattr(model_admin, "list_per_page", 2)

    sql, _ = statements(root, reverse(route), params)

    plan = plan_without_scans(page_query(sql, table))
    assert index in plan, plan
    assert "Sort" not in plan, plan  # read in order, not sorted


@postgresql_only
def test_a_search_by_name_reads_the_trigram_index(world, root):
    history(world, factories.ClientFactory(clinic=world.clinic, name="Margaret Longstay"), 2)

    sql, response = statements(root, reverse(BIG_LISTS["appointments"]), {"q": "longstay"})

    assert len(shown(response)) == 2
    [search] = [s for s in sql if "immutable_unaccent" in s]
    plan = plan_without_scans(search)
    assert "client_search_trgm" in plan, plan
    plan = plan_without_scans(page_query(sql, "bookings_appointment"))
    assert "Seq Scan" not in plan, plan


@postgresql_only
def test_the_clients_list_sorts_a_search_s_matches_by_name_not_through_the_name_index(world, root):
    """The clients found through the trigram index are sorted as they are: PostgreSQL
    neither walks the name index testing each client (18,800 read for 50 on the bench
    group's 'turner') nor joins the matches' ids back to every client. The order is the
    list's own: name, then id."""
    names = ["Linh Turner", "Amara Turner", "Olivia Okafor", "Amara Turner", "Ava Turner"]
    clients = [factories.ClientFactory(clinic=world.clinic, name=name) for name in names]

    sql, response = statements(root, reverse(BIG_LISTS["clients"]), {"q": "turner"})

    expected = sorted((c for c in clients if "Turner" in c.name), key=lambda c: (c.name, c.pk))
    assert [c.pk for c in response.context["cl"].result_list] == [c.pk for c in expected]
    page = page_query(sql, "clinic_client")
    # A condition on the list's own rows, on the stored search text (clinic/search.py): no
    # subquery of matching ids to join back to the whole table (a sequential scan of it).
    assert "IN (SELECT" not in page, page
    assert '"search_text"' in page, page
    plan = plan_without_scans(page)
    assert "client_search_trgm" in plan, plan
    assert "client_name_id" not in plan, plan
    # Unsearched, the list is still read in the name index's order.
    sql, _ = statements(root, reverse(BIG_LISTS["clients"]))
    assert "client_name_id" in plan_without_scans(page_query(sql, "clinic_client"))


def test_the_injectables_list_reads_its_page_s_clients_by_id_not_through_a_join(world, root):
    """A search for a common name matches thousands of records: joined to the clients
    before the sort, the list read every client to name them. The page's clients are read
    by their ids, in one query however many rows the page shows; the page is the same."""
    people = [
        factories.ClientFactory(clinic=world.clinic, name=f"Ava Turner {n}") for n in range(3)
    ]
    for person in people:
        factories.InjectableRecordFactory(client=person, date=date(2026, 5, 1))

    for params in ({}, {"q": "turner"}):
        sql, response = statements(root, reverse(BIG_LISTS["injectables"]), params)

        page = page_query(sql, "clinical_injectablerecord")
        assert 'JOIN "clinic_client"' not in page, page
        reads = [s for s in sql if s.startswith('SELECT "clinic_client"."id", ')]
        assert len(reads) == 1, reads
        assert {r.client_id for r in response.context["cl"].result_list} == {p.pk for p in people}
        for person in people:
            assert person.name in response.content.decode()


@postgresql_only
def test_a_filtered_count_stops_at_its_cap(world, root, monkeypatch):
    history(world, factories.ClientFactory(clinic=world.clinic), 5)
    monkeypatch.setattr("web.paging.CAP", 2)

    sql, response = statements(
        root, reverse(BIG_LISTS["appointments"]), {"status__exact": "completed"}
    )

    assert [s for s in sql if "LIMIT 3) subquery" in s]  # counted no further than CAP + 1
    assert response.context["cl"].result_count >= 3
    assert len(shown(response)) == 5


# -- the right rows -------------------------------------------------------------------------


def test_a_search_finds_the_client_s_rows_by_name_email_or_phone(world, root):
    margaret = factories.ClientFactory(
        clinic=world.clinic,
        name="Margaret Longstay",
        email="margaret.l@example.com",
        phone="07700 904242",
    )
    other = factories.ClientFactory(clinic=world.clinic, name="Olivia Other")
    history(world, margaret, 2)
    history(world, other, 2, first=datetime(2022, 1, 6, 10, tzinfo=UTC))

    for name, route in BIG_LISTS.items():
        if name == "appointment changes":  # searched by reference only
            continue
        for term in ("longst", "MARGARET", "margaret.l@example", "0770090 4242"):
            response = root.get(reverse(route), {"q": term})
            assert response.status_code == 200
            rows = response.context["cl"].result_list
            clients = {row.pk if name == "clients" else row.client_id for row in rows}
            assert clients == {margaret.pk}, (name, term)
            assert len(rows) == (1 if name == "clients" else 2), (name, term)


def test_an_appointment_and_its_changes_are_found_by_a_reference(world, root):
    visits = history(world, factories.ClientFactory(clinic=world.clinic), 3)
    reference = visits[1].reference

    for term in (reference, reference.lower(), reference[:6]):
        response = root.get(reverse(BIG_LISTS["appointments"]), {"q": term})
        assert visits[1].pk in shown(response), term
    response = root.get(reverse(BIG_LISTS["appointment changes"]), {"q": reference})
    assert {c.appointment_id for c in response.context["cl"].result_list} == {visits[1].pk}
    response = root.get(reverse(BIG_LISTS["messages"]), {"q": reference})
    assert {m.appointment_id for m in response.context["cl"].result_list} == {visits[1].pk}


def test_a_message_is_found_by_its_key_and_audit_entries_by_username(world, root):
    visits = history(world, factories.ClientFactory(clinic=world.clinic), 2)

    response = root.get(reverse(BIG_LISTS["messages"]), {"q": f"test:{visits[0].pk}:"})
    assert {m.appointment_id for m in response.context["cl"].result_list} == {visits[0].pk}
    someone = factories.UserFactory(username="someone")
    AuditEntry.objects.update(user=someone)
    response = root.get(reverse(BIG_LISTS["audit entries"]), {"q": "SOMEONE"})
    assert response.context["cl"].result_count == 2


def test_the_filters_still_filter(world, root):
    past = history(world, factories.ClientFactory(clinic=world.clinic), 2)
    coming = Appointment.objects.create(
        clinic=world.clinic,
        client=past[0].client,
        treatment=world.treatment,
        practitioner=world.practitioner,
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=1),
        blocked_until=NOW + timedelta(days=2, hours=1),
    )
    url = reverse(BIG_LISTS["appointments"])

    response = root.get(url, {"status__exact": "confirmed"})
    assert shown(response) == {coming.pk}
    response = root.get(url)
    links = {
        choice["display"]: choice
        for f in response.context["cl"].filter_specs
        for choice in f.choices(response.context["cl"])
    }
    assert "Next 7 days" in links
    response = root.get(url + links["Next 7 days"]["query_string"])
    assert shown(response) == {coming.pk}
    response = root.get(url, {"start__year": "2020"})
    assert shown(response) == {a.pk for a in past}
    response = root.get(url, {"practitioner__id__exact": world.practitioner.pk})
    assert shown(response) == {coming.pk, *(a.pk for a in past)}


def test_a_manager_finds_and_filters_on_their_clinic_s_rows_only(world):
    mine = factories.ClientFactory(clinic=world.clinic, name="Margaret Mine")
    history(world, mine, 2)
    elsewhere = factories.ClinicFactory(name="Elsewhere Clinic")
    theirs = factories.ClientFactory(clinic=elsewhere, name="Margaret Theirs")
    Message.objects.create(
        key="test:elsewhere",
        clinic=elsewhere,
        client=theirs,
        treatment=factories.TreatmentFactory(clinic=elsewhere),
        kind=Message.Kind.REMINDER,
        due_at=NOW,
    )
    manager = factories.UserFactory(username="manager", is_staff=True)
    Membership.objects.create(user=manager, clinic=world.clinic, role=MANAGER)
    browser = Browser()
    browser.force_login(manager)

    response = browser.get(reverse(BIG_LISTS["messages"]), {"q": "margaret"})

    assert response.status_code == 200
    assert {m.client_id for m in response.context["cl"].result_list} == {mine.pk}
    clinics = [f for f in response.context["cl"].filter_specs if f.title == "clinic"]
    assert [name for _, name in clinics[0].lookup_choices] == [world.clinic.name]
    assert "Elsewhere Clinic" not in response.content.decode()
