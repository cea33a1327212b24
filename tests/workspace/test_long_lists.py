"""The outbox and the audit trail at a clinic group's size (issue 16): neither page counts
every row it could list (web/paging.py: a tab counts up to its cap, a list counts up to
10,000 rows and then says "about"), and each reads its page through an index."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare.models import Message
from clinic.models import AuditEntry
from tests.clinic.test_client_lookup import plan_without_scans
from tests.workspace.test_audit_lists import week_sheet

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's estimate and the plans"
)


def statements(browser, url, params=None) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url, params or {})
    assert response.status_code == 200
    return [q["sql"] for q in queries], response


def copies(message: Message, count: int, status: str) -> None:
    """`count` more emails like `message` at its clinic, each a day older, in `status`."""
    Message.objects.bulk_create(
        Message(
            clinic_id=message.clinic_id,
            client_id=message.client_id,
            kind=message.kind,
            key=f"{message.key}-{status}-{n}",
            status=status,
            due_at=message.due_at - timedelta(days=n + 1),
        )
        for n in range(count)
    )


def analyze(table: str) -> None:
    """Fresh planner statistics of `table`, inside the test's transaction (rolled back with
    it, so no other test sees them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def page_query(sql: list[str], table: str) -> str:
    (query,) = [
        s for s in sql if s.startswith("SELECT") and f'FROM "{table}"' in s and "ORDER BY" in s
    ]
    return query


@pytest.fixture
def confirmation(cast):
    return cast.olivia_visit.messages.get(kind=Message.Kind.CONFIRMATION)


def test_the_outbox_tabs_count_no_further_than_they_show(cast, confirmation, monkeypatch):
    monkeypatch.setattr("workspace.views.outbox.TAB_COUNT_CAP", 2)
    copies(confirmation, 3, Message.Status.SENT)
    copies(confirmation, 2, Message.Status.CANCELLED)

    sql, response = statements(cast.browser("desk"), "/staff/outbox/", {"show": "sent"})

    page = response.content.decode()
    assert "Sent (2+)" in page and "Cancelled (2)" in page
    counts = [s for s in sql if s.startswith("SELECT COUNT(")]
    assert counts and all("LIMIT 3) subquery" in s for s in counts[:4]), counts
    assert len(response.context["page"].object_list) == 3  # every sent one still listed


@postgresql_only
def test_a_long_outbox_list_says_its_page_count_is_about(cast, confirmation, monkeypatch):
    monkeypatch.setattr("web.paging.CAP", 2)
    monkeypatch.setattr("workspace.views.outbox.PAGE_SIZE", 2)
    copies(confirmation, 5, Message.Status.SENT)

    sql, response = statements(cast.browser("desk"), "/staff/outbox/", {"show": "sent"})

    assert response.context["page"].paginator.estimated
    assert "Page 1 of about" in response.content.decode()
    assert [s for s in sql if s.startswith("EXPLAIN")]  # the planner's figure, nothing read


@postgresql_only
@pytest.mark.parametrize(
    ("show", "index"), [("due", "message_clinic_due"), ("failed", "message_failed_due")]
)
def test_an_outbox_tab_is_read_in_the_order_of_its_index(cast, confirmation, show, index):
    # A clinic's outbox as it grows: the sent emails many, the due and failed ones few, and
    # the planner's statistics of the table as it is now (left to autovacuum's, taken of
    # whatever other tests had written, the clinic's own index could look as good).
    copies(confirmation, 300, Message.Status.SENT)
    copies(confirmation, 3, Message.Status.FAILED)
    analyze("aftercare_message")

    sql, _ = statements(cast.browser("desk"), "/staff/outbox/", {"show": show})

    # The index, not a walk of message_due_id from the oldest email (the due tab took 378 ms
    # so at the full group). On a few rows PostgreSQL may still sort what it found.
    plan = plan_without_scans(page_query(sql, "aftercare_message"))
    assert index in plan, plan


def test_the_audit_trail_counts_no_further_than_its_cap(cast, monkeypatch):
    monkeypatch.setattr("web.paging.CAP", 2)
    monkeypatch.setattr("workspace.views.manager.AUDIT_PAGE_SIZE", 1)
    for _ in range(4):
        cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")

    sql, response = statements(cast.browser("mia"), "/staff/audit/", {"user": "desk"})

    (count,) = [s for s in sql if s.startswith("SELECT COUNT(")]
    assert "LIMIT 3) subquery" in count, count
    if connection.vendor == "postgresql":
        assert "Page 1 of about" in response.content.decode()
    assert [e.username for e in response.context["page"]] == ["desk"]


@postgresql_only
def test_one_users_trail_is_read_through_its_index(cast):
    cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")
    desk = AuditEntry.objects.filter(username="desk").latest("at")
    # A clinic's trail where one user's entries are a few among many, and the planner's
    # statistics of this table as it is now: left to autovacuum's, taken of whatever other
    # tests had written, one user could look like everyone and another index win.
    AuditEntry.objects.bulk_create(
        AuditEntry(
            clinic_id=desk.clinic_id,
            username=f"colleague{n % 20}",
            action=desk.action,
            what=desk.what,
            via=desk.via,
            path=desk.path,
        )
        for n in range(400)
    )
    analyze("clinic_auditentry")

    sql, _ = statements(cast.browser("mia"), "/staff/audit/", {"user": "desk"})

    (count,) = [s for s in sql if s.startswith("SELECT COUNT(")]
    assert "audit_clinic_user_at" in plan_without_scans(count)
    assert "audit_clinic_user_at" in plan_without_scans(page_query(sql, "clinic_auditentry"))
    assert AuditEntry.objects.filter(username="desk").exists()


def test_the_trail_counts_a_lists_clients_for_the_page_shown_only(cast):
    desk = cast.browser("desk")
    week_sheet(desk)  # a list: one entry naming the clients it showed
    desk.get(f"/staff/clients/{cast.olivia.pk}/")

    sql, response = statements(cast.browser("mia"), "/staff/audit/")

    page = page_query(sql, "clinic_auditentry")
    assert "clinic_auditsubject" not in page, page  # not worked out for rows an OFFSET skips
    listed = AuditEntry.objects.exclude(subjects=None).get()
    assert f"a list of {listed.subjects.count()} clients" in response.content.decode()
