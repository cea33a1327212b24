"""Writes of the forms: publishing a new version of a template, a client signing one (online
or on the clinic's tablet), and erasing a client's submissions on anonymisation.

Signing keeps the answers, the signature, the time, the version, the address and the
browser; builds the signed PDF and stores it (with a drawn signature's PNG) through the
"consent" storage, outside the public media path; emails the PDF through the outbox; and
sends declared conditions and injections through clinical/services.py, so the client's
upcoming appointments are re-checked. The files are written before the transaction (the
storage may be remote) and deleted again if it fails.
"""

import base64
import binascii
import io
import uuid
from datetime import date

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from aftercare.models import Message
from aftercare.planning import save_new
from bookings.models import Appointment
from clinic.audit import Origin, acting_user
from clinic.models import Client, Clinic
from clinical import services as health
from clinical.models import HealthDeclaration, InjectableRecord
from clinical.terms import vocabulary_for
from clinical.vocabulary import CONDITION, PROCEDURE, RecordSource, Vocabulary
from consent import pdf
from consent.models import FormTemplate, FormVersion, Submission
from consent.planning import plan_forms_reminders_for

QUESTION_TYPES = ("yes_no", "text", "conditions", "injections")
MAX_SIGNATURE_BYTES = 300_000
MAX_SIGNATURE_SIZE = (2000, 1000)
MAX_TEXT = 2000
PNG_DATA_URL = "data:image/png;base64,"


class FormError(ValueError):
    """A signing refused for its input: `code` and `detail` as the API words them."""

    status = 400

    def __init__(self, code: str, detail: str, *, field: str = ""):
        super().__init__(detail)
        self.code, self.detail, self.field = code, detail, field

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "detail": self.detail,
            **({"field": self.field} if self.field else {}),
        }


def storage():
    return storages["consent"]


# -- versions ----------------------------------------------------------------------------------


# The vocabulary a question type's options must come from: their answers join the record.
RECORDED_AS = {"conditions": CONDITION, "injections": PROCEDURE}


def questions_check(questions: list, *, words: Vocabulary) -> None:
    """A version's questions are well formed, and the options of those whose answers join the
    health record ("conditions", "injections") are codes of the organisation's vocabulary
    (`words`): an option the rules do not know would be kept on the record and never
    checked."""
    if not isinstance(questions, list):
        raise FormError("invalid_questions", "Questions must be a list.")
    keys = set()
    for q in questions:
        if not isinstance(q, dict) or not q.get("key") or not q.get("label"):
            raise FormError("invalid_questions", "Each question needs a key and a label.")
        if q.get("type") not in QUESTION_TYPES:
            raise FormError("invalid_questions", f"Unknown question type: {q.get('type')!r}.")
        if q["key"] in keys:
            raise FormError("invalid_questions", f"Two questions have the key {q['key']!r}.")
        keys.add(q["key"])
        if q["type"] in RECORDED_AS:
            _options_check(q, words=words, vocabulary=RECORDED_AS[q["type"]])


def _options_check(question: dict, *, words: Vocabulary, vocabulary: str) -> None:
    options = question.get("options")
    if not isinstance(options, list) or not all(
        isinstance(o, dict) and "value" in o and "label" in o for o in options
    ):
        raise FormError(
            "invalid_questions",
            f"The options of {question['key']!r} must be a list of {{value, label}}.",
        )
    unknown = [str(o["value"]) for o in options if not words.knows(vocabulary, str(o["value"]))]
    if unknown:
        raise FormError(
            "invalid_questions",
            f"{', '.join(map(repr, unknown))} in {question['key']!r} is not one of the "
            f"organisation's {vocabulary} words (add it under clinical words first).",
        )


def form_version_publish(
    *, template: FormTemplate, title: str, text: str, questions: list, by=None
) -> FormVersion:
    """A new version of `template`: versions are never edited, so signatures keep the words
    the client saw. Whether a signature of the old one still counts is the rule's say
    (FormRule.new_version_needs_signature)."""
    questions_check(questions, words=vocabulary_for(template.organisation_id))
    with transaction.atomic():
        FormTemplate.objects.select_for_update().filter(pk=template.pk).get()
        number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = FormVersion.objects.create(
            template=template,
            number=number,
            title=title,
            text=text,
            questions=questions,
            created_by=acting_user(by),
        )
        # Clients who signed the old words sign again where the rule says so: remind them.
        plan_forms_reminders_for(template.rules.filter(new_version_needs_signature=True))
        return version


