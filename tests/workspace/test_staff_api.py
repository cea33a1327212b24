"""The staff endpoints of docs/api.md: who may call them, client search and creation, a
client's injectables and eligibility. Health data is for staff only: everyone else gets 403.
"""

from datetime import date

import pytest
from rest_framework.test import APIClient

from bookings.models import Appointment
from clinic.models import Client
from clinical.models import InjectableRecord
from tests import factories
from tests.helpers import logged_in

CLIENTS = "/api/v1/clients/"


@pytest.fixture
def olivia(world):
    return factories.ClientFactory(
        clinic=world.clinic,
        user=factories.UserFactory(username="olivia"),
        name="Olivia Turner",
        email="olivia.turner@example.com",
        phone="07700 900101",
    )


@pytest.fixture
def desk(world):
    return logged_in(factories.StaffFactory(username="desk"))


def staff_urls(client_id: int) -> list[tuple[str, str]]:
    return [
        ("get", f"{CLIENTS}?q=olivia"),
        ("post", CLIENTS),
        ("get", f"{CLIENTS}{client_id}/injectables/"),
        ("post", f"{CLIENTS}{client_id}/injectables/"),
        ("get", f"{CLIENTS}{client_id}/declarations/"),
        ("post", f"{CLIENTS}{client_id}/declarations/"),
        ("get", f"{CLIENTS}{client_id}/eligibility/?treatment=manual-facial-massage"),
        ("get", "/api/v1/appointments/?date=2027-03-10"),
    ]


@pytest.mark.parametrize("caller", ["anonymous", "client", "inactive staff"])
def test_everyone_but_staff_gets_403_and_no_health_data(world, olivia, caller):
    factories.InjectableRecordFactory(client=olivia, date=date(2027, 2, 20))
    api = {
        "anonymous": APIClient(),
        "client": logged_in(olivia.user),
        "inactive staff": logged_in(factories.StaffFactory(username="gone", is_active=False)),
    }[caller]
    before = (Client.objects.count(), InjectableRecord.objects.count())

    for method, url in staff_urls(olivia.pk):
        response = getattr(api, method)(url, {"kind": "filler", "date": "2027-02-01"})
        assert response.status_code == 403, (method, url, response.content)
        assert response.json()["code"] in {"permission_denied", "not_authenticated"}
        assert "2027-02-20" not in response.content.decode()

    assert (Client.objects.count(), InjectableRecord.objects.count()) == before


def test_staff_may_call_every_staff_endpoint(world, olivia, desk):
    for method, url in staff_urls(olivia.pk):
        if method == "post":
            continue
        assert desk.get(url).status_code == 200, url


@pytest.mark.parametrize("q", ["olivia", "TURNER", "olivia.turner@", "900101", "07700 900101"])
def test_client_search_by_name_email_or_phone(world, olivia, desk, q):
    factories.ClientFactory(clinic=world.clinic, name="James Whitfield", phone="07700 900214")

    response = desk.get(CLIENTS, {"q": q})

    assert response.status_code == 200
    assert [c["name"] for c in response.json()] == ["Olivia Turner"]
    assert response.json()[0] == {
        "id": olivia.pk,
        "name": "Olivia Turner",
        "email": "olivia.turner@example.com",
        "phone": "07700 900101",
        "clinic": "lumiere",
    }


def test_staff_create_a_client_once_per_email(world, desk):
    new = {"name": "Hannah Okafor", "email": "hannah@example.com", "phone": "07911 123327"}

    created = desk.post(CLIENTS, new, format="json")
    again = desk.post(CLIENTS, {**new, "email": "HANNAH@example.com"}, format="json")

    assert created.status_code == 201, created.json()
    assert again.status_code == 409
    assert again.json()["code"] == "client_exists"
    assert again.json()["id"] == created.json()["id"]
    assert Client.objects.count() == 1


def test_creating_a_client_with_several_clinics_needs_the_clinic(world):
    second = factories.ClinicFactory(slug="second", organisation=world.clinic.organisation)
    desk = logged_in(factories.StaffFactory(username="desk", clinics=[world.clinic, second]))

    response = desk.post(CLIENTS, {"name": "Ann", "email": "ann@example.com"}, format="json")

    assert response.status_code == 400
    assert "clinic" in response.json()["fields"]
    named = desk.post(
        CLIENTS, {"name": "Ann", "email": "ann@example.com", "clinic": "second"}, format="json"
    )
    assert named.status_code == 201
    assert Client.objects.get(email="ann@example.com").home_clinic == second


