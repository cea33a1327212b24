"""Signing a booking's forms through the API (online/api/forms.py): the versions to sign with
their questions, the signature kept with its PDF and email, the health record fed, and who
may: the token holder or the client sign; staff in scope read the list and get 403 signing
(the tablet is theirs); anyone else 404."""

import pytest
from rest_framework.test import APIClient

from access.roles import FRONT_DESK
from aftercare.models import Message
from clinical.models import HealthDeclaration
from consent.models import FormRule, FormVersion, Submission
from tests import factories
from tests.consent.test_signing import png_data_url
from tests.helpers import logged_in

SIGNED = {"agree": True, "typed_name": "Olivia Turner"}
ANSWERS = {"pregnant": "no", "conditions": ["pacemaker"], "notes": "Sensitive skin"}


def forms_url(visit) -> str:
    return f"/api/v1/appointments/{visit.reference}/forms/"


def sign_url(visit, version_id: int) -> str:
    return f"{forms_url(visit)}{version_id}/sign/"


@pytest.fixture
def version(visit):
    return FormVersion.objects.get()


def test_the_token_holder_reads_the_form_and_signs_it(visit, version, consent_files):
    api = APIClient()

    listed = api.get(forms_url(visit), {"token": visit.manage_token})
    signed = api.post(
        sign_url(visit, version.pk),
        {**SIGNED, "token": visit.manage_token, "answers": ANSWERS},
        format="json",
        HTTP_USER_AGENT="ClinicApp/2.0",
    )
    after = api.get(forms_url(visit), {"token": visit.manage_token})

    assert listed.status_code == 200
    [to_sign] = listed.json()["to_sign"]
    assert (to_sign["version"], to_sign["title"], to_sign["number"]) == (
        version.pk,
        "Massage consent",
        1,
    )
    assert [q["key"] for q in to_sign["questions"]] == ["pregnant", "conditions", "notes"]
    assert to_sign["questions"][1]["options"][0] == {"value": "pacemaker", "label": "Pacemaker"}
    assert signed.status_code == 201, signed.json()
    assert signed.json()["signature"] == "typed"
    submission = Submission.objects.get()
    assert submission.channel == Submission.Channel.ONLINE
    assert submission.answers == ANSWERS and submission.user_agent == "ClinicApp/2.0"
    assert (consent_files / submission.pdf_file).exists()
    assert HealthDeclaration.objects.filter(client=visit.client, condition="pacemaker").exists()
    assert Message.objects.filter(kind=Message.Kind.FORM_SIGNED, client=visit.client).count() == 1
    assert after.json()["to_sign"] == []
    assert after.json()["signed"][0]["form"] == "Massage consent"
    assert "answers" not in after.json()["signed"][0]  # never sent back


def test_the_client_signed_in_signs_with_a_drawn_signature_and_once_only(visit, version):
    api = logged_in(visit.client.user)
    body = {"agree": True, "signature": png_data_url(), "answers": ANSWERS}

    first = api.post(sign_url(visit, version.pk), body, format="json")
    again = api.post(sign_url(visit, version.pk), body, format="json")

    assert first.status_code == 201 and first.json()["signature"] == "drawn"
    assert again.status_code == 409 and again.json()["code"] == "already_signed"
    assert Submission.objects.count() == 1


def test_staff_are_sent_to_the_tablet_and_strangers_find_nothing(world, visit, version):
    desk = logged_in(factories.StaffFactory(username="desk", roles=[FRONT_DESK]))
    stranger = factories.ClientFactory(clinic=world.clinic, email="stranger@example.com")
    other_org = factories.StaffFactory(
        username="elsewhere", clinics=[factories.ClinicFactory(slug="elsewhere")]
    )
    body = {**SIGNED, "answers": ANSWERS}

    # The desk sees what is still to sign (the grid says so too), and signs nothing.
    assert desk.get(forms_url(visit)).json()["to_sign"][0]["version"] == version.pk
    refused = desk.post(sign_url(visit, version.pk), body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    for caller in (APIClient(), logged_in(stranger.user), logged_in(other_org)):
        for response in (
            caller.get(forms_url(visit)),
            caller.get(forms_url(visit), {"token": "not-the-token"}),
            caller.post(sign_url(visit, version.pk), body, format="json"),
        ):
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({**SIGNED, "answers": {**ANSWERS, "conditions": 7}}, "invalid_answer", "conditions"),
        (
            {**SIGNED, "answers": {**ANSWERS, "conditions": [{"x": 1}]}},
            "invalid_answer",
            "conditions",
        ),
        ({**SIGNED, "answers": {**ANSWERS, "conditions": ["gout"]}}, "invalid_answer", None),
        ({**SIGNED, "answers": {**ANSWERS, "notes": {"a": 1}}}, "invalid_answer", "notes"),
        ({**SIGNED, "answers": {**ANSWERS, "pregnant": "maybe"}}, "invalid_answer", "pregnant"),
        ({"agree": True, "answers": ANSWERS}, "invalid_signature", None),
        ({**SIGNED, "signature": "data:image/png;base64,!!!", "answers": ANSWERS}, None, None),
        ({**SIGNED, "agree": False, "answers": ANSWERS}, "invalid_input", None),
        ({**SIGNED, "answers": ["pregnant"]}, "invalid_input", None),
    ],
)
def test_bad_input_is_a_clear_400_and_stores_nothing(
    visit, version, consent_files, body, code, field
):
    response = APIClient().post(
        sign_url(visit, version.pk), {**body, "token": visit.manage_token}, format="json"
    )

    assert response.status_code == 400
    error = response.json()
    assert error["detail"]
    if code:
        assert error["code"] == code
    if field:
        assert f"answers.{field}" in error["fields"]
    assert not Submission.objects.exists()
    assert not consent_files.exists() or not any(consent_files.rglob("*.*"))


def test_a_form_the_booking_does_not_need_is_404(world, visit, version):
    other = factories.consent_form(organisation=world.clinic.organisation, name="Other form")
    other_version = other.versions.get()
    FormRule.objects.filter(template=other).delete()

    response = APIClient().post(
        sign_url(visit, other_version.pk),
        {**SIGNED, "token": visit.manage_token, "answers": ANSWERS},
        format="json",
    )

    assert response.status_code == 404
