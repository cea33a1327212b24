"""audit_write's entry of a list: one row per client shown, however many, written by one
statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic import audit
from clinic.models import AuditEntry, AuditSubject
from tests import factories


class _Statements:
    def __init__(self):
        self.seen: list[tuple[str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        self.seen.append((sql, params))
        return execute(sql, params, many, context)


@pytest.mark.django_db
def test_a_list_of_many_clients_is_one_entry_naming_each_client_once():
    clients = factories.ClientFactory.create_batch(60)
    ids = [c.pk for c in clients]
    statements = _Statements()
    with connection.execute_wrapper(statements):
        audit.audit_write(
            user=None,
            origin=None,
            action=AuditEntry.Action.VIEW,
            what=audit.DAY_SHEET,
            clients=[*clients, *ids[:10]],  # instances and ids, some twice
        )
    entry = AuditEntry.objects.get()
    assert entry.client_id is None
    assert entry.what == audit.DAY_SHEET
    assert sorted(AuditSubject.objects.filter(entry=entry).values_list("client_id", flat=True)) == (
        sorted(ids)
    )
    # One statement writes them all, whatever their number.
    assert len([sql for sql, _ in statements.seen if AuditSubject._meta.db_table in sql]) == 1


@pytest.mark.django_db
def test_one_client_is_named_on_the_entry_itself():
    client = factories.ClientFactory()
    audit.audit_write(
        user=None,
        origin=None,
        action=AuditEntry.Action.VIEW,
        what=audit.CLIENT_PAGE,
        clients=[client, client.pk],
    )
    entry = AuditEntry.objects.get()
    assert entry.client_id == client.pk
    assert not AuditSubject.objects.exists()


@pytest.mark.django_db
def test_one_clients_entry_is_one_prepared_insert_of_what_the_orm_wrote(frozen_now):
    client = factories.ClientFactory()
    clinic = client.home_clinic
    user = factories.UserFactory(username="desk")
    origin = audit.Origin(
        via=audit.API, clinic_id=clinic.pk, path="/api/v1/x/", ip="203.0.113.9", user_agent="UA"
    )
    with CaptureQueriesContext(connection) as queries:
        audit.audit_write(
            user=user,
            origin=origin,
            action=AuditEntry.Action.VIEW,
            what=audit.APPOINTMENT,
            clients=[client],
            reference="ABC123",
            nested={"a": [1, "two"]},
        )

    # One statement, prepared once per connection: not the ORM's, which compiled it each
    # time and read back the new id (RETURNING) that nobody uses.
    ((sql,),) = [(q["sql"],) for q in queries]
    assert audit._entry_statement().sent_in(sql) and "RETURNING" not in sql, sql
    if connection.vendor == "postgresql":
        assert sql.startswith("EXECUTE clinic_auditentry_insert ("), sql
    entry = AuditEntry.objects.get()
    assert (entry.at, entry.user, entry.username, entry.action, entry.what) == (
        frozen_now,
        user,
        "desk",
        AuditEntry.Action.VIEW,
        audit.APPOINTMENT,
    )
    assert (entry.client, entry.clinic_id, entry.via, entry.path, entry.ip) == (
        client,
        clinic.pk,
        audit.API,
        "/api/v1/x/",
        "203.0.113.9",
    )
    assert entry.user_agent == "UA"
    assert entry.details == {"reference": "ABC123", "nested": {"a": [1, "two"]}}


def test_the_prepared_insert_gives_every_column_of_an_entry_but_its_id():
    fields = {f.name for f in AuditEntry._meta.concrete_fields if not f.primary_key}
    assert set(audit.ENTRY_COLUMNS) == fields


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ip", ["198.51.100.7", "2001:DB8:0:0:0:0:0:1", "::ffff:192.0.2.1", "", None]
)
def test_an_entrys_address_and_details_are_stored_as_the_orm_stores_them(ip):
    client = factories.ClientFactory()
    details = {"reference": "ÅBC", "list": [1, 2.5, None, True], "quote": 'it\'s \\ "x"'}
    origin = audit.Origin(via=audit.PAGES, path="/p/", ip=ip)
    audit.audit_write(
        user=None,
        origin=origin,
        action=AuditEntry.Action.VIEW,
        what=audit.CLIENT_PAGE,
        clients=[client],
        **details,
    )
    AuditEntry.objects.create(
        user=None,
        username="",
        action=AuditEntry.Action.VIEW,
        what=audit.CLIENT_PAGE,
        client=client,
        via=audit.PAGES,
        path="/p/",
        ip=ip,
        details=details,
    )
    columns = ("user", "username", "action", "what", "client", "clinic", "via", "path", "ip")
    rows = AuditEntry.objects.order_by("pk").values(*columns, "details")
    written, expected = list(rows)
    assert written == expected
    assert written["details"] == details


def test_a_requests_path_is_resolved_once_for_all_its_entries(rf, monkeypatch):
    resolved = []
    real = audit.audit_path
    monkeypatch.setattr(audit, "audit_path", lambda path: resolved.append(path) or real(path))
    request = rf.get("/api/v1/appointments/ABC123/", {"token": "secret", "date": "2027-01-02"})

    first = audit.Origin.of(request, via=audit.API)
    second = audit.Origin.of(request, via=audit.API, clinic=7)

    assert len(resolved) == 1
    kept = "/api/v1/appointments/ABC123/?token=[hidden]&date=2027-01-02"
    assert first.path == second.path == kept
