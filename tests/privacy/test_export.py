"""The export's JSON (privacy/export.py client_export_json, the manager's download) is the
value the clinic holds: on PostgreSQL its timestamps and stored JSON are written by the
database and spliced in unparsed; what a manager downloads parses to what client_export's
Python values give through DjangoJSONEncoder, which the other export tests check field by
field, and to the same on the plain path (SQLite's, everything read into Python first)."""

import json
from datetime import UTC, date, datetime, timedelta

import time_machine
from django.core.serializers.json import DjangoJSONEncoder

from aftercare.models import Message
from bookings.models import AppointmentChange, SignOff
from clinic.audit import entries_about
from clinic.models import AuditEntry
from money.services import payment_record
from privacy import export
from records.services import RecordInput, record_save
from tests import factories
from tests.records.conftest import microcurrent, visits  # noqa: F401
from tests.workspace.conftest import TODAY, london
from waitlist.services import entry_join

# A fraction of a second DjangoJSONEncoder cuts to milliseconds, one it cuts to ".000",
# and none (written without a fraction).
FRACTIONS = [123456, 500, 0]


def a_full_record(cast, visits):  # noqa: F811
    """Olivia with a little of everything an export holds, non-ASCII text and timestamps
    with and without fractions of a second among it."""
    olivia, first = cast.olivia, visits[0]
    factories.InjectableRecordFactory(client=olivia, date=date(2027, 2, 25))
    factories.HealthDeclarationFactory(
        client=olivia, condition="epilepsy", declared_on=date(2026, 5, 1), notes="Légère."
    )
    SignOff.objects.create(
        appointment=first, status=SignOff.Status.APPROVED, reasons=["Grossesse : vérifiée ✓"]
    )
    Message.objects.create(
        kind=Message.Kind.CONFIRMATION,
        client=olivia,
        clinic=cast.world.clinic,
        due_at=datetime(2027, 3, 1, 9, 30, 15, 250_000, tzinfo=UTC),
        key="export-test",
        data={"nested": {"b": [1, 2.5, None, True], "a": "café"}, "empty": {}},
    )
    payment_record(
        appointment=first, amount="40", kind="deposit", method="cash", by=cast.users["desk"]
    )
    record_save(
        appointment=first,
        data=RecordInput(
            notes="Firmer on the jaw.",
            areas=["jawline"],
            products=[],
            settings={"intensity_start": "80", "intensity_end": "200"},
        ),
        by=cast.users["pat"],
    )
    entry_join(
        client=olivia,
        treatment=cast.world.treatment,
        first_day=TODAY + timedelta(days=1),
        last_day=TODAY + timedelta(days=8),
    )
    changes = AppointmentChange.objects.filter(appointment__client=olivia).order_by("pk")
    for change, fraction in zip(changes, FRACTIONS * len(changes), strict=False):
        change.at = change.at.replace(microsecond=fraction)
        change.save(update_fields=["at"])
    AuditEntry.objects.filter(entries_about([olivia])).update(
        at=datetime(2027, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC)
    )


def parsed_python_values(client) -> dict:
    data = json.loads(json.dumps(export.client_export(client), cls=DjangoJSONEncoder))
    data.pop("exported_at")
    return data


def test_the_downloaded_json_is_the_python_export_encoded(cast, visits):  # noqa: F811
    a_full_record(cast, visits)
    olivia = cast.olivia

    response = cast.browser("mia").get(f"/staff/clients/{olivia.pk}/export.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    downloaded = json.loads(response.content)
    exported_at = downloaded.pop("exported_at")
    assert exported_at.endswith("Z")
    expected = parsed_python_values(olivia)
    # Sections in the same order, and every key in the same order, not just equal.
    assert json.dumps(downloaded) == json.dumps(expected)
    for section in ("injectables", "declarations", "treatment_records", "payments", "waitlist"):
        assert downloaded[section], section
    [visit] = [v for v in downloaded["appointments"] if v["id"] == visits[0].pk]
    assert visit["sign_off"]["reasons"] == ["Grossesse : vérifiée ✓"]
    assert visit["resources"] and visit["history"]
    # The timestamps PostgreSQL wrote, against the models' own read back by the encoder.
    encode = DjangoJSONEncoder().default
    changes = AppointmentChange.objects.filter(appointment_id=visit["id"]).order_by("at", "pk")
    assert [c["at"] for c in visit["history"]] == [encode(c.at) for c in changes]
    assert {c["at"][19:] for row in downloaded["appointments"] for c in row["history"]} == {
        ".123Z",
        ".000Z",
        "Z",
    }
    assert {e["at"] for e in downloaded["audit"][:-1]} == {"2027-01-02T03:04:05.999Z"}
    [message] = [m for m in downloaded["messages"] if m["key"] == "export-test"]
    assert message["due_at"] == "2027-03-01T09:30:15.250Z"
    assert message["data"] == Message.objects.get(key="export-test").data


def test_the_plain_path_writes_the_same_json(cast, visits, monkeypatch):  # noqa: F811
    """Where the database is not PostgreSQL (SQLite, the demo's), every value is read into
    Python and orjson writes it as DjangoJSONEncoder would: the same JSON."""
    a_full_record(cast, visits)
    with time_machine.travel(london(TODAY, 16), tick=False):
        formatted = json.loads(export.client_export_json(cast.olivia))
        monkeypatch.setattr(export, "is_postgresql", lambda: False)
        plain = json.loads(export.client_export_json(cast.olivia))
    assert json.dumps(plain) == json.dumps(formatted)
    assert plain["appointments"][0]["history"]
    formatted.pop("exported_at")
    assert json.dumps(formatted) == json.dumps(parsed_python_values(cast.olivia))
