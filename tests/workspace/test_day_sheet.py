"""The day sheet: each appointment with client, treatment, room, cautions and flags; day and
week, per practitioner or the whole clinic; attendance marked through the services;
printable; audited."""

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Appointment, AppointmentChange
from clinic.models import AuditEntry, Client, TreatmentCategory
from clinical.services import injectable_record
from diary.services import appointment_book
from tests import factories
from tests.workspace.conftest import TODAY, london


def sheet(browser, **params):
    response = browser.get("/staff/sheet/", {"date": TODAY.isoformat(), **params})
    assert response.status_code == 200
    return response


def rows(response):
    return [a for d in response.context["days"] for _, group in d.groups for a in group]


def test_it_shows_client_treatment_room_and_cautions(cast):
    response = sheet(cast.browser("desk"))

    olivia, bruno = rows(response)
    assert (olivia.appointment.client, bruno.appointment.client) == (cast.olivia, cast.bruno)
    html = response.content.decode()
    assert "10:00–11:00" in html
    assert "Manual facial massage" in html
    assert "Room 1" in html
    assert "avoid deep pressure: cheeks, lips (filler 2027-02-08)" in html
    assert olivia.cautions == ("avoid deep pressure: cheeks, lips (filler 2027-02-08)",)
    assert bruno.cautions == ()


def test_it_groups_by_practitioner(cast):
    response = sheet(cast.browser("mia"))

    ((first, _), (second, _)) = response.context["days"][0].groups
    assert (first.name, second.name) == ("Alice Practitioner", "Ben Practitioner")


def test_it_flags_first_visits_overrides_contraindications_and_later_records(cast):
    led = factories.ResourceKindFactory(slug="led-panel")
    factories.ResourceFactory(clinic=cast.world.clinic, kind=led, name="LED panel")
    light = factories.TreatmentFactory(
        clinic=cast.world.clinic,
        slug="led",
        name="LED light therapy",
        category=TreatmentCategory.LIGHT_THERAPY,
        kinds=[led],
    )
    cast.ben.treatments.add(light)
    factories.HealthDeclarationFactory(
        client=cast.bruno, condition="epilepsy", declared_on=date(2026, 1, 1)
    )
    second = appointment_book(
        treatment=light,
        start=london(TODAY, 15),
        client=cast.bruno,
        practitioner=cast.ben,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    ).appointment
    injectable_record(client=cast.olivia, kind="filler", date=date(2027, 2, 25), areas=["lips"])
    overridden = appointment_book(
        treatment=cast.world.treatment,
        start=london(TODAY, 16),
        client=cast.olivia,
        by=cast.users["mia"],
        override_reason="Practitioner checked: filler in the lips only, massage avoids them.",
    ).appointment

    response = sheet(cast.browser("desk"))

    by_ref = {line.appointment.reference: line for line in rows(response)}
    assert by_ref[cast.bruno_visit.reference].first_visit
    assert not by_ref[second.reference].first_visit
    assert by_ref[second.reference].contraindications == (
        "LED light can affect photosensitive epilepsy: your practitioner will check with you "
        "before the treatment.",
    )
    html = response.content.decode()
    assert "First visit" in html
    assert "Contraindication" in html
    assert "Override used" in html and "massage avoids them" in html
    assert by_ref[overridden.reference].appointment.override_reason
    cast.olivia_visit.refresh_from_db()
    assert cast.olivia_visit.eligibility_flag  # the new record makes 10:00 too early
    assert "Flagged" in html


def test_the_week_runs_monday_to_sunday(cast):
    appointment_book(
        treatment=cast.world.treatment,
        start=london(date(2027, 3, 6), 9),
        client=cast.olivia,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    )

    response = sheet(cast.browser("desk"), span="week", date="2027-03-04")

    days = response.context["days"]
    assert [d.day for d in days][0] == date(2027, 3, 1)
    assert [d.day for d in days][-1] == date(2027, 3, 7)
    assert [d.count for d in days] == [2, 0, 0, 0, 0, 1, 0]


def test_one_practitioners_sheet(cast):
    response = sheet(cast.browser("desk"), practitioner=cast.ben.pk)

    assert [line.appointment.client for line in rows(response)] == [cast.bruno]


def _practitioner_reads(browser, **params) -> tuple[object, int]:
    """The sheet's heading practitioner and how many reads of one practitioner it took."""
    with CaptureQueriesContext(connection) as queries:
        response = sheet(browser, span="week", **params)
    reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "clinic_practitioner"."id"') and "LIMIT" in q["sql"]
    ]
    return response.context["practitioner"], len(reads)


def test_the_sheet_reads_the_practitioner_it_is_headed_by_once_at_most(cast):
    """The whole clinic's sheet reads none; a chosen practitioner is the query's; a
    practitioner's own sheet finds them among its lines (issue 16: the week sheet's reads)."""
    desk, pat = cast.browser("desk"), cast.browser("pat")
    sheet(desk), sheet(pat)  # the session and the user's roles, as on any later page

    assert _practitioner_reads(desk) == (None, 0)
    assert _practitioner_reads(desk, practitioner=cast.ben.pk) == (cast.ben, 1)
    assert _practitioner_reads(pat) == (cast.world.practitioner, 1)  # access's, for the role


