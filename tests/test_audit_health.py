"""Every view of health data writes an audit entry naming the viewer, the client and what
was seen (issue 15, item 7), and whoever may not see it gets nothing of it.

The views: the availability search for a client (it tells when they may book from), the
staff API's refusals by the clinic's rules (reasons and dates from the record), and the
admin's injectable autocomplete, appointment page (flag, override), message page (a flag's
data) and injectable history. The out-of-scope cases sit in the existing matrices too
(tests/test_scoping.py)."""

# ruff: noqa: F811 -- the workspace's `cast` fixture is imported, then asked for by name.

from datetime import date, timedelta

import pytest
from django.test import Client as Browser
from django.utils import timezone
from rest_framework.test import APIClient

from aftercare.models import Message
from clinic.models import AuditEntry
from tests import factories
from tests.workspace.conftest import TODAY, cast, london  # noqa: F401 (cast: a fixture)

RECENT_FILLER = date(2027, 2, 26)  # three days before today: refused for two weeks
REFUSED_DAY = TODAY + timedelta(days=2)
AVAILABILITY = "/api/v1/availability/"


@pytest.fixture
def recent(cast):
    """Olivia had filler again three days ago: a facial massage is refused until the 12th."""
    factories.InjectableRecordFactory(
        client=cast.olivia, date=RECENT_FILLER, areas=["lips"], product="Restylane Kysse"
    )
    return cast


