"""A page that shows many clients writes one audit entry naming them all, and every reader of
the trail (the manager's page, the admin, the export, merge, anonymisation) still finds it
under each of them."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic import audit
from clinic.models import AuditEntry, AuditSubject
from diary.services import appointment_book
from privacy.anonymise import client_anonymise
from privacy.export import client_export
from privacy.merge import client_merge
from tests import factories
from tests.workspace.conftest import TODAY, london
from tests.workspace.test_grid import _busy_clinic


def week_sheet(browser):
    response = browser.get("/staff/sheet/", {"date": TODAY.isoformat(), "span": "week"})
    assert response.status_code == 200
    return response


def list_entry(cast, clients, *, path="/staff/sheet/?span=week"):
    """An entry of a list (a day sheet) that showed `clients`, as the sheet writes it."""
    audit.audit_write(
        user=cast.users["desk"],
        origin=audit.Origin(via=audit.WORKSPACE, clinic_id=cast.world.clinic.pk, path=path),
        action=AuditEntry.Action.VIEW,
        what=audit.DAY_SHEET,
        clients=clients,
    )
    return AuditEntry.objects.latest("pk")


def test_the_week_sheet_writes_one_entry_naming_every_client_shown(cast):
    week_sheet(cast.browser("desk"))

    [entry] = AuditEntry.objects.all()
    assert entry.client is None and entry.what == audit.DAY_SHEET
    assert entry.client_ids() == sorted([cast.olivia.pk, cast.bruno.pk])
    assert entry.details == {"first_day": "2027-03-01", "last_day": "2027-03-07"}


def test_the_week_sheet_of_300_clients_is_one_entry_in_as_many_queries_as_of_two(cast):
    browser = cast.browser("desk")
    week_sheet(browser)  # the session and the user's roles, as on any later page
    with CaptureQueriesContext(connection) as few:
        week_sheet(browser)

    _busy_clinic(cast)
    with CaptureQueriesContext(connection) as many:
        response = week_sheet(browser)

    shown = sum(len(group) for d in response.context["days"] for _, group in d.groups)
    assert shown == 302
    assert len(many) == len(few)
    latest = AuditEntry.objects.latest("pk")
    assert len(latest.client_ids()) == 302
    assert AuditEntry.objects.count() == 3  # one per view


def test_a_view_of_one_client_names_them_on_the_entry_itself(cast):
    cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")

    [entry] = AuditEntry.objects.all()
    assert entry.client == cast.olivia and not AuditSubject.objects.exists()


def test_the_manager_s_trail_of_a_client_lists_the_sheets_that_showed_them(cast):
    week_sheet(cast.browser("desk"))
    cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")
    mia = cast.browser("mia")

    bruno = mia.get("/staff/audit/", {"client": cast.bruno.pk})
    everything = mia.get("/staff/audit/")

    [sheet] = bruno.context["page"]
    assert sheet.what == audit.DAY_SHEET and sheet.listed == 2
    assert "a list of 2 clients" in bruno.content.decode()
    assert len(everything.context["page"]) == 2


def test_the_admin_finds_the_sheets_that_showed_a_client_by_their_name(cast):
    week_sheet(cast.browser("desk"))
    cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")
    sheet = AuditEntry.objects.get(what=audit.DAY_SHEET)
    admin = cast.browser("mia")

    found = admin.get("/admin/clinic/auditentry/", {"q": "Bruno"})
    page = admin.get(f"/admin/clinic/auditentry/{sheet.pk}/change/").content.decode()

    assert [e.pk for e in found.context["cl"].result_list] == [sheet.pk]
    assert "a list of 2 clients" in found.content.decode()
    assert f"Bruno Costa ({cast.bruno.pk})" in page and f"Olivia Turner ({cast.olivia.pk})" in page


def test_a_client_s_export_holds_the_lists_that_showed_them_and_no_one_else(cast):
    week_sheet(cast.browser("desk"))
    sheet = AuditEntry.objects.get()

    response = cast.browser("mia").get(f"/staff/clients/{cast.bruno.pk}/export.json")

    data = json.loads(response.content)
    assert [(e["id"], e["what"]) for e in data["audit"]] == [
        (sheet.pk, audit.DAY_SHEET),
        (sheet.pk + 1, audit.PERSONAL_DATA),  # this export
    ]
    # The entry's own fields only: not the other clients the list showed.
    stored = {f.name for f in AuditEntry._meta.concrete_fields} - {"client", "user"}
    assert set(data["audit"][0]) == stored


def test_a_merge_moves_the_lists_that_showed_the_duplicate_to_the_survivor(cast):
    twin = factories.ClientFactory(clinic=cast.world.clinic, name="Olivia T.", email="o@w.com")
    with_bruno = list_entry(cast, [twin, cast.bruno])
    with_both = list_entry(cast, [twin, cast.olivia])

    merged = client_merge(survivor=cast.olivia, duplicate=twin, by=cast.users["mia"])

    assert with_bruno.client_ids() == sorted([cast.olivia.pk, cast.bruno.pk])
    assert with_both.client_ids() == [cast.olivia.pk]  # named once
    assert merged.moved["auditsubject"] == 1
    olivias = AuditEntry.objects.filter(audit.entries_about([cast.olivia]))
    assert {with_bruno.pk, with_both.pk} <= set(olivias.values_list("pk", flat=True))


def test_anonymisation_scrubs_the_lists_that_showed_them_and_keeps_them_in_the_trail(cast):
    hers = list_entry(cast, [cast.olivia, cast.bruno], path="/staff/sheet/olivia/")
    # Bruno's alone: a path that merely holds the word is not about her.
    his = list_entry(cast, [cast.bruno, factories.ClientFactory(clinic=cast.world.clinic)])
    AuditEntry.objects.filter(pk=his.pk).update(path="/staff/sheet/olivia/")

    with time_machine.travel(london(TODAY + timedelta(days=7), 9), tick=False):  # none to come
        client_anonymise(client=cast.olivia)

    hers.refresh_from_db()
    his.refresh_from_db()
    assert hers.path == "/staff/sheet/[hidden]/"
    assert hers.client_ids() == sorted([cast.olivia.pk, cast.bruno.pk])
    assert his.path == "/staff/sheet/olivia/"


@pytest.mark.parametrize("visits", [2, 12])
def test_the_export_reads_a_history_in_a_fixed_number_of_queries(cast, visits):
    for day in range(1, visits + 1):
        appointment_book(
            treatment=cast.world.treatment,
            start=london(TODAY + timedelta(days=day), 14),
            client=cast.bruno,
            by=cast.users["desk"],
            acknowledge_warnings=True,
        )
        list_entry(cast, [cast.bruno, cast.olivia])
    cast.browser("desk").get(f"/staff/clients/{cast.bruno.pk}/")

    with CaptureQueriesContext(connection) as captured:
        data = client_export(cast.bruno)

    assert len(data["appointments"]) == visits + 1
    assert sum(len(a["history"]) for a in data["appointments"]) == visits + 1
    assert len(data["audit"]) == visits + 1  # the lists and the page
    # One per kind of row: sign-offs, signed forms, payments, fees, treatment records (and
    # their products), photos, photo consents, recalls, courses and the waitlist too.
    # The courses and the waitlist: one query each (their sessions, offers and reasons only
    # when there are any).
    assert len(captured) == 18
