"""Treatment records in the workspace: the practitioner writes what they did (device
settings checked against the treatment's fields), the next visit's sheet shows it as "last
time", a correction is a new version, and after the lock a change is an amendment that
needs a reason and is audited. Who may open a record follows the diary and the client."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from access.roles import PRACTITIONER
from bookings.models import Appointment
from clinic.models import AuditEntry
from diary.services import appointment_book
from records import selectors
from records.models import DeviceSettingsSchema, TreatmentRecord
from records.services import (
    AmendmentNeedsReason,
    NotYetRecordable,
    RecordError,
    RecordInput,
    record_save,
)
from tests import factories
from tests.records.conftest import NEXT_WEEK
from tests.workspace.conftest import TODAY, london


def session_form(**extra) -> dict:
    return {
        "version": "0",
        "notes": "Started low, client comfortable; raised gradually on the jawline.",
        "areas": ["jawline", "cheeks"],
        "pressure": "Light only over the lips and cheeks (filler).",
        "setting-intensity_start": "100",
        "setting-intensity_end": "250",
        "setting-minutes": "30",
        "product-0": "Oil-free conductive gel",
        "lot-0": "GEL-2027-01",
        **extra,
    }


def test_a_record_is_last_time_on_the_next_visits_sheet(cast, visits):
    first, second = visits
    pat = cast.browser("pat")

    saved = pat.post(f"/staff/appointments/{first.reference}/record/", session_form())
    with time_machine.travel(london(NEXT_WEEK, 9), tick=False):
        sheet = pat.get(f"/staff/sheet/?date={NEXT_WEEK}").content.decode()

    assert saved.status_code == 302
    record = TreatmentRecord.objects.get(appointment=first)
    assert (record.version, record.device_settings) == (
        1,
        {"intensity_start": 100, "intensity_end": 250, "minutes": 30},
    )
    assert [(p.product, p.lot_number) for p in record.products.all()] == [
        ("Oil-free conductive gel", "GEL-2027-01")
    ]
    assert second.reference in sheet
    assert "Last time" in sheet
    assert "Intensity at start: 100 µA · Intensity at end: 250 µA · Minutes: 30 min" in sheet
    assert "Light only over the lips and cheeks (filler)." in sheet
    assert "Areas: Jawline, Cheeks" in sheet
    assert AuditEntry.objects.filter(
        what="treatment records", action="view", client=cast.olivia, username="pat"
    ).exists()


def test_the_diary_and_the_sheet_link_to_the_record_once_the_visit_started(cast, visits):
    first, second = visits
    pat = cast.browser("pat")

    diary = pat.get(f"/staff/?date={TODAY}").content.decode()
    sheet = pat.get(f"/staff/sheet/?date={TODAY}").content.decode()
    next_sheet = pat.get(f"/staff/sheet/?date={NEXT_WEEK}").content.decode()

    assert f"/staff/appointments/{first.reference}/record/" in diary
    assert f"/staff/appointments/{first.reference}/record/" in sheet
    assert f"/staff/appointments/{second.reference}/record/" not in next_sheet


def test_the_sheet_of_the_same_day_shows_no_last_time_before_a_record(cast, visits):
    sheet = cast.browser("pat").get(f"/staff/sheet/?date={NEXT_WEEK}").content.decode()

    assert visits[1].reference in sheet
    assert "Last time" not in sheet


def test_settings_out_of_range_are_refused_with_words_and_nothing_is_written(cast, visits):
    first, _ = visits

    page = cast.browser("pat").post(
        f"/staff/appointments/{first.reference}/record/",
        session_form(**{"setting-intensity_end": "5000", "setting-intensity_start": "lots"}),
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert "Intensity at end must be at most 1000 µA." in text
    assert "Intensity at start must be a whole number." in text
    assert not TreatmentRecord.objects.exists()


def test_a_treatments_own_schema_replaces_its_categorys(cast, visits, microcurrent):
    first, _ = visits
    DeviceSettingsSchema.objects.create(
        treatment=microcurrent,
        fields=[{"name": "level", "label": "Level", "type": "integer", "min": 1, "max": 10}],
    )
    data = RecordInput(settings={"level": "12"})

    with pytest.raises(RecordError) as refusal:
        record_save(appointment=first, data=data, by=cast.users["pat"])

    assert refusal.value.errors == {"settings.level": "Level must be at most 10."}
    assert refusal.value.as_dict()["code"] == "invalid_record"


def test_a_correction_is_a_new_version(cast, visits):
    first, _ = visits
    pat = cast.browser("pat")
    pat.post(f"/staff/appointments/{first.reference}/record/", session_form())

    pat.post(
        f"/staff/appointments/{first.reference}/record/",
        session_form(version="1", **{"setting-intensity_end": "300"}),
    )
    stale = pat.post(f"/staff/appointments/{first.reference}/record/", session_form())

    versions = list(TreatmentRecord.objects.filter(appointment=first).order_by("version"))
    assert [(v.version, v.device_settings["intensity_end"]) for v in versions] == [
        (1, 250),
        (2, 300),
    ]
    assert versions[0].superseded_at is not None and versions[1].superseded_at is None
    assert "Someone saved this record since you opened it" in stale.content.decode()


def test_after_the_lock_an_amendment_needs_a_reason_and_is_audited(cast, visits, settings):
    settings.RECORDS_LOCK_DAYS = 7
    first, _ = visits
    pat = cast.browser("pat")
    pat.post(f"/staff/appointments/{first.reference}/record/", session_form())
    url = f"/staff/appointments/{first.reference}/record/"

    with time_machine.travel(london(TODAY + timedelta(days=8), 9), tick=False):
        locked = pat.get(url).content.decode()
        refused = pat.post(url, session_form(version="1", notes="Changed my mind"))
        after_refusal = TreatmentRecord.objects.filter(appointment=first).count()
        amended = pat.post(
            url, session_form(version="1", notes="End was 280", reason="Misread the device")
        )

    assert "a change is an amendment and needs a reason" in locked
    assert AmendmentNeedsReason.detail in refused.content.decode()
    assert after_refusal == 1
    assert amended.status_code == 302
    latest = TreatmentRecord.objects.get(appointment=first, superseded_at__isnull=True)
    assert (latest.version, latest.amendment_reason) == (2, "Misread the device")
    entry = AuditEntry.objects.filter(what="treatment records", action="record").latest("pk")
    assert (entry.client_id, entry.username) == (cast.olivia.pk, "pat")
    assert entry.details == {
        "appointment": first.reference,
        "version": 2,
        "amendment": True,
        "reason": "Misread the device",
    }


def test_a_correction_before_the_lock_needs_no_reason(cast, visits, settings):
    settings.RECORDS_LOCK_DAYS = 7
    first, _ = visits
    record_save(
        appointment=first,
        data=RecordInput(settings={"intensity_start": 1, "intensity_end": 2}),
        by=cast.users["pat"],
    )

    with time_machine.travel(london(TODAY + timedelta(days=6), 9), tick=False):
        again = record_save(
            appointment=first,
            data=RecordInput(settings={"intensity_start": 1, "intensity_end": 3}),
            by=cast.users["pat"],
        )

    assert (again.version, again.amendment_reason) == (2, "")


def test_a_visit_not_yet_started_or_cancelled_has_no_record(cast, visits):
    _, second = visits

    with pytest.raises(NotYetRecordable):
        record_save(appointment=second, data=RecordInput(), by=cast.users["pat"])


# -- who may open a record ---------------------------------------------------------------------


@pytest.fixture
def ben_user(cast):
    """The user of Ben, the cast's other practitioner at the same clinic."""
    user = factories.StaffFactory(username="benuser", roles=[PRACTITIONER])
    cast.ben.user = user
    cast.ben.save(update_fields=["user"])
    return user