@pytest.fixture
def root(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


def api_as(user) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


def browser_as(user) -> Browser:
    browser = Browser()
    if user is not None:
        browser.force_login(user)
    return browser


def entries() -> list[tuple]:
    return list(
        AuditEntry.objects.order_by("pk").values_list("username", "client_id", "what", "via")
    )


def new_entries(before: list) -> list[tuple]:
    return entries()[len(before) :]


# -- the availability search for a client ------------------------------------------------


def search(cast, client_id) -> dict:
    return {
        "treatment": cast.world.treatment.slug,
        "from": TODAY.isoformat(),
        "to": (TODAY + timedelta(days=13)).isoformat(),
        "client": client_id,
    }


def test_staff_searching_for_a_client_is_an_audited_view_of_their_eligibility(recent):
    cast = recent
    before = entries()

    response = api_as(cast.users["desk"]).get(AVAILABILITY, search(cast, cast.olivia.pk))

    assert response.status_code == 200
    assert response.json()["eligible_from"] == "2027-03-12"
    assert new_entries(before) == [("desk", cast.olivia.pk, "eligibility", "api")]
    assert "no-store" in response["Cache-Control"]


def test_a_client_out_of_scope_is_no_client_and_leaves_no_entry(recent):
    """Bruno is Ben's client, not Alice's: her practitioner learns nothing of him, the same
    answer as for no client at all."""
    cast = recent
    pat = api_as(cast.users["pat"])
    before = entries()

    bruno = pat.get(AVAILABILITY, search(cast, cast.bruno.pk))
    nobody = pat.get(AVAILABILITY, search(cast, 999999))

    assert bruno.status_code == nobody.status_code == 400
    assert bruno.json() == nobody.json()
    assert "eligible_from" not in bruno.json()
    assert new_entries(before) == []


@pytest.mark.parametrize("persona", ["anonymous", "client", "norole"])
def test_only_staff_search_for_a_client(recent, persona):
    cast = recent
    before = entries()

    response = api_as(cast.users[persona]).get(AVAILABILITY, search(cast, cast.olivia.pk))

    assert response.status_code in (401, 403, 404)
    assert "2027-03-12" not in response.content.decode()
    assert new_entries(before) == []


# -- the staff API's refusals by the clinic's rules ---------------------------------------


def book_olivia_too_soon(cast, user):
    return api_as(user).post(
        "/api/v1/appointments/",
        {
            "treatment": cast.world.treatment.slug,
            "start": london(REFUSED_DAY, 11).isoformat(),
            "client_id": cast.olivia.pk,
        },
        format="json",
    )


def test_a_refusal_told_to_staff_is_an_audited_view_of_the_clients_eligibility(recent):
    cast = recent
    before = entries()

    response = book_olivia_too_soon(cast, cast.users["desk"])

    assert response.status_code == 422
    assert "12 March" in response.json()["detail"] or "2027-03-12" in str(response.json())
    assert new_entries(before) == [("desk", cast.olivia.pk, "eligibility", "api")]
    assert AuditEntry.objects.latest("pk").details["refusal"] == response.json()["code"]
    assert "no-store" in response["Cache-Control"]


def test_a_refused_move_told_to_staff_is_audited_too(recent):
    cast = recent
    before = entries()

    response = api_as(cast.users["desk"]).post(
        f"/api/v1/appointments/{cast.olivia_visit.reference}/reschedule/",
        {"start": london(REFUSED_DAY, 11).isoformat()},
        format="json",
    )

    assert response.status_code == 422
    assert new_entries(before) == [("desk", cast.olivia.pk, "eligibility", "api")]


def test_a_role_that_does_not_book_gets_no_reasons_and_leaves_no_entry(recent):
    cast = recent
    before = entries()

    response = book_olivia_too_soon(cast, cast.users["pat"])

    assert response.status_code == 403
    assert "March" not in response.json()["detail"]
    assert new_entries(before) == []


# -- the admin ------------------------------------------------------------------------------


def autocomplete(term: str) -> dict:
    return {
        "app_label": "clinical",
        "model_name": "injectablerecord",
        "field_name": "corrects",
        "term": term,
    }


def test_the_injectable_autocomplete_is_an_audited_view_of_the_records_it_offers(recent, root):
    cast = recent
    before = entries()

    response = browser_as(root).get("/admin/autocomplete/", autocomplete("Olivia"))

    assert response.status_code == 200
    offered = [r["text"] for r in response.json()["results"]]
    assert offered and all("filler" in text for text in offered)
    assert new_entries(before) == [("root", cast.olivia.pk, "injectables", "admin")]
    assert AuditEntry.objects.latest("pk").details == {"page": "autocomplete"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["anonymous", "client", "desk", "mia"])
def test_the_injectable_autocomplete_is_the_superusers_alone(recent, persona):
    cast = recent
    before = entries()

    response = browser_as(cast.users[persona]).get("/admin/autocomplete/", autocomplete(""))

    assert response.status_code in (302, 403, 404)
    assert "filler" not in response.content.decode().lower()
    assert new_entries(before) == []


def admin_pages(cast) -> dict:
    record = cast.olivia.injectables.order_by("pk").first()
    flagged = Message.objects.create(
        kind=Message.Kind.FLAGGED,
        client=cast.olivia,
        clinic=cast.world.clinic,
        appointment=cast.olivia_visit,
        due_at=timezone.now(),
        key=f"flagged:{cast.olivia_visit.pk}",
        data={"reason": "Filler in the lips on 26 February: wait until 12 March."},
    )
    return {
        "appointment flag and override": (
            f"/admin/bookings/appointment/{cast.olivia_visit.pk}/change/",
            {},
        ),
        "message data": (f"/admin/aftercare/message/{flagged.pk}/change/", {}),
        "injectables": (
            f"/admin/clinical/injectablerecord/{record.pk}/history/",
            {"page": "history"},
        ),
    }


@pytest.mark.parametrize("what", ["appointment flag and override", "message data", "injectables"])
def test_the_admins_health_pages_are_audited_views(recent, root, what):
    cast = recent
    url, details = admin_pages(cast)[what]
    before = entries()

    response = browser_as(root).get(url)

    assert response.status_code == 200
    assert new_entries(before) == [("root", cast.olivia.pk, what, "admin")]
    assert AuditEntry.objects.latest("pk").details == details
    assert "no-store" in response["Cache-Control"]


def test_the_appointment_list_filtered_on_the_flag_is_audited(recent, root):
    cast = recent
    cast.olivia_visit.eligibility_flag = "Filler on 26 February."
    cast.olivia_visit.save(update_fields=["eligibility_flag"])
    before = entries()

    browser_as(root).get("/admin/bookings/appointment/", {"flagged": "yes"})

    assert new_entries(before) == [
        ("root", cast.olivia.pk, "appointment flag and override", "admin")
    ]


@pytest.mark.parametrize("persona", ["anonymous", "client", "norole", "pat"])
def test_the_admins_health_pages_are_refused_out_of_scope(recent, persona):
    cast = recent
    for url, _ in admin_pages(cast).values():
        before = entries()

        response = browser_as(cast.users[persona]).get(url)

        assert response.status_code in (302, 403, 404), url
        assert b"26 February" not in response.content
        assert b"filler" not in response.content.lower()
        assert new_entries(before) == [], url
