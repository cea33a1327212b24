"""Signing a form (consent/services.py): what is kept, the PDF and its email, the health
record it feeds, a new version asking for a new signature, and refused input."""

import base64
import io
from datetime import date

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from aftercare.models import Message
from clinical.models import HealthDeclaration, InjectableRecord
from consent.models import FormRule, Submission
from consent.selectors import missing_for
from consent.services import FormError, form_version_publish, pdf_bytes
from diary.services import appointment_book
from tests import factories
from tests.conftest import add_microcurrent
from tests.consent.conftest import FRIDAY, at
from tests.helpers import send_one


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def png_data_url(*, draw: bool = True, fmt: str = "PNG") -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if draw:
        ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.convert("RGB" if fmt == "JPEG" else "RGBA").save(out, format=fmt)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_a_signed_form_keeps_what_was_signed_and_its_pdf_says_so(visit, consent_files):
    submission = factories.form_signed(
        visit, answers={"pregnant": "no", "conditions": [], "notes": "Sensitive skin"}
    )

    submission.refresh_from_db()
    assert submission.version.number == 1
    assert submission.answers == {"pregnant": "no", "conditions": [], "notes": "Sensitive skin"}
    assert (submission.signature, submission.typed_name) == ("typed", "Olivia Turner")
    assert (submission.ip_address, submission.user_agent) == ("192.0.2.10", "TestBrowser/1.0")
    assert submission.signed_at is not None and submission.appointment == visit
    text = pdf_text(pdf_bytes(submission))
    for words in (
        "Massage consent (version 1)",
        "Client: Olivia Turner",
        "Are you pregnant?",
        "Sensitive skin",
        "192.0.2.10",
        "TestBrowser/1.0",
        visit.reference,
    ):
        assert words in text
    assert (consent_files / submission.pdf_file).exists()
    assert missing_for([visit]) == {}


def test_the_signed_pdf_is_emailed_through_the_outbox(visit, inbox):
    submission = factories.form_signed(visit)
    message = Message.objects.get(kind=Message.Kind.FORM_SIGNED, client=visit.client)
    assert message.data == {"submission": submission.pk, "form": "Massage consent"}
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)

    assert send_one(message.pk) == Message.Status.SENT

    [received] = inbox.for_outbox(message.pk)
    assert received["To"] == "olivia@example.com"
    assert received["Subject"] == "Your signed form: Massage consent"
    [attached] = [p for p in received.iter_attachments() if p.get_filename() == "signed-form.pdf"]
    assert "Client: Olivia Turner" in pdf_text(attached.get_content())


def test_declared_conditions_go_to_the_health_record_and_recheck_upcoming_visits(
    world, visit, olivia
):
    microcurrent = add_microcurrent(world)
    toning = appointment_book(treatment=microcurrent, start=at(FRIDAY, 14), client=olivia)
    assert toning.appointment.eligibility_flag == ""

    factories.form_signed(visit, answers={"pregnant": "no", "conditions": ["pacemaker"]})

    [declared] = HealthDeclaration.objects.filter(client=olivia)
    assert (declared.condition, declared.source) == ("pacemaker", "client_declared")
    toning.appointment.refresh_from_db()
    assert "pacemaker" in toning.appointment.eligibility_flag.lower()


def test_declared_injections_go_to_the_health_record(world, olivia):
    template = factories.consent_form(
        organisation=world.clinic.organisation,
        name="Health intake",
        category="facial_massage",
        questions=[
            {
                "key": "injections",
                "label": "Your last injectable treatment",
                "type": "injections",
                "options": [{"value": "filler", "label": "Dermal filler"}],
            }
        ],
    )
    visit = appointment_book(treatment=world.treatment, start=at(FRIDAY, 10), client=olivia)

    factories.form_signed(
        visit.appointment,
        version=template.versions.get(),
        answers={"injections": {"filler": "2027-02-20"}},
    )

    [record] = InjectableRecord.objects.filter(client=olivia)
    assert (record.kind, record.date, record.source) == (
        "filler",
        date(2027, 2, 20),
        "client_declared",
    )
    visit.appointment.refresh_from_db()
    assert "filler" in visit.appointment.eligibility_flag.lower()


