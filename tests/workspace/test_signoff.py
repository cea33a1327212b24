"""Sign-off from the workspace and the staff API: "Needs sign-off" on the diary grid and the
day sheet, approve or decline (with a note) by a practitioner or manager who has the
appointment on their sheet, completion refused before it, every decision audited; anyone
else refused, and what they may not see is a 404."""

import pytest
import time_machine

from bookings.models import Appointment, SignOff
from clinic.models import AuditEntry
from clinical.models import ContraindicationRule
from clinical.services import declaration_record
from diary.signoff import AUDIT_SIGN_OFF
from tests.helpers import assert_error, logged_in
from tests.workspace.conftest import TODAY, london

RULE = "Pregnancy: your practitioner checks with you before a facial massage."


@pytest.fixture
def pending(cast):
    """Olivia (Alice's, 10:00) and Bruno (Ben's, 11:00) declare a pregnancy, which the
    clinic's rule says a practitioner must approve: both appointments wait for sign-off."""
    ContraindicationRule.objects.create(
        clinic=cast.world.clinic,
        condition="pregnancy",
        treatment_category=cast.world.treatment.category,
        action=ContraindicationRule.Action.NEEDS_APPROVAL,
        message=RULE,
    )
    for client in (cast.olivia, cast.bruno):
        declaration_record(
            client=client, condition="pregnancy", declared_on=TODAY, by=cast.users["desk"]
        )
    assert SignOff.objects.filter(status=SignOff.Status.PENDING).count() == 2
    return cast


def sign_off_url(appointment) -> str:
    return f"/staff/appointments/{appointment.reference}/sign-off/"


def api_url(appointment) -> str:
    return f"/api/v1/appointments/{appointment.reference}/sign-off/"


def status_of(appointment) -> str:
    return SignOff.objects.get(appointment=appointment).status


def test_the_grid_shows_needs_sign_off_and_the_form_to_a_practitioner(pending):
    html = pending.browser("pat").get("/staff/", {"date": TODAY.isoformat()}).content.decode()

    assert html.count('data-sign-off="pending"') == 1  # Alice's column only: Olivia
    assert "Needs sign-off" in html and RULE in html
    assert f'action="{sign_off_url(pending.olivia_visit)}"' in html
    assert 'name="decision" value="approve"' in html


def test_the_front_desk_sees_the_badge_but_no_form(pending):
    html = pending.browser("desk").get("/staff/", {"date": TODAY.isoformat()}).content.decode()

    assert html.count('data-sign-off="pending"') == 2
    assert "/sign-off/" not in html


def test_the_day_sheet_shows_needs_sign_off_until_it_is_approved(pending):
    browser = pending.browser("mia")
    html = browser.get("/staff/sheet/", {"date": TODAY.isoformat()}).content.decode()
    assert html.count('data-sign-off="pending"') == 2
    assert f'action="{sign_off_url(pending.bruno_visit)}"' in html

    response = browser.post(
        sign_off_url(pending.bruno_visit),
        {"decision": "approve", "note": "Checked with Bruno.", "next": "/staff/sheet/"},
    )

    assert response.status_code == 302 and response["Location"] == "/staff/sheet/"
    assert status_of(pending.bruno_visit) == SignOff.Status.APPROVED
    html = browser.get("/staff/sheet/", {"date": TODAY.isoformat()}).content.decode()
    assert html.count('data-sign-off="pending"') == 1
    assert "approved" in html  # the message after the redirect


def test_completing_from_the_day_sheet_before_sign_off_says_why_and_changes_nothing(pending):
    browser = pending.browser("pat")
    with time_machine.travel(london(TODAY, 10, 30), tick=False):
        response = browser.post(
            f"/staff/appointments/{pending.olivia_visit.reference}/complete/", follow=True
        )
        assert "needs a practitioner&#x27;s sign-off" in response.content.decode()
        assert Appointment.objects.get(pk=pending.olivia_visit.pk).status == "confirmed"

        browser.post(sign_off_url(pending.olivia_visit), {"decision": "approve", "note": "OK"})
        browser.post(f"/staff/appointments/{pending.olivia_visit.reference}/complete/")

    assert Appointment.objects.get(pk=pending.olivia_visit.pk).status == "completed"


def test_declining_from_the_grid_cancels_and_audits(pending):
    response = pending.browser("pat").post(
        sign_off_url(pending.olivia_visit),
        {"decision": "decline", "note": "Not today.", "next": "/staff/?date=2027-03-01"},
    )

    assert response["Location"] == "/staff/?date=2027-03-01"
    assert Appointment.objects.get(pk=pending.olivia_visit.pk).status == "cancelled"
    entry = AuditEntry.objects.get(what=AUDIT_SIGN_OFF)
    assert (entry.user, entry.client, entry.via) == (
        pending.users["pat"],
        pending.olivia,
        "workspace",
    )
    assert entry.path == sign_off_url(pending.olivia_visit)


def test_a_decision_without_a_note_is_refused_with_a_message(pending):
    response = pending.browser("pat").post(
        sign_off_url(pending.olivia_visit), {"decision": "approve", "note": ""}, follow=True
    )

    assert "not signed off" in response.content.decode()
    assert status_of(pending.olivia_visit) == SignOff.Status.PENDING