# The record of olivia's visit with Alice: the desk and the manager see the whole diary;
# pat is its practitioner; Ben is a practitioner of the same clinic whose visit it is not.
EXPECTED = {
    "anonymous": 302,
    "client": 403,
    "norole": 403,
    "desk": 200,
    "pat": 200,
    "mia": 200,
    "ben": 404,
}


@pytest.mark.parametrize("persona", EXPECTED)
def test_who_may_open_a_record(cast, visits, ben_user, persona):
    first, _ = visits
    record_save(
        appointment=first,
        data=RecordInput(notes="Secret words", settings={"intensity_start": 1, "intensity_end": 2}),
        by=cast.users["pat"],
    )
    browser = Browser()
    user = ben_user if persona == "ben" else cast.users[persona]
    if user is not None:
        browser.force_login(user)
    url = f"/staff/appointments/{first.reference}/record/"

    shown = browser.get(url)
    posted = browser.post(url, session_form(version="1"))

    assert (shown.status_code, posted.status_code) == (
        EXPECTED[persona],
        302 if EXPECTED[persona] == 200 else EXPECTED[persona],
    )
    assert ("Secret words" in shown.content.decode()) == (EXPECTED[persona] == 200)
    versions = TreatmentRecord.objects.filter(appointment=first).count()
    assert versions == (2 if EXPECTED[persona] == 200 else 1)