def test_a_clinic_that_is_not_theirs_is_no_such_clinic(world, desk):
    factories.ClinicFactory(slug="elsewhere")  # another organisation's

    response = desk.post(
        CLIENTS, {"name": "Ann", "email": "ann@example.com", "clinic": "elsewhere"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["clinic"] == ["No clinic is called 'elsewhere'."]
    assert not Client.objects.filter(email="ann@example.com").exists()


def test_staff_record_an_injectable_with_its_details(world, olivia, desk):
    response = desk.post(
        f"{CLIENTS}{olivia.pk}/injectables/",
        {
            "kind": "filler",
            "date": "2027-02-20",
            "product": "Juvederm Volbella",
            "lot_number": "V1234",
            "amount": "1.00",
            "amount_unit": "ml",
            "areas": ["lips"],
            "given_here": False,
            "given_at": "Another clinic, Harley Street",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    record = response.json()["injectable"]
    assert record["source"] == "staff"
    assert record["recorded_by"] == "desk"
    assert (record["product"], record["lot_number"], record["amount"]) == (
        "Juvederm Volbella",
        "V1234",
        "1.00",
    )
    listed = desk.get(f"{CLIENTS}{olivia.pk}/injectables/").json()
    assert [r["id"] for r in listed] == [record["id"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "filler", "date": "2027-03-02"}, "date"),  # tomorrow
        ({"kind": "filler", "date": "2027-02-20", "areas": ["knee"]}, "areas"),
        ({"kind": "laser", "date": "2027-02-20"}, "kind"),
        ({"kind": "filler", "date": "2027-02-20", "corrects": 999999}, "corrects"),
        ({"kind": "filler", "date": "2027-02-20", "amount": "-1"}, "amount"),
    ],
)
def test_bad_injectables_are_400_and_store_nothing(world, olivia, desk, data, field):
    response = desk.post(f"{CLIENTS}{olivia.pk}/injectables/", data, format="json")

    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()["fields"])
    assert not InjectableRecord.objects.exists()


def test_an_unknown_client_is_404(world, desk):
    assert desk.get(f"{CLIENTS}999999/injectables/").status_code == 404
    assert desk.get(f"{CLIENTS}999999/eligibility/?treatment=x").json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("on", "decision", "warnings"),
    [("2027-03-01", "refused", 0), ("2027-03-10", "warn", 1), ("2027-03-20", "allowed", 0)],
)
def test_eligibility_says_whether_and_from_when(world, olivia, desk, on, decision, warnings):
    factories.InjectableRecordFactory(
        client=olivia, kind="filler", date=date(2027, 2, 20), areas=["cheeks"]
    )

    response = desk.get(
        f"{CLIENTS}{olivia.pk}/eligibility/", {"treatment": "manual-facial-massage", "date": on}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == decision
    assert body["earliest_date"] == "2027-03-06"
    assert body["recommended_date"] == "2027-03-20"
    assert len(body["warnings"]) == warnings
    assert body["cautions"] == ["avoid deep pressure: cheeks (filler 2027-02-20)"]


def test_eligibility_of_a_client_with_no_record_is_allowed(world, olivia, desk):
    body = desk.get(
        f"{CLIENTS}{olivia.pk}/eligibility/", {"treatment": "manual-facial-massage"}
    ).json()

    assert body == {
        "decision": "allowed",
        "earliest_date": None,
        "recommended_date": None,
        "reasons": [],
        "warnings": [],
        "cautions": [],
    }


def test_adding_an_injectable_in_the_admin_flags_the_appointment(world, olivia, client):
    made = logged_in(olivia.user).post(
        "/api/v1/appointments/",
        {"treatment": "manual-facial-massage", "start": "2027-03-10T10:00:00+00:00"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    client.force_login(factories.UserFactory(username="boss", is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/clinical/injectablerecord/add/",
        {
            "client": olivia.pk,
            "kind": "botox",
            "date": "2027-03-01",
            "areas": ["forehead"],
            "source": "staff",
            "amount_unit": "",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert b"flagged" in response.content
    record = InjectableRecord.objects.get()
    assert (record.areas, record.recorded_by.username) == (["forehead"], "boss")
    assert Appointment.objects.get().eligibility_flag
