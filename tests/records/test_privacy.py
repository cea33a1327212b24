"""Treatment records are the client's data: in their export (every version, with products
and lots, and the recalls that reached them), moved by a merge, and gone after
anonymisation, with nothing of them left in any text column."""

import json
from datetime import timedelta

import time_machine

from clinic.models import Client
from privacy.anonymise import client_anonymise
from privacy.merge import client_merge
from records.models import RecallClient, RecordProduct, TreatmentRecord
from records.services import RecordInput, recall_record, record_save
from tests import factories
from tests.privacy.test_anonymise import database_holding
from tests.records.conftest import NEXT_WEEK
from tests.workspace.conftest import london

NOTES = "Olivia Turner asked for firmer work on the jawline next time."
PRESSURE = "Feather-light over the filler in her lips."


def write(cast, appointment, **changes):
    data = RecordInput(
        notes=NOTES,
        areas=["jawline"],
        pressure=PRESSURE,
        products=[{"product": "Conductive gel", "lot_number": "GEL-77"}],
        settings={"intensity_start": "80", "intensity_end": "200"},
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return record_save(appointment=appointment, data=data, by=cast.users["pat"])


def test_the_export_holds_every_version_and_the_recalls(cast, visits):
    first, _ = visits
    write(cast, first)
    write(cast, first, settings={"intensity_start": "80", "intensity_end": "220"})
    recall_record(
        clinic=cast.world.clinic, product="Conductive gel", lot_number="gel-77", reason="X", by=None
    )

    response = cast.browser("mia").get(f"/staff/clients/{cast.olivia.pk}/export.json")

    data = json.loads(response.content)
    records = data["treatment_records"]
    assert [(r["version"], r["device_settings"]["intensity_end"]) for r in records] == [
        (1, 200),
        (2, 220),
    ]
    assert records[0]["notes"] == NOTES and records[0]["written_by"] == "pat"
    assert records[0]["products"][0]["lot_number"] == "GEL-77"
    stored = {f.name for f in TreatmentRecord._meta.concrete_fields} - {"client"}
    assert stored <= set(records[0])
    assert {f.name for f in RecordProduct._meta.concrete_fields} - {"record"} <= set(
        records[0]["products"][0]
    )
    assert [(r["recall"]["lot_number"], r["found_in"]) for r in data["recalls"]] == [
        ("GEL-77", [f"record:{records[1]['id']}"])
    ]


def test_anonymising_removes_the_records_and_leaves_no_word_of_them(cast, visits):
    first, _ = visits
    write(cast, first)
    write(cast, first, notes=NOTES + " Amended.")
    recall_record(
        clinic=cast.world.clinic, product="Conductive gel", lot_number="GEL-77", reason="X", by=None
    )
    needles = ["Olivia Turner", "firmer work on the jawline", "Feather-light"]
    assert len(database_holding(needles)) >= 2  # the search sees the records' words

    with time_machine.travel(london(NEXT_WEEK + timedelta(days=1), 9), tick=False):
        client_anonymise(client=cast.olivia)

    assert database_holding(needles) == []
    assert not TreatmentRecord.objects.exists() and not RecordProduct.objects.exists()
    assert not RecallClient.objects.exists()


def test_a_merge_moves_the_records_to_the_survivor(cast, visits):
    first, _ = visits
    write(cast, first)
    survivor = factories.ClientFactory(clinic=cast.world.clinic, name="Olivia T")

    client_merge(survivor=survivor, duplicate=cast.olivia, by=cast.users["mia"])

    assert not Client.objects.filter(pk=cast.olivia.pk).exists()
    assert TreatmentRecord.objects.get().client == survivor
