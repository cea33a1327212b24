"""The audit trail: the staff API's answers with health data write it as the workspace pages
do, and managers read it on /staff/audit/ and in a read-only admin."""

from datetime import date

import pytest

from clinic.audit import entries_about
from clinic.models import AuditEntry
from diary.services import appointment_book, appointment_reschedule
from tests import factories
from tests.helpers import logged_in
from tests.workspace.conftest import TODAY, london

CLIENTS = "/api/v1/clients/"
FROM = {"REMOTE_ADDR": "192.0.2.10", "HTTP_USER_AGENT": "DeskApp/2.1"}


def calls(cast):
    olivia = cast.olivia.pk
    slug = cast.world.treatment.slug
    return [
        ("get", f"{CLIENTS}{olivia}/injectables/", {}, "view", "injectables"),
        (
            "post",
            f"{CLIENTS}{olivia}/injectables/",
            {"kind": "filler", "date": "2027-02-27", "areas": ["chin"]},
            "record",
            "injectables",
        ),
        ("get", f"{CLIENTS}{olivia}/declarations/", {}, "view", "declarations"),
        (
            "post",
            f"{CLIENTS}{olivia}/declarations/",
            {"condition": "pregnancy"},
            "record",
            "declarations",
        ),
        ("get", f"{CLIENTS}{olivia}/eligibility/?treatment={slug}", {}, "view", "eligibility"),
        ("get", f"/api/v1/appointments/?date={TODAY}", {}, "view", "day list cautions"),
        (
            "get",
            f"/api/v1/appointments/{cast.olivia_visit.reference}/",
            {},
            "view",
            "appointment cautions",
        ),
    ]


@pytest.mark.parametrize("index", range(7))
def test_each_health_endpoint_of_the_staff_api_writes_an_entry(cast, index):
    method, url, body, action, what = calls(cast)[index]
    api = logged_in(cast.users["desk"])

    response = getattr(api, method)(url, body, format="json", **FROM)

    assert response.status_code in (200, 201), response.content
    entry = AuditEntry.objects.filter(entries_about([cast.olivia])).get()
    assert cast.olivia.pk in entry.client_ids()
    assert (entry.action, entry.what, entry.via) == (action, what, "api")
    assert (entry.username, entry.ip, entry.user_agent) == ("desk", "192.0.2.10", "DeskApp/2.1")
    assert entry.path == url


def test_the_day_list_audits_every_client_on_it_in_one_entry(cast):
    logged_in(cast.users["mia"]).get("/api/v1/appointments/", {"date": TODAY.isoformat()})

    [entry] = AuditEntry.objects.all()
    assert entry.client is None
    assert entry.client_ids() == sorted([cast.olivia.pk, cast.bruno.pk])


def test_a_search_is_not_health_data(cast):
    logged_in(cast.users["desk"]).get(CLIENTS, {"q": "olivia"})

    assert not AuditEntry.objects.exists()


def test_managers_read_the_trail_newest_first_and_by_client(cast):
    cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")
    cast.browser("pat").get(f"/staff/clients/{cast.olivia.pk}/")
    cast.browser("desk").get(f"/staff/clients/{cast.bruno.pk}/")
    mia = cast.browser("mia")

    everything = mia.get("/staff/audit/")
    olivias = mia.get("/staff/audit/", {"client": cast.olivia.pk})
    pats = mia.get("/staff/audit/", {"user": "pat"})

    assert [(e.username, e.client_id) for e in everything.context["page"]] == [
        ("desk", cast.bruno.pk),
        ("pat", cast.olivia.pk),
        ("desk", cast.olivia.pk),
    ]
    assert len(olivias.context["page"]) == 2
    assert [e.username for e in pats.context["page"]] == ["pat"]
    assert "client page" in everything.content.decode()


