"""The export's audit trail: every entry that names the client, each once, in time order,
however it names them (a view of them alone, a list that showed them, or both), and no
entry about others only; on PostgreSQL read as one condition on the entries' own indexes
(privacy/export.py `_entries_about`), and the same as the plain path's."""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEntry, AuditSubject
from privacy import export

AT = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)


def entry(cast, *, client=None, listed=(), minutes=0, microsecond=0) -> AuditEntry:
    made = AuditEntry.objects.create(
        username="mia",
        action=AuditEntry.Action.VIEW,
        what="client page" if client else "client list",
        client=client,
        clinic=cast.world.clinic,
        via="workspace",
        path="/staff/",
    )
    AuditEntry.objects.filter(pk=made.pk).update(
        at=AT + timedelta(minutes=minutes, microseconds=microsecond)
    )
    AuditSubject.objects.bulk_create(AuditSubject(entry=made, client=c) for c in listed)
    return made


def test_the_export_holds_each_entry_naming_the_client_once_in_time_order(cast, monkeypatch):
    olivia, bruno = cast.olivia, cast.bruno
    AuditEntry.objects.all().delete()
    alone = entry(cast, client=olivia, minutes=3)
    both_ways = entry(cast, client=olivia, listed=[olivia, bruno], minutes=1)
    a_list = entry(cast, listed=[bruno, olivia], minutes=2)
    same_time = entry(cast, listed=[olivia], minutes=2)  # the order's tie: by id
    earlier_by_a_microsecond = entry(cast, listed=[olivia], minutes=2, microsecond=-1)
    entry(cast, client=bruno, minutes=0)
    entry(cast, listed=[bruno], minutes=0)

    with CaptureQueriesContext(connection) as captured:
        data = export.client_export(olivia)

    expected = [both_ways, earlier_by_a_microsecond, a_list, same_time, alone]
    assert [e["id"] for e in data["audit"]] == [e.pk for e in expected]
    [read] = [q["sql"] for q in captured if 'FROM "clinic_auditentry"' in q["sql"]]
    if connection.vendor == "postgresql":
        # The lists' ids as one array: no union of ids joined back to the entries.
        assert "= ANY(ARRAY(SELECT" in read, read
        assert "UNION" not in read, read
    monkeypatch.setattr(export, "is_postgresql", lambda: False)
    plain = export.client_export(olivia)
    assert plain["audit"] == data["audit"]