@pytest.mark.parametrize(
    "persona, visit, expected",
    [
        ("pat", "bruno_visit", 404),  # Ben's appointment: not on Pat's sheet
        ("desk", "olivia_visit", 403),  # on the desk's sheet, but the role does not sign off
        ("norole", "olivia_visit", 403),
        ("client", "olivia_visit", 403),
    ],
)
def test_the_page_refuses_who_may_not_sign(pending, persona, visit, expected):
    appointment = getattr(pending, visit)
    response = pending.browser(persona).post(
        sign_off_url(appointment), {"decision": "approve", "note": "ok"}
    )

    assert response.status_code == expected
    assert status_of(appointment) == SignOff.Status.PENDING
    assert not AuditEntry.objects.filter(what=AUDIT_SIGN_OFF).exists()


def test_anonymous_goes_to_the_login_and_nothing_changes(pending):
    response = pending.browser("anonymous").post(
        sign_off_url(pending.olivia_visit), {"decision": "approve", "note": "ok"}
    )

    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert status_of(pending.olivia_visit) == SignOff.Status.PENDING


# -- the staff API ----------------------------------------------------------------------------


def test_the_day_list_says_which_appointments_wait_for_sign_off(pending):
    SignOff.objects.filter(appointment=pending.olivia_visit).delete()

    day = logged_in(pending.users["mia"]).get("/api/v1/appointments/", {"date": "2027-03-01"})

    assert [(a["reference"], a["sign_off"]) for a in day.json()] == [
        (pending.olivia_visit.reference, None),
        (pending.bruno_visit.reference, "pending"),
    ]


def test_the_api_approves_and_answers_the_appointment_and_its_sign_off(pending):
    api = logged_in(pending.users["pat"])

    response = api.post(
        api_url(pending.olivia_visit), {"decision": "approve", "note": "Fine."}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["appointment"]["reference"] == pending.olivia_visit.reference
    assert body["appointment"]["status"] == "confirmed"
    assert body["appointment"]["sign_off"] == "approved"
    assert body["sign_off"]["status"] == "approved"
    assert body["sign_off"]["reasons"] == [RULE]
    assert body["sign_off"]["note"] == "Fine."
    assert body["sign_off"]["decided_by"] == "pat"
    assert AuditEntry.objects.filter(what=AUDIT_SIGN_OFF, via="api").count() == 1


def test_the_api_declines_and_the_appointment_is_cancelled(pending):
    api = logged_in(pending.users["mia"])

    response = api.post(
        api_url(pending.bruno_visit), {"decision": "decline", "note": "No."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["appointment"]["status"] == "cancelled"
    assert response.json()["sign_off"]["status"] == "declined"


def test_the_api_refuses_completion_before_sign_off(pending):
    api = logged_in(pending.users["pat"])
    url = f"/api/v1/appointments/{pending.olivia_visit.reference}/complete/"
    with time_machine.travel(london(TODAY, 10, 30), tick=False):
        body = assert_error(api.post(url), 409, "sign_off_pending")
        assert "sign-off" in body["detail"]
        api.post(
            api_url(pending.olivia_visit), {"decision": "approve", "note": "ok"}, format="json"
        )
        assert api.post(url).json()["status"] == "completed"


def test_the_api_refuses_bad_input_a_second_decision_and_who_may_not(pending):
    pat, desk = logged_in(pending.users["pat"]), logged_in(pending.users["desk"])
    url = api_url(pending.olivia_visit)

    assert_error(
        pat.post(url, {"decision": "maybe", "note": "x"}, format="json"), 400, "invalid_input"
    )
    assert_error(pat.post(url, {"decision": "approve"}, format="json"), 400, "invalid_input")
    assert_error(
        pat.post(api_url(pending.bruno_visit), {"decision": "approve", "note": "x"}, format="json"),
        404,
        "not_found",
    )
    assert_error(
        desk.post(url, {"decision": "approve", "note": "x"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        logged_in(None).post(url, {"decision": "approve", "note": "x"}, format="json"),
        403,
        "not_authenticated",
    )
    assert_error(
        logged_in(pending.olivia.user).post(
            url, {"decision": "approve", "note": "x"}, format="json"
        ),
        403,
        "permission_denied",
    )
    assert status_of(pending.olivia_visit) == SignOff.Status.PENDING
    pat.post(url, {"decision": "approve", "note": "x"}, format="json")
    assert_error(
        pat.post(url, {"decision": "approve", "note": "x"}, format="json"),
        409,
        "no_sign_off_pending",
    )


def test_a_booking_through_the_api_declaring_a_condition_waits_for_sign_off(cast):
    ContraindicationRule.objects.create(
        clinic=cast.world.clinic,
        condition="pregnancy",
        treatment_category=cast.world.treatment.category,
        action=ContraindicationRule.Action.NEEDS_APPROVAL,
        message=RULE,
    )
    response = logged_in(cast.users["desk"]).post(
        "/api/v1/appointments/",
        {
            "treatment": cast.world.treatment.slug,
            "start": "2027-03-02T14:00:00+00:00",
            "client_id": cast.bruno.pk,
            "health": {"conditions": ["pregnancy"]},
            "acknowledge_warnings": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    booked = Appointment.objects.get(reference=response.json()["reference"])
    assert status_of(booked) == SignOff.Status.PENDING
    html = cast.browser("desk").get("/staff/sheet/", {"date": "2027-03-02"}).content.decode()
    assert 'data-sign-off="pending"' in html