# -- answers and signature ---------------------------------------------------------------------


def _options(question: dict) -> dict[str, str]:
    return {str(o["value"]): str(o["label"]) for o in question.get("options", [])}


def _list_of_words(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def answers_clean(version: FormVersion, raw: dict, *, today: date) -> dict:
    """The answers to `version`'s questions, checked: yes_no "yes"/"no", text, conditions a
    list of its options, injections {kind: ISO date} for its options."""
    answers = {}
    for q in version.questions:
        key, kind, value = q["key"], q["type"], raw.get(q["key"])
        required = q.get("required", kind == "yes_no")
        if kind == "yes_no":
            if value not in ("yes", "no"):
                if required or value not in (None, ""):
                    raise FormError("invalid_answer", f"Answer yes or no: {q['label']}", field=key)
                continue
        elif kind == "text":
            if value is not None and not isinstance(value, str):
                raise FormError("invalid_answer", f"Answer in words: {q['label']}", field=key)
            value = (value or "").strip()[:MAX_TEXT]
            if required and not value:
                raise FormError("invalid_answer", f"Please answer: {q['label']}", field=key)
        elif kind == "conditions":
            if value is not None and not _list_of_words(value):
                raise FormError(
                    "invalid_answer", f"Give a list of choices: {q['label']}", field=key
                )
            value = list(dict.fromkeys(value or []))
            if not set(value) <= set(_options(q)):
                raise FormError("invalid_answer", f"Unknown choice in: {q['label']}", field=key)
        elif kind == "injections":
            if value is not None and not isinstance(value, dict):
                raise FormError(
                    "invalid_answer", f"Give a date for each choice: {q['label']}", field=key
                )
            value = {k: v for k, v in (value or {}).items() if v}
            if not set(value) <= set(_options(q)):
                raise FormError("invalid_answer", f"Unknown choice in: {q['label']}", field=key)
            for k, v in value.items():
                try:
                    day = date.fromisoformat(str(v))
                except ValueError:
                    raise FormError(
                        "invalid_answer", f"Not a date: {v!r} ({q['label']})", field=key
                    ) from None
                if day > today:
                    raise FormError("invalid_answer", health.FUTURE_DATE, field=key)
                value[k] = day.isoformat()
        answers[key] = value
    return answers


def answers_in_words(version: FormVersion, answers: dict) -> list[tuple[str, str]]:
    words = []
    for q in version.questions:
        value = answers.get(q["key"])
        options = _options(q)
        if q["type"] == "yes_no":
            said = {"yes": "Yes", "no": "No"}.get(value, "")
        elif q["type"] == "conditions":
            said = ", ".join(options.get(v, v) for v in value or []) or "None"
        elif q["type"] == "injections":
            said = "; ".join(f"{options.get(k, k)}: {d}" for k, d in (value or {}).items())
            said = said or "None"
        else:
            said = value or ""
        words.append((q["label"], said))
    return words


def signature_png(data_url: str) -> bytes:
    """A drawn signature from the page's canvas (a PNG data URL), checked and re-encoded:
    a PNG, not too large, and not blank."""
    if not isinstance(data_url, str) or not data_url.startswith(PNG_DATA_URL):
        raise FormError("invalid_signature", "Draw your signature, or type your name.")
    encoded = data_url[len(PNG_DATA_URL) :]
    if len(encoded) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise FormError("invalid_signature", "The drawn signature is too large.")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
        if image.format != "PNG":
            raise FormError("invalid_signature", "The drawn signature is not a PNG image.")
        if image.width > MAX_SIGNATURE_SIZE[0] or image.height > MAX_SIGNATURE_SIZE[1]:
            raise FormError("invalid_signature", "The drawn signature is too large.")
        image = image.convert("RGBA")
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError) as error:
        if isinstance(error, FormError):
            raise
        raise FormError("invalid_signature", "The drawn signature could not be read.") from None
    if image.getchannel("A").getbbox() is None:
        raise FormError("invalid_signature", "The signature box is empty: draw your signature.")
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="PNG", optimize=True)
    return out.getvalue()


# -- signing -----------------------------------------------------------------------------------