def test_another_practitioners_client_is_not_theirs_to_record(cast, ben_user):
    """Bruno's visit is Ben's: pat, Alice's user, gets a 404 for it."""
    with time_machine.travel(london(TODAY, 12), tick=False):
        refused = cast.browser("pat").get(
            f"/staff/appointments/{cast.bruno_visit.reference}/record/"
        )
        browser = Browser()
        browser.force_login(ben_user)
        allowed = browser.get(f"/staff/appointments/{cast.bruno_visit.reference}/record/")

    assert (refused.status_code, allowed.status_code) == (404, 200)


# -- the device settings' schema, in the admin -------------------------------------------------


def test_a_manager_sets_a_treatments_settings_and_a_bad_schema_is_refused(cast, microcurrent):
    manager = cast.browser("mia")
    bad = manager.post(
        "/admin/records/devicesettingsschema/add/",
        {"treatment": microcurrent.pk, "fields": '[{"name": "level", "type": "colour"}]'},
    )
    shared = manager.post(
        "/admin/records/devicesettingsschema/add/",
        {"category": "microcurrent", "fields": "[]"},
    )
    good = manager.post(
        "/admin/records/devicesettingsschema/add/",
        {"treatment": microcurrent.pk, "fields": '[{"name": "level", "type": "integer"}]'},
    )

    assert "type must be one of integer, decimal, choice, text" in bad.content.decode()
    assert "Choose one of your clinic&#x27;s treatments." in shared.content.decode()
    assert good.status_code == 302
    assert DeviceSettingsSchema.objects.get().fields == [{"name": "level", "type": "integer"}]


def test_last_time_for_a_sheet_costs_the_same_queries_for_one_visit_or_many(cast, visits):
    first, second = visits
    record_save(
        appointment=first,
        data=RecordInput(settings={"intensity_start": 1, "intensity_end": 2}),
        by=cast.users["pat"],
    )
    for hour in (15, 16, 17):
        appointment_book(
            treatment=second.treatment,
            start=london(NEXT_WEEK + timedelta(days=1), hour),
            client=cast.olivia,
            practitioner=cast.world.practitioner,
            by=cast.users["desk"],
            acknowledge_warnings=True,
        )
    upcoming = list(Appointment.objects.filter(start__gt=first.start, client=cast.olivia))

    with CaptureQueriesContext(connection) as one:
        found_one = selectors.last_time(upcoming[:1])
    with CaptureQueriesContext(connection) as many:
        found_many = selectors.last_time(upcoming)

    assert len(upcoming) == 4 and len(found_many) == 4 and len(found_one) == 1
    assert len(one) == len(many) == 3
