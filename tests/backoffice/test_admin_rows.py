"""The admin's big lists for less CPU and SQL, showing the same (issue 16, bench/README.md
"The admin's rows, a search's few matches and the audit trail's search"):

- each row is made by backoffice/templatetags/backoffice_list.py, not by Django's
  `items_for_result` and a CheckboxInput rendered through the form templates, and the HTML
  is Django's to the byte;
- a search's few matches are sorted (web/paging.py `sorted_as_found`), not found by walking
  the list's order index, in the same order;
- the audit trail searched for a few clients reads one bitmap of the entries.
"""

import re
from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.forms import CheckboxInput
from django.test import Client as Browser
from django.urls import reverse

from access.roles import MANAGER
from backoffice.admin.base import ScopedAdmin
from clinic.audit import entries_about
from clinic.models import AuditEntry, AuditSubject, Membership
from tests import factories
from tests.backoffice.test_admin_at_scale import (
    BIG_LISTS,
    history,
    page_query,
    plan_without_scans,
    postgresql_only,
    shown,
    statements,
)

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')

# Every list in the admin's own modules, with the searches, filters and orders that change
# what a row shows (a filter carried in each row's link, a column sorted on).
LISTS = [
    (model_admin, params)
    for model_admin in admin.site._registry.values()
    if isinstance(model_admin, ScopedAdmin)
    for params in ({}, {"q": "longstay"}, {"o": "-2"}, {"q": "longstay", "o": "1"})
]


def lists_id(case) -> str:
    model_admin, params = case
    return f"{model_admin.opts.label}{params}"


@pytest.fixture
def root(db) -> Browser:
    browser = Browser()
    browser.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    return browser


@pytest.fixture
def margaret(world):
    """A client with a history (appointments, changes, messages, audit entries), shown by a
    list too, and another client's."""
    margaret = factories.ClientFactory(clinic=world.clinic, name="Margaret <Longstay> & Co")
    history(world, margaret, 4)
    other = factories.ClientFactory(clinic=world.clinic, name="Olivia Other")
    history(world, other, 3, first=datetime(2022, 1, 6, 10, tzinfo=UTC))
    listing = AuditEntry.objects.create(
        username="someone",
        action=AuditEntry.Action.VIEW,
        what="day list",
        clinic=world.clinic,
        via="workspace",
        path="/staff/day/",
    )
    AuditSubject.objects.bulk_create(
        [AuditSubject(entry=listing, client=margaret), AuditSubject(entry=listing, client=other)]
    )
    return margaret


def url_of(model_admin) -> str:
    return reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")


@pytest.mark.parametrize("case", LISTS, ids=lists_id)
def test_a_list_s_rows_are_django_s_html(margaret, root, monkeypatch, case):
    model_admin, params = case
    monkeypatch.setattr(model_admin, "list_per_page", 3)  # the links of more than one page
    url = url_of(model_admin)

    ours = root.get(url, params)
    monkeypatch.setattr(model_admin, "change_list_template", None)  # Django's template
    monkeypatch.setattr(ScopedAdmin, "action_checkbox", admin.ModelAdmin.action_checkbox)
    django_s = root.get(url, params)

    assert ours.status_code == django_s.status_code == 200
    assert CSRF.sub(b"", ours.content) == CSRF.sub(b"", django_s.content)


def _refused(*args, **kwargs):
    raise AssertionError("Django's per-row code was used")


@pytest.mark.parametrize("name", BIG_LISTS)
def test_a_big_list_s_rows_are_made_without_django_s_per_row_code(
    margaret,
    root,
    monkeypatch,
    name,
):
    """Django's rows looked each column up on every row and rendered each checkbox
    through the form templates: about a third of a big list's CPU."""
    monkeypatch.setattr(admin_list, "items_for_result", _refused)
    monkeypatch.setattr(
        "backoffice.templatetags.backoffice_list.items_for_result", _refused
    )  # the shortcut's own fallback
    monkeypatch.setattr(CheckboxInput, "render", _refused)

    searched = {"action__exact": "booked"} if name == "appointment changes" else {"q": "longstay"}
    for params in ({}, searched):
        response = root.get(reverse(BIG_LISTS[name]), params)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) > 0, (name, params)


def test_the_checkbox_is_django_s(margaret):
    model_admin = admin.site._registry[type(margaret)]
    assert model_admin.action_checkbox(margaret) == admin.ModelAdmin.action_checkbox(
        model_admin, margaret
    )
    assert "&lt;Longstay&gt; &amp; Co" in model_admin.action_checkbox(margaret)


