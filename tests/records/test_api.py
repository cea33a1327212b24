"""GET /api/v1/clients/<id>/treatment-records/: a client's treatment records, every version,
for staff who may open them (the clinic's diary, a practitioner's own appointments); audited;
a 404 to a practitioner whose client it is not and to another organisation, nothing of
another clinic's diary to a sister clinic's desk."""

from rest_framework.test import APIClient

from access.roles import PRACTITIONER
from clinic.models import AuditEntry
from records.services import RecordInput, record_save
from tests import factories


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_staff_read_every_version_and_the_read_is_audited(cast, visits):
    first, _ = visits
    for end in (250, 280):
        record_save(
            appointment=first,
            data=RecordInput(
                notes="Raised slowly",
                areas=["jawline"],
                settings={"intensity_start": 100, "intensity_end": end, "minutes": 30},
                products=[{"product": "Oil-free gel", "lot_number": "GEL-1"}],
            ),
            by=cast.users["pat"],
        )

    answer = api(cast.users["pat"]).get(f"/api/v1/clients/{cast.olivia.pk}/treatment-records/")

    assert answer.status_code == 200
    assert [(r["version"], r["superseded"]) for r in answer.json()] == [(2, False), (1, True)]
    latest = answer.json()[0]
    assert latest["appointment"] == first.reference
    assert latest["device_settings"] == {
        "intensity_start": 100,
        "intensity_end": 280,
        "minutes": 30,
    }
    assert latest["products"] == [{"product": "Oil-free gel", "lot_number": "GEL-1"}]
    assert (latest["areas"], latest["written_by"], latest["notes"]) == (
        ["jawline"],
        "pat",
        "Raised slowly",
    )
    entry = AuditEntry.objects.get(what="treatment records", action="view", via="api")
    assert (entry.client_id, entry.username) == (cast.olivia.pk, "pat")


def test_out_of_scope_a_404_and_another_clinic_sees_none_of_this_ones(cast, visits):
    first, _ = visits
    record_save(
        appointment=first,
        data=RecordInput(notes="Secret words", settings={"intensity_start": 1, "intensity_end": 2}),
        by=cast.users["pat"],
    )
    ben = factories.StaffFactory(username="benuser", roles=[PRACTITIONER])
    cast.ben.user = ben
    cast.ben.save(update_fields=["user"])
    sister = factories.ClinicFactory(organisation=cast.world.clinic.organisation)
    sister_desk = factories.StaffFactory(username="sisterdesk", clinics=[sister])
    elsewhere = factories.StaffFactory(username="elsewhere", clinics=[factories.ClinicFactory()])
    url = f"/api/v1/clients/{cast.olivia.pk}/treatment-records/"

    answers = {
        name: api(user).get(url)
        for name, user in [
            ("ben", ben),
            ("another organisation", elsewhere),
            ("sister clinic's desk", sister_desk),
            ("client", cast.users["client"]),
            ("anonymous", None),
            ("desk", cast.users["desk"]),
        ]
    }

    assert {name: a.status_code for name, a in answers.items()} == {
        "ben": 404,
        "another organisation": 404,
        "sister clinic's desk": 200,
        "client": 403,
        "anonymous": 403,
        "desk": 200,
    }
    assert answers["sister clinic's desk"].json() == []
    assert [r["notes"] for r in answers["desk"].json()] == ["Secret words"]  # the control
    assert answers["ben"].json()["code"] == "not_found"