def submission_sign(
    *,
    client: Client,
    clinic: Clinic,
    version: FormVersion,
    answers: dict,
    drawn: str = "",
    typed_name: str = "",
    ip_address: str | None,
    user_agent: str,
    channel: str,
    appointment: Appointment | None = None,
    by=None,
    origin: Origin | None = None,
) -> Submission:
    """Keep a signed form, its PDF, and the email that carries it; record the conditions and
    injections it declares on the health record. Raises FormError for bad input."""
    if version.template.organisation_id != client.organisation_id:
        raise FormError("not_found", "No such form.")
    now = timezone.now()
    answers = answers_clean(version, answers, today=timezone.localdate(timezone=clinic.tzinfo))
    png = signature_png(drawn) if drawn else None
    typed_name = (typed_name or "").strip()[:200]
    if png is None and not typed_name:
        raise FormError("invalid_signature", "Draw your signature, or type your name.")
    document = pdf.signed_form_pdf(
        pdf.Signed(
            clinic=clinic.name,
            title=version.title,
            version=version.number,
            text=version.text,
            client=client.name,
            answers=answers_in_words(version, answers),
            signature_png=png,
            typed_name=typed_name,
            signed_at=now.astimezone(clinic.tzinfo),
            ip_address=ip_address or "",
            user_agent=user_agent,
            reference=appointment.reference if appointment else "",
        )
    )
    stem = f"{client.organisation_id}/{uuid.uuid4().hex}"
    files = [storage().save(f"{stem}.pdf", ContentFile(document))]
    if png is not None:
        files.append(storage().save(f"{stem}-signature.png", ContentFile(png)))
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                client=client,
                clinic=clinic,
                version=version,
                appointment=appointment,
                answers=answers,
                signature=Submission.Signature.DRAWN if png else Submission.Signature.TYPED,
                typed_name="" if png else typed_name,
                signature_file=files[1] if png else "",
                pdf_file=files[0],
                signed_at=now,
                ip_address=ip_address or None,
                user_agent=(user_agent or "")[:400],
                channel=channel,
                taken_by=acting_user(by) if channel == Submission.Channel.TABLET else None,
            )
            _health_record(version, answers, client=client, by=by, origin=origin)
            save_new(
                [
                    Message(
                        key=f"submission:{submission.pk}:{Message.Kind.FORM_SIGNED}",
                        clinic=clinic,
                        client=client,
                        appointment=appointment,
                        treatment_id=appointment.treatment_id if appointment else None,
                        kind=Message.Kind.FORM_SIGNED,
                        due_at=now,
                        data={"submission": submission.pk, "form": version.title},
                    )
                ]
            )
    except BaseException:
        for name in files:
            storage().delete(name)
        raise
    return submission


def _health_record(version, answers, *, client, by, origin) -> None:
    """What the form declares, through the health-record service (which re-checks the
    client's upcoming appointments); what is already on file is not recorded twice."""
    today = timezone.localdate(timezone=client.home_clinic.tzinfo)
    for q in version.questions:
        value = answers.get(q["key"])
        if q["type"] == "conditions" and value:
            in_force = set(
                HealthDeclaration.objects.filter(client=client)
                .exclude(ended_on__lte=today)
                .values_list("condition", flat=True)
            )
            for condition in value:
                if condition not in in_force:
                    health.declaration_record(
                        client=client,
                        condition=condition,
                        declared_on=today,
                        source=RecordSource.CLIENT,
                        notes=f"Declared on the form {version}.",
                        by=by,
                        origin=origin,
                    )
        elif q["type"] == "injections" and value:
            on_file = set(
                InjectableRecord.objects.filter(
                    client=client, superseded_at__isnull=True
                ).values_list("kind", "date")
            )
            for kind, day in value.items():
                if (kind, date.fromisoformat(day)) not in on_file:
                    health.injectable_record(
                        client=client,
                        kind=kind,
                        date=date.fromisoformat(day),
                        source=RecordSource.CLIENT,
                        notes=f"Declared on the form {version}.",
                        by=by,
                        origin=origin,
                    )


def submissions_erase(*, client: Client) -> int:
    """Delete `client`'s submissions and their files (anonymisation). The files go after the
    rows have gone with the transaction: a failure leaves no row pointing at nothing."""
    submissions = Submission.objects.filter(client=client)
    names = [n for pair in submissions.values_list("pdf_file", "signature_file") for n in pair if n]
    count, _ = submissions.delete()

    def delete_files():
        for name in names:
            storage().delete(name)

    transaction.on_commit(delete_files)
    return count


def pdf_bytes(submission: Submission) -> bytes:
    with storage().open(submission.pdf_file, "rb") as handle:
        return handle.read()
