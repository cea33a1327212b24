"""The audit trail's paths keep which page was seen, never a secret or a person's words:
a booking's manage token, a search for a name or an email, a reason sent in the address."""

# ruff: noqa: F811 -- the workspace's `cast` fixture is asked for by name.

from django.test import Client as Browser
from rest_framework.test import APIClient

from clinic.models import AuditEntry
from tests import factories


def test_a_manage_token_in_the_address_is_not_written_to_the_trail(cast):
    visit = cast.olivia_visit
    api = APIClient()
    api.force_authenticate(cast.users["desk"])

    response = api.get(f"/api/v1/appointments/{visit.reference}/", {"token": visit.manage_token})

    assert response.status_code == 200
    entry = AuditEntry.objects.latest("pk")
    assert (entry.username, entry.client_id) == ("desk", cast.olivia.pk)
    assert visit.manage_token not in entry.path
    assert entry.path == f"/api/v1/appointments/{visit.reference}/?token=[hidden]"


def test_a_search_for_a_client_is_not_written_to_the_trail(cast):
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Browser()
    browser.force_login(root)

    browser.get("/admin/clinical/injectablerecord/", {"q": "olivia.turner@example.com", "o": "2"})

    entry = AuditEntry.objects.latest("pk")
    assert entry.client_id == cast.olivia.pk
    assert entry.path == "/admin/clinical/injectablerecord/?q=[hidden]&o=2"


def test_a_reason_in_the_address_is_not_written_but_the_day_is(cast):
    browser = Browser()
    browser.force_login(cast.users["mia"])

    browser.get(
        f"/staff/clients/{cast.olivia.pk}/book/",
        {
            "treatment": cast.world.treatment.slug,
            "date": "2027-03-02",
            "override_reason": "filler in lips 29 Nov",
        },
    )

    entry = AuditEntry.objects.latest("pk")
    assert entry.what == "eligibility" and entry.client_id == cast.olivia.pk
    assert "lips" not in entry.path
    assert "treatment=manual-facial-massage&date=2027-03-02&override_reason=[hidden]" in entry.path


def test_each_signed_link_loses_its_token(db):
    from clinic.audit import audit_path  # new with this test: the others run without it

    assert audit_path("/booking/LUM-1234/abc:def/cancel/") == "/booking/LUM-1234/[hidden]/cancel/"
    assert audit_path("/hold/LUM-1234/abc:def/") == "/hold/LUM-1234/[hidden]/"
    assert audit_path("/aftercare/unsubscribe/12:xyz/") == "/aftercare/unsubscribe/[hidden]/"
    assert (
        audit_path("/staff/?q=Olivia+Turner&clinic=lumiere") == "/staff/?q=[hidden]&clinic=lumiere"
    )
