"""A client's data export holds everything about them; anonymisation on request leaves no
personal field behind while the diary keeps its appointments and counts."""

import json
from collections import Counter
from datetime import date

import pytest
import time_machine
from allauth.account.models import EmailAddress

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from clinic.identity import client_login_link
from clinic.models import AuditEntry, Client
from clinic.services import client_get_or_create
from clinical.models import HealthDeclaration, InjectableRecord
from diary.services import appointment_book
from privacy.anonymise import AnonymisationRefused, client_anonymise
from privacy.export import client_export
from tests import factories
from tests.workspace.conftest import TODAY, london

PERSONAL = ["Olivia Turner", "olivia.turner@example.com", "07700 900101", "olivia"]


@pytest.fixture
def olivia_history(cast):
    """Olivia's record grown a little: a declaration, a noted and overridden booking in the
    past, a visit viewed by the desk. The clock then stands a week later, nothing to come."""
    factories.HealthDeclarationFactory(
        client=cast.olivia, condition="epilepsy", declared_on=date(2026, 5, 1), notes="Mild."
    )
    factories.InjectableRecordFactory(client=cast.olivia, date=date(2027, 2, 25))
    appointment_book(
        treatment=cast.world.treatment,
        start=london(TODAY, 15),
        client=cast.olivia,
        by=cast.users["mia"],
        notes="Olivia prefers a light touch.",
        override_reason="Olivia Turner's filler was in the lips only.",
    )
    cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/")
    with time_machine.travel(london(date(2027, 3, 8), 9), tick=False):
        yield cast


def diary_counts() -> Counter:
    return Counter(
        Appointment.objects.values_list("practitioner_id", "start", "status", "treatment_id")
    )


def test_the_export_holds_all_their_data(olivia_history):
    cast = olivia_history

    response = cast.browser("mia").get(f"/staff/clients/{cast.olivia.pk}/export.json")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="client-{cast.olivia.pk}.json"'
    )
    data = json.loads(response.content)
    assert data["client"]["name"] == "Olivia Turner"
    assert data["client"]["email"] == "olivia.turner@example.com"
    assert data["client"]["phone"] == "07700 900101"
    assert data["client"]["user"]["username"] == "olivia"
    assert {(i["kind"], i["date"]) for i in data["injectables"]} == {
        ("filler", "2027-02-08"),
        ("filler", "2027-02-25"),
    }
    assert data["injectables"][0]["recorded_by"] == "desk"
    assert data["injectables"][0]["areas"] == ["cheeks", "lips"]
    assert [(d["condition"], d["notes"]) for d in data["declarations"]] == [("epilepsy", "Mild.")]
    assert len(data["appointments"]) == 2
    visit = data["appointments"][1]
    assert visit["notes"] == "Olivia prefers a light touch."
    assert visit["override_reason"] == "Olivia Turner's filler was in the lips only."
    assert visit["resources"] == ["Room 1"]
    assert (visit["treatment"], visit["practitioner"]) == (
        cast.world.treatment.name,
        cast.world.practitioner.name,
    )
    assert visit["history"][0]["action"] == "booked"
    assert visit["history"][0]["by"] == "mia"
    # The audit trail of who saw them, this export included, and of the override mia used
    # (the booking service writes it, whoever calls).
    assert [(e["username"], e["action"]) for e in data["audit"]] == [
        ("mia", "override"),
        ("desk", "view"),
        ("mia", "export"),
    ]
    assert data["audit"][-1]["what"] == "all personal data"
    assert [m["kind"] for m in data["messages"]] == ["confirmation", "confirmation"]


def test_the_export_has_every_stored_field(olivia_history):
    data = client_export(olivia_history.olivia)

    for model, rows in [
        (Client, [data["client"]]),
        (InjectableRecord, data["injectables"]),
        (HealthDeclaration, data["declarations"]),
        (Appointment, data["appointments"]),
        (AppointmentChange, data["appointments"][0]["history"]),
        (AuditEntry, data["audit"]),
        (Message, data["messages"]),
    ]:
        stored = {f.name for f in model._meta.concrete_fields} - {"client", "appointment", "user"}
        assert stored <= set(rows[0]), model