SEARCHED = [
    ("appointments", "bookings_appointment", "appointment_start_id"),
    ("messages", "aftercare_message", "message_due_id"),
    ("audit entries", "clinic_auditentry", "audit_at_id"),
]


@postgresql_only
@pytest.mark.parametrize(("name", "table", "index"), SEARCHED)
def test_a_search_s_few_matches_are_sorted_not_found_by_walking_the_order_index(
    margaret,
    root,
    monkeypatch,
    name,
    table,
    index,
):
    """On the bench's group PostgreSQL walked `appointment_start_id` testing 48,000
    appointments for the long client's 50 latest (9 ms), `message_due_id` 28,550 messages
    (12 ms); the client's ~500 rows, found through their own indexes and sorted, take ~1."""
    for model_admin in admin.site._registry.values():  # a page of 2: read with a LIMIT
        monkeypatch.setattr(model_admin, "list_per_page", 2)
    url = reverse(BIG_LISTS[name])

    sql, response = statements(root, url, {"q": "longstay"})

    page = page_query(sql, table)
    assert "COALESCE(" in page.split("ORDER BY")[1], page
    plan = plan_without_scans(page)
    assert index not in plan, plan
    # The same rows in the same order as the list's own, sorted in Python.
    rows = list(response.context["cl"].result_list)
    everyone = response.context["cl"].queryset.order_by()
    key = {"appointments": "start", "messages": "due_at", "audit entries": "at"}[name]
    expected = sorted(everyone, key=lambda row: (getattr(row, key), row.pk), reverse=True)
    assert [r.pk for r in rows] == [r.pk for r in expected[:2]]
    assert len(expected) > 2


@postgresql_only
def test_many_matches_are_still_read_in_the_order_of_the_index(margaret, root, monkeypatch):
    for model_admin in admin.site._registry.values():
        monkeypatch.setattr(model_admin, "list_per_page", 2)
    monkeypatch.setattr("backoffice.admin.base.SORT_UNDER", 3)  # 4 of the client's visits

    sql, _ = statements(root, reverse(BIG_LISTS["appointments"]), {"q": "longstay"})

    page = page_query(sql, "bookings_appointment")
    assert 'ORDER BY "bookings_appointment"."start" DESC' in page, page


@postgresql_only
def test_a_column_sorted_on_keeps_its_order(margaret, root, monkeypatch):
    """A foreign key sorts by its model's ordering: not rewritten."""
    for model_admin in admin.site._registry.values():
        monkeypatch.setattr(model_admin, "list_per_page", 2)

    sql, _ = statements(root, reverse(BIG_LISTS["appointments"]), {"q": "longstay", "o": "-4"})

    assert "COALESCE(" not in page_query(sql, "bookings_appointment").split("ORDER BY")[1]


@postgresql_only
def test_the_audit_trail_searched_for_a_few_clients_reads_one_bitmap(margaret, root):
    """`client_id IN (...) OR id = ANY(ARRAY(the lists' entry ids))` rather than `id IN
    (... UNION ALL ...)`: each entry read once (12 -> 2 ms for the count, 13 -> 3 for the
    page on the bench's long client). The same entries: their views and the lists."""
    sql, response = statements(root, reverse(BIG_LISTS["audit entries"]), {"q": "longstay"})

    reads = [s for s in sql if 'FROM "clinic_auditentry"' in s]
    assert reads and all("= ANY(ARRAY(SELECT" in s and "UNION" not in s for s in reads), reads
    expected = set(
        AuditEntry.objects.filter(entries_about([margaret])).values_list("pk", flat=True)
    )
    assert shown(response) == expected
    assert len(expected) == 5  # four views and the list


def test_a_manager_s_search_still_shows_their_clinic_s_rows_only(world, margaret):
    """The scoping stays as it was with the rows made here."""
    elsewhere = factories.ClinicFactory(name="Elsewhere Clinic")
    theirs = factories.ClientFactory(clinic=elsewhere, name="Margaret Longstay Theirs")
    AuditEntry.objects.create(
        username="x", action="view", what="client page", client=theirs, clinic=elsewhere
    )
    manager = factories.UserFactory(username="manager", is_staff=True)
    Membership.objects.create(user=manager, clinic=world.clinic, role=MANAGER)
    browser = Browser()
    browser.force_login(manager)

    response = browser.get(reverse(BIG_LISTS["audit entries"]), {"q": "longstay"})

    assert response.status_code == 200
    clinics = {e.clinic_id for e in response.context["cl"].result_list}
    assert clinics <= {world.clinic.pk}
    assert theirs.name not in response.content.decode()