def test_the_admin_shows_the_trail_read_only(cast):
    cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")
    entry = AuditEntry.objects.get()
    admin = cast.browser("mia")

    assert admin.get(f"/admin/clinic/auditentry/{entry.pk}/change/").status_code == 200
    assert admin.get("/admin/clinic/auditentry/add/").status_code == 403
    admin.post(f"/admin/clinic/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.fixture
def superuser_admin(client):
    user = factories.UserFactory(username="owner", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_health_data_seen_in_the_admin_joins_the_trail(cast, superuser_admin):
    """The admin is the superusers' back door to the same records: it is audited too, one
    entry per client whose health data a page showed, marked "admin"."""
    record = cast.olivia.injectables.get()
    declaration = factories.HealthDeclarationFactory(
        client=cast.bruno, condition="epilepsy", declared_on=TODAY
    )

    pages = [
        ("/admin/clinical/injectablerecord/", "injectables", {cast.olivia.pk}),
        (f"/admin/clinical/injectablerecord/{record.pk}/change/", "injectables", {cast.olivia.pk}),
        ("/admin/clinical/healthdeclaration/", "declarations", {cast.bruno.pk}),
        (
            f"/admin/clinical/healthdeclaration/{declaration.pk}/change/",
            "declarations",
            {cast.bruno.pk},
        ),
        (f"/admin/clinic/client/{cast.olivia.pk}/change/", "client page", {cast.olivia.pk}),
    ]
    for url, what, clients in pages:
        AuditEntry.objects.all().delete()
        assert superuser_admin.get(url, **FROM).status_code == 200, url
        entries = AuditEntry.objects.all()
        assert {e.client_id for e in entries} == clients, url
        assert {(e.action, e.what, e.via, e.username) for e in entries} == {
            ("view", what, "admin", "owner")
        }, url


def test_the_admin_s_client_list_shows_no_health_data_and_is_not_audited(cast, superuser_admin):
    assert superuser_admin.get("/admin/clinic/client/").status_code == 200
    assert not AuditEntry.objects.exists()


def test_behind_a_proxy_the_trail_names_the_client_s_address_not_the_proxy_s(cast, settings):
    settings.PROXY_COUNT = 1
    api = logged_in(cast.users["desk"])

    api.get(
        f"{CLIENTS}{cast.olivia.pk}/injectables/",
        REMOTE_ADDR="10.0.0.2",  # the proxy
        HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7",  # what the caller claimed, then who
    )

    assert AuditEntry.objects.get().ip == "203.0.113.7"


@pytest.fixture
def bruno_refused_friday(cast):
    """Bruno had filler on 28 February and is booked on 15 March, when that is allowed; a
    move to Friday 5 March would be refused."""
    factories.InjectableRecordFactory(client=cast.bruno, date=date(2027, 2, 28))
    return appointment_book(
        treatment=cast.world.treatment,
        start=london(date(2027, 3, 15), 14),
        client=cast.bruno,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    ).appointment


def test_an_override_on_reschedule_by_the_api_writes_its_entry(cast, bruno_refused_friday):
    url = f"/api/v1/appointments/{bruno_refused_friday.reference}/reschedule/"
    body = {
        "start": london(date(2027, 3, 5), 10).isoformat(),
        "override_reason": "Filler in the lips only; the massage avoids them.",
    }

    response = logged_in(cast.users["mia"]).post(url, body, format="json", **FROM)

    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(action=AuditEntry.Action.OVERRIDE)
    assert (entry.username, entry.client, entry.via) == ("mia", cast.bruno, "api")
    assert (entry.path, entry.ip) == (url, "192.0.2.10")
    assert entry.details == {"reference": bruno_refused_friday.reference}


def test_an_override_on_reschedule_by_the_page_writes_its_entry(cast, bruno_refused_friday):
    url = f"/staff/appointments/{bruno_refused_friday.reference}/reschedule/"
    body = {
        "start": london(date(2027, 3, 5), 10).isoformat(),
        "override_reason": "Filler in the lips only; the massage avoids them.",
    }

    response = cast.browser("mia").post(url, body, **FROM)

    assert response.status_code == 302
    bruno_refused_friday.refresh_from_db()
    assert bruno_refused_friday.start == london(date(2027, 3, 5), 10)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.OVERRIDE)
    assert (entry.username, entry.client, entry.via) == ("mia", cast.bruno, "workspace")
    assert (entry.path, entry.ip) == (url, "192.0.2.10")
    assert entry.details == {"reference": bruno_refused_friday.reference}


def test_an_override_by_the_service_alone_is_audited_too(cast, bruno_refused_friday):
    """A caller without a request (a command, a script) cannot skip the entry."""
    appointment_reschedule(
        appointment=bruno_refused_friday,
        start=london(date(2027, 3, 5), 10),
        by=cast.users["mia"],
        override_reason="Filler in the lips only; the massage avoids them.",
    )

    entry = AuditEntry.objects.get(action=AuditEntry.Action.OVERRIDE)
    assert (entry.username, entry.client, entry.via, entry.path) == (
        "mia",
        cast.bruno,
        "system",
        "",
    )