def test_the_export_reads_each_visit_by_its_id_and_holds_only_theirs(olivia_history):
    """The rooms, sign-offs and history of the client's visits are read by the visits' ids
    (an index read), never by a join on the client, which made PostgreSQL read every change
    record of the group; what the export holds is the same: each visit's own, nobody
    else's (Bruno's visit at the same time of day is in the diary too)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bookings.models import AppointmentResource, SignOff

    cast = olivia_history
    with CaptureQueriesContext(connection) as captured:
        data = client_export(cast.olivia)

    for table in (AppointmentChange, AppointmentResource, SignOff):
        name = table._meta.db_table
        reads = [q["sql"] for q in captured if f'FROM "{name}"' in q["sql"]]
        assert len(reads) == 1, name
        assert '"bookings_appointment"' not in reads[0].replace(f'"{name}"', ""), reads[0]
    visits = Appointment.objects.filter(client=cast.olivia).order_by("start")
    assert [v["id"] for v in data["appointments"]] == [v.pk for v in visits]
    for row, visit in zip(data["appointments"], visits, strict=True):
        assert [c["id"] for c in row["history"]] == list(
            visit.changes.order_by("at", "pk").values_list("pk", flat=True)
        )
        assert row["resources"] == [r.name for r in visit.resources.all()]
    assert Appointment.objects.exclude(client=cast.olivia).exists()


def test_after_anonymisation_no_personal_field_remains(olivia_history):
    cast = olivia_history
    before = diary_counts()
    entries = AuditEntry.objects.count()

    response = cast.browser("mia").post(f"/staff/clients/{cast.olivia.pk}/anonymise/")

    assert response.status_code == 302
    exported = json.dumps(client_export(cast.olivia), default=str)
    for value in PERSONAL:
        assert value not in exported, value
    olivia = Client.objects.get(pk=cast.olivia.pk)
    assert olivia.name == f"Anonymised client {olivia.pk}"
    assert olivia.phone == "" and olivia.user is None
    assert not InjectableRecord.objects.filter(client=olivia).exists()
    assert not HealthDeclaration.objects.filter(client=olivia).exists()
    visit = olivia.appointments.get(start=london(TODAY, 15))
    assert visit.notes == ""
    assert visit.override_reason.startswith("[removed")  # an override was used: still known
    user = cast.users["client"]
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert user.email == "" and user.username == f"anonymised-{user.pk}"
    # The diary keeps every appointment, its time, practitioner and status.
    assert diary_counts() == before
    assert AuditEntry.objects.count() == entries + 1
    assert AuditEntry.objects.latest("pk").action == AuditEntry.Action.ANONYMISE
    # The outbox keeps its rows (what was sent, when) but nothing personal, and sends no more.
    messages = Message.objects.filter(client=olivia)
    assert messages.exists()
    assert all(
        data == {} and not error for data, error in messages.values_list("data", "last_error")
    )
    assert not messages.filter(status__in=[Message.Status.PENDING, Message.Status.SENDING]).exists()


def test_anonymising_waits_until_no_appointment_is_to_come(cast):
    with pytest.raises(AnonymisationRefused):
        client_anonymise(client=cast.olivia)  # 10:00 today is still to come

    response = cast.browser("mia").post(f"/staff/clients/{cast.olivia.pk}/anonymise/", follow=True)

    assert "upcoming appointments before anonymising" in response.content.decode()
    assert Client.objects.get(pk=cast.olivia.pk).name == "Olivia Turner"


def test_an_anonymised_client_can_be_found_by_nobody(olivia_history):
    cast = olivia_history
    client_anonymise(client=cast.olivia)

    response = cast.browser("desk").get("/staff/clients/", {"q": "olivia"})

    assert list(response.context["clients"]) == []


def test_anonymising_leaves_their_login_to_their_record_at_another_organisation(olivia_history):
    """One person, one login, two businesses: erasing them at one leaves the other's record
    theirs to sign in to."""
    cast = olivia_history
    cast.olivia.email = "olivia.turner@example.com"
    client_login_link(cast.olivia)
    elsewhere, _ = client_get_or_create(
        clinic=factories.ClinicFactory(slug="northside"),
        name="Olivia Turner",
        email="olivia.turner@example.com",
    )
    login = elsewhere.user

    client_anonymise(client=cast.olivia)

    login.refresh_from_db()
    assert login.is_active and Client.objects.get(pk=cast.olivia.pk).user is None
    assert list(login.clients.all()) == [elsewhere]
    assert EmailAddress.objects.filter(user=login, email="olivia.turner@example.com").exists()

    client_anonymise(client=elsewhere)  # and erased there too: the login goes

    login.refresh_from_db()
    assert not login.is_active and not EmailAddress.objects.filter(user=login).exists()