def test_it_is_printable(cast):
    html = sheet(cast.browser("desk")).content.decode()

    assert 'href="/static/workspace/print.css" media="print"' in html
    assert "data-print" in html


def test_viewing_it_audits_each_client_on_it(cast):
    sheet(cast.browser("pat"))

    ((client, what),) = AuditEntry.objects.values_list("client", "what")
    assert (client, what) == (cast.olivia.pk, "day sheet cautions")


@pytest.mark.parametrize(
    "outcome, status",
    [("complete", Appointment.Status.COMPLETED), ("no-show", Appointment.Status.NO_SHOW)],
)
def test_marking_attendance_goes_through_the_service(cast, outcome, status):
    with time_machine.travel(london(TODAY, 12), tick=False):
        response = cast.browser("pat").post(
            f"/staff/appointments/{cast.olivia_visit.reference}/{outcome}/",
            {"next": "/staff/sheet/?date=2027-03-01"},
        )

    assert response["Location"] == "/staff/sheet/?date=2027-03-01"
    cast.olivia_visit.refresh_from_db()
    assert cast.olivia_visit.status == status
    change = cast.olivia_visit.changes.latest("pk")
    assert (change.by, change.to_status) == (cast.users["pat"], status)


def test_an_appointment_that_has_not_started_stays_confirmed(cast):
    browser = cast.browser("desk")

    response = browser.post(
        f"/staff/appointments/{cast.olivia_visit.reference}/complete/", follow=True
    )

    assert "has not started yet" in response.content.decode()
    cast.olivia_visit.refresh_from_db()
    assert cast.olivia_visit.status == Appointment.Status.CONFIRMED
    assert not cast.olivia_visit.changes.exclude(action=AppointmentChange.Action.BOOKED).exists()


def test_an_outside_next_address_is_not_followed(cast):
    with time_machine.travel(london(TODAY, 12), tick=False):
        response = cast.browser("desk").post(
            f"/staff/appointments/{cast.olivia_visit.reference}/complete/",
            {"next": "https://example.com/"},
        )

    assert response["Location"] == "/staff/sheet/"


def test_attendance_buttons_appear_once_the_appointment_has_started(cast):
    before = sheet(cast.browser("desk")).content.decode()
    with time_machine.travel(london(TODAY, 10, 30), tick=False):
        during = sheet(cast.browser("desk")).content.decode()

    assert f"/staff/appointments/{cast.olivia_visit.reference}/complete/" not in before
    assert f"/staff/appointments/{cast.olivia_visit.reference}/complete/" in during
    assert f"/staff/appointments/{cast.bruno_visit.reference}/complete/" not in during


def test_its_readers_send_the_ids_as_one_array(cast):
    """The sheet's readers by a list of ids (each client's first visit, the rooms held, the
    records shown "last time" and the recalls) send the ids as one array parameter on
    PostgreSQL, not an IN list of one parameter per id: a week's ~240 ids were ~240
    placeholders the ORM compiled and psycopg parsed afresh on every view (issue 16)."""
    if connection.vendor != "postgresql":
        pytest.skip("arrays are PostgreSQL's; SQLite reads an IN list")
    with CaptureQueriesContext(connection) as queries:
        sheet(cast.browser("pat"), span="week")

    reads = {
        table: [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"].split(" WHERE ")[0]]
        for table in (
            "bookings_appointmentresource",
            "records_treatmentrecord",
            "records_recallflag",
        )
    }
    reads["first visits"] = [q["sql"] for q in queries if "min(start)" in q["sql"]]
    for read, statements in reads.items():
        assert statements, read
        for statement in statements:
            assert "= ANY(" in statement, read
            assert not re.search(r'_id"? IN \(', statement.split(" WHERE ")[1]), read


def test_it_leaves_unread_the_fields_the_grid_leaves_unread(cast):
    """The sheet's appointments and clients come without the fields nothing on it reads
    (workspace.selectors.UNREAD, the grid's): not sent, parsed nor set for a week's ~250
    appointments; and reading none of them later costs no query."""
    browser = cast.browser("desk")
    sheet(browser, span="week")
    with CaptureQueriesContext(connection) as queries:
        response = sheet(browser, span="week")

    assert rows(response)
    (main,) = [q["sql"] for q in queries if 'JOIN "clinic_client"' in q["sql"]]
    assert '"bookings_appointment"."start"' in main and '"clinic_client"."name"' in main
    for unread in ('"bookings_appointment"."notes"', '"clinic_client"."email"'):
        assert unread not in main


def test_it_and_the_grid_leave_their_clients_home_clinic_alone(cast):
    """Nothing on the sheet or the diary grid names a client's home clinic: neither reads it
    (a query for the home clinics of other branches) nor caches it on each client, which
    gave every client a fields cache of its own (~250 dicts a week, issue 16). The staff
    API's day list, whose client shape names it, still has it."""
    browser = cast.browser("desk")

    lines = rows(sheet(browser, span="week"))
    grid = browser.get("/staff/", {"date": TODAY.isoformat(), "span": "week"}).context["grid"]

    clients = [line.appointment.client for line in lines]
    clients += [entry.appointment.client for entry in grid.entries]
    assert clients
    assert not any(Client.home_clinic.is_cached(client) for client in clients)
