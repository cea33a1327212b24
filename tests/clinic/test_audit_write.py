"""audit_write's entry of a list: one row per client shown, however many, written by one
statement."""

import pytest
from django.db import connection

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
