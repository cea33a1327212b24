"""The client's side: the link to sign in the confirmation email, on the booking's page and
in the client space; signing on the page behind the booking's signed link."""

from django.test import Client as Browser

from aftercare.models import Message
from consent.models import Submission
from tests import factories
from tests.helpers import send_one


def forms_url(visit) -> str:
    return f"/booking/{visit.reference}/{visit.manage_token}/forms/"


def test_the_confirmation_carries_the_link_to_sign_while_a_form_is_unsigned(visit, inbox):
    confirmation = visit.messages.get(kind=Message.Kind.CONFIRMATION)
    Message.objects.filter(pk=confirmation.pk).update(status=Message.Status.SENDING)

    send_one(confirmation.pk)

    [received] = inbox.for_outbox(confirmation.pk)
    body = received.get_body(("plain",)).get_content()
    assert "Sign your forms before your visit" in body and forms_url(visit) in body


def test_the_client_signs_on_the_page_behind_the_booking_link(visit):
    browser = Browser()
    version = visit.treatment.clinic.organisation.form_templates.get().versions.get()
    sign_url = f"{forms_url(visit)}{version.pk}/"

    assert (
        "Sign your forms before your visit"
        in browser.get(f"/booking/{visit.reference}/{visit.manage_token}/").content.decode()
    )
    assert sign_url in browser.get(forms_url(visit)).content.decode()
    page = browser.get(sign_url).content.decode()
    assert "Are you pregnant?" in page and "signature-pad" in page

    refused = browser.post(sign_url, {"typed_name": "Olivia Turner"})
    assert "This field is required." in refused.content.decode()
    assert not Submission.objects.exists()
    response = browser.post(
        sign_url,
        {"q_pregnant": "no", "q_notes": "", "agree": "on", "typed_name": "Olivia Turner"},
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT="Olivia's phone",
    )

    assert response["Location"] == forms_url(visit)
    [signed] = Submission.objects.all()
    assert (signed.channel, signed.ip_address, signed.user_agent) == (
        "online",
        "198.51.100.7",
        "Olivia's phone",
    )
    assert "Nothing left to sign" in browser.get(forms_url(visit)).content.decode()
    assert browser.get(sign_url)["Location"] == forms_url(visit)  # signed: not again


def test_a_wrong_link_opens_no_form(visit):
    browser = Browser()

    response = browser.get(f"/booking/{visit.reference}/not-the-token/forms/")

    assert response.status_code == 404
    assert b"Massage consent" not in response.content


def test_the_client_space_links_to_the_forms_to_sign(visit, olivia):
    olivia.user = factories.UserFactory(username="olivia")
    olivia.save(update_fields=["user"])
    browser = Browser()
    browser.force_login(olivia.user)

    before = browser.get("/my/").content.decode()
    factories.form_signed(visit)
    after = browser.get("/my/").content.decode()

    assert forms_url(visit) in before
    assert forms_url(visit) not in after
