"""A client's signed forms in their data export, and gone with their files when they are
anonymised."""

from aftercare.models import Message
from consent.models import Submission
from privacy.anonymise import client_anonymise
from privacy.export import client_export
from tests import factories
from tests.consent.test_signing import png_data_url


def test_the_export_holds_every_signed_form(visit, olivia):
    signed = factories.form_signed(visit, answers={"pregnant": "no", "notes": "Sensitive skin"})

    [exported] = client_export(olivia)["form_submissions"]

    assert exported["id"] == signed.pk
    assert (exported["form"], exported["version"]) == ("Massage consent", 1)
    assert exported["answers"]["notes"] == "Sensitive skin"
    assert exported["typed_name"] == "Olivia Turner"
    assert (exported["ip_address"], exported["user_agent"]) == ("192.0.2.10", "TestBrowser/1.0")
    assert exported["pdf_file"] == signed.pdf_file


def test_anonymising_deletes_the_signed_forms_and_their_files(
    visit, olivia, consent_files, django_capture_on_commit_callbacks
):
    drawn = factories.form_signed(visit, drawn=png_data_url(), typed_name="")
    files = [consent_files / drawn.pdf_file, consent_files / drawn.signature_file]
    assert all(f.exists() for f in files)
    visit.status = visit.Status.CANCELLED  # anonymising waits for upcoming visits to go
    visit.save(update_fields=["status"])

    with django_capture_on_commit_callbacks(execute=True):
        client_anonymise(client=olivia)

    assert not Submission.objects.filter(client=olivia).exists()
    assert not any(f.exists() for f in files)
    signed_email = Message.objects.get(kind=Message.Kind.FORM_SIGNED)
    assert signed_email.data == {}  # it named the submission