def test_a_new_version_needs_a_new_signature_where_the_rule_says_so(visit, form):
    factories.form_signed(visit)
    assert missing_for([visit]) == {}

    form_version_publish(template=form, title="Massage consent", text="New words.", questions=[])

    [need] = missing_for([visit])[visit.pk]
    assert need.version_id == form.versions.get(number=2).pk
    FormRule.objects.filter(template=form).update(new_version_needs_signature=False)
    assert missing_for([visit]) == {}


def test_a_signature_too_old_for_the_rule_is_asked_again(visit, form):
    factories.form_signed(visit)
    Submission.objects.update(signed_at=at(date(2026, 1, 5), 10))
    FormRule.objects.filter(template=form).update(valid_days=365)

    assert list(missing_for([visit])) == [visit.pk]


def test_a_drawn_signature_is_kept_as_a_png_and_drawn_in_the_pdf(visit, consent_files):
    submission = factories.form_signed(visit, drawn=png_data_url(), typed_name="")

    assert submission.signature == "drawn"
    stored = Image.open(consent_files / submission.signature_file)
    assert (stored.format, stored.size) == ("PNG", (300, 100))
    assert len(PdfReader(io.BytesIO(pdf_bytes(submission))).pages[0].images) == 1


@pytest.mark.parametrize(
    "drawn, says",
    [
        (png_data_url(draw=False), "empty"),
        (png_data_url(fmt="JPEG"), "not a PNG"),
        ("data:image/png;base64,!!!", "could not be read"),
        ("javascript:alert(1)", "Draw your signature"),
    ],
)
def test_a_blank_or_broken_drawing_is_refused_and_nothing_is_kept(
    visit, consent_files, drawn, says
):
    with pytest.raises(FormError) as refused:
        factories.form_signed(visit, drawn=drawn, typed_name="")

    assert refused.value.code == "invalid_signature" and says in refused.value.detail
    assert not Submission.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.FORM_SIGNED).exists()
    assert not consent_files.exists() or not any(consent_files.rglob("*.*"))


def test_an_answer_that_does_not_fit_its_question_is_refused(visit, consent_files):
    with pytest.raises(FormError) as refused:
        factories.form_signed(visit, answers={"pregnant": "maybe"})

    assert (refused.value.code, refused.value.field) == ("invalid_answer", "pregnant")
    with pytest.raises(FormError):
        factories.form_signed(visit, answers={"pregnant": "no", "conditions": ["broken_leg"]})
    assert not Submission.objects.exists()


def test_a_name_beyond_latin_1_still_signs_and_reads_in_the_pdf(world, visit):
    visit.client.name = "Zoë Łukasiewicz 李"
    visit.client.save(update_fields=["name"])

    submission = factories.form_signed(visit, typed_name="Zoë Łukasiewicz 李")

    assert submission.typed_name == "Zoë Łukasiewicz 李"  # the record keeps every letter
    # DejaVu Sans (Debian's fonts-dejavu, CONSENT_PDF_FONT_DIR) has Ł but no Chinese.
    assert "Client: Zoë Łukasiewicz ?" in pdf_text(pdf_bytes(submission))


def test_without_a_unicode_font_the_pdf_falls_back_to_latin_1(world, visit, settings, tmp_path):
    settings.CONSENT_PDF_FONT_DIR = str(tmp_path)  # no font files there
    visit.client.name = "Zoë Łukasiewicz 李"
    visit.client.save(update_fields=["name"])

    submission = factories.form_signed(visit, typed_name="Zoë Łukasiewicz 李")

    assert "Client: Zoë Lukasiewicz ?" in pdf_text(pdf_bytes(submission))


def test_what_the_diary_asks_costs_the_same_few_queries_for_any_number_of_visits(
    world, form, olivia, django_assert_max_num_queries
):
    visits = [
        appointment_book(
            treatment=world.treatment, start=at(FRIDAY, hour), client=olivia
        ).appointment
        for hour in (10, 12, 14, 16)
    ]
    loaded = list(
        type(visits[0])
        .objects.filter(pk__in=[v.pk for v in visits])
        .select_related("clinic", "treatment")
    )

    with django_assert_max_num_queries(4):
        assert set(missing_for(loaded)) == {v.pk for v in visits}
