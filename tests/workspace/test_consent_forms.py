"""Consent forms in the workspace: an unsigned form blocks completion (service, page and
API), shows on the diary and the day sheet, is signed on the clinic's tablet, and a signed
form's view is audited."""

import io

import pytest
import time_machine
from pypdf import PdfReader
from rest_framework.test import APIClient

from bookings.models import Appointment
from clinic.models import AuditEntry
from consent.models import Submission
from consent.services import form_version_publish
from diary.errors import FormsUnsigned
from diary.services import appointment_complete
from tests import factories
from tests.workspace.conftest import TODAY, london


@pytest.fixture
def form(cast):
    return factories.consent_form(
        organisation=cast.world.clinic.organisation, name="Massage consent"
    )


def status(visit) -> str:
    return Appointment.objects.get(pk=visit.pk).status


def test_an_unsigned_form_blocks_completion_in_the_service(cast, form):
    with time_machine.travel(london(TODAY, 12), tick=False):
        with pytest.raises(FormsUnsigned) as refused:
            appointment_complete(appointment=cast.olivia_visit, by=cast.users["desk"])
        assert refused.value.as_dict()["forms"] == ["Massage consent"]
        assert status(cast.olivia_visit) == Appointment.Status.CONFIRMED

        factories.form_signed(cast.olivia_visit)
        appointment_complete(appointment=cast.olivia_visit, by=cast.users["desk"])

    assert status(cast.olivia_visit) == Appointment.Status.COMPLETED


def test_an_unsigned_form_blocks_completion_on_the_page(cast, form):
    with time_machine.travel(london(TODAY, 12), tick=False):
        response = cast.browser("pat").post(
            f"/staff/appointments/{cast.olivia_visit.reference}/complete/", follow=True
        )

    assert "Still to sign: Massage consent." in response.content.decode()
    assert status(cast.olivia_visit) == Appointment.Status.CONFIRMED


def test_an_unsigned_form_blocks_completion_in_the_api(cast, form):
    api = APIClient()
    api.force_authenticate(cast.users["desk"])
    url = f"/api/v1/appointments/{cast.olivia_visit.reference}/complete/"
    with time_machine.travel(london(TODAY, 12), tick=False):
        refused = api.post(url)
        factories.form_signed(cast.olivia_visit)
        done = api.post(url)

    assert refused.status_code == 409
    assert refused.json()["code"] == "forms_unsigned"
    assert refused.json()["forms"] == ["Massage consent"]
    assert (done.status_code, done.json()["status"]) == (200, "completed")


def test_a_no_show_needs_no_form(cast, form):
    with time_machine.travel(london(TODAY, 12), tick=False):
        cast.browser("desk").post(f"/staff/appointments/{cast.olivia_visit.reference}/no-show/")

    assert status(cast.olivia_visit) == Appointment.Status.NO_SHOW


@pytest.mark.parametrize("page", ["/staff/sheet/", "/staff/"])
def test_unsigned_forms_show_on_the_diary_and_the_day_sheet(cast, form, page):
    forms_link = f"/staff/appointments/{cast.olivia_visit.reference}/forms/"
    before = cast.browser("desk").get(page).content.decode()
    factories.form_signed(cast.olivia_visit)
    after = cast.browser("desk").get(page).content.decode()

    assert "Forms to sign" in before and forms_link in before
    assert forms_link not in after
    # Bruno's treatment needs the form too: the badge is per appointment.
    assert f"/staff/appointments/{cast.bruno_visit.reference}/forms/" in after


def test_the_client_signs_on_the_clinics_tablet(cast, form):
    desk = cast.browser("desk")
    listing = desk.get(f"/staff/appointments/{cast.olivia_visit.reference}/forms/")
    version = form.versions.get()
    sign_url = f"/staff/appointments/{cast.olivia_visit.reference}/forms/{version.pk}/"
    assert sign_url in listing.content.decode()

    refused = desk.post(sign_url, {"q_pregnant": "no", "agree": "on"})
    assert "Draw your signature, or type your name." in refused.content.decode()
    response = desk.post(
        sign_url,
        {"q_pregnant": "no", "agree": "on", "typed_name": "Olivia Turner"},
        HTTP_USER_AGENT="ClinicTablet/2",
    )

    assert response.status_code == 302
    [signed] = Submission.objects.all()
    assert (signed.channel, signed.taken_by, signed.user_agent) == (
        "tablet",
        cast.users["desk"],
        "ClinicTablet/2",
    )
    assert signed.appointment == cast.olivia_visit


def test_viewing_a_signed_form_is_audited(cast, form):
    signed = factories.form_signed(cast.olivia_visit, answers={"pregnant": "yes"})
    desk = cast.browser("desk")

    page = desk.get(f"/staff/forms/{signed.pk}/")
    pdf = desk.get(f"/staff/forms/{signed.pk}/pdf/")

    assert "Are you pregnant?" in page.content.decode()
    assert "Client: Olivia Turner" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    entries = AuditEntry.objects.filter(what="consent form").order_by("pk")
    assert [(e.client_id, e.user, e.action, e.details["id"]) for e in entries] == [
        (cast.olivia.pk, cast.users["desk"], AuditEntry.Action.VIEW, signed.pk)
    ] * 2


@pytest.mark.parametrize("persona", ["anonymous", "client", "norole"])
def test_a_signed_form_is_not_shown_outside_the_staff(cast, form, persona):
    signed = factories.form_signed(cast.olivia_visit)
    browser = cast.browser(persona)

    for url in (f"/staff/forms/{signed.pk}/", f"/staff/forms/{signed.pk}/pdf/"):
        response = browser.get(url)
        assert response.status_code in (302, 403, 404)
        assert b"Olivia" not in response.content
    assert not AuditEntry.objects.filter(what="consent form").exists()


def test_a_new_version_blocks_completion_again_where_the_rule_says_so(cast, form):
    factories.form_signed(cast.olivia_visit)
    form_version_publish(template=form, title="Massage consent", text="Revised.", questions=[])

    with time_machine.travel(london(TODAY, 12), tick=False):
        with pytest.raises(FormsUnsigned):
            appointment_complete(appointment=cast.olivia_visit, by=cast.users["desk"])
        factories.form_signed(cast.olivia_visit, answers={})
        appointment_complete(appointment=cast.olivia_visit, by=cast.users["desk"])

    assert status(cast.olivia_visit) == Appointment.Status.COMPLETED


def test_the_clients_page_lists_their_signed_forms(cast, form):
    signed = factories.form_signed(cast.olivia_visit)

    page = cast.browser("desk").get(f"/staff/clients/{cast.olivia.pk}/").content.decode()

    assert f"/staff/forms/{signed.pk}/" in page
    assert "Massage consent v1" in page
