"""The length check for SMS texts staff write in the template admin: the text rendered with
sample facts of realistic length (the treatment's own names when the template is for one, a
real-looking link to the booking's page), with the STOP line every text carries, counted in
segments (sending/segments.py) against SMS_MAX_SEGMENTS."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from clinic.models import Treatment
from sending.content import SMS_STOP_LINE
from sending.rendering import render_sms
from sending.segments import Segments, segments

SAMPLE_START = datetime(2027, 9, 30, 17, 45, tzinfo=UTC)


def sample_facts(treatment: Treatment | None) -> dict:
    clinic = treatment.clinic if treatment else None
    url = settings.SITE_URL.rstrip("/")
    return {
        "manage_url": f"{url}/booking/LM7K2Q9X/{'x' * 32}/",
        "forms_url": f"{url}/booking/LM7K2Q9X/{'x' * 32}/forms/",
        "sign_in_url": f"{url}/account/login/",
        "client": {"name": "Alexandra Montgomery", "first_name": "Alexandra"},
        "clinic": {
            "name": clinic.name if clinic else "Lumière Skin Clinic",
            "phone": clinic.phone if clinic and clinic.phone else "+442079460000",
            "address": "",
            "email": "",
            "cancellation_window_hours": 24,
        },
        "treatment": {
            "name": treatment.name if treatment else "Sculpting and lifting facial massage",
            "duration_minutes": 60,
        },
        "appointment": {
            "reference": "LM7K2Q9X",
            "start": SAMPLE_START,
            "end": SAMPLE_START,
            "practitioner": "Charlotte Fairweather",
        },
    }


def sms_segments(text: str, *, treatment: Treatment | None) -> tuple[str, Segments]:
    """The text as a sample client would get it, and what it costs."""
    tz = treatment.clinic.tzinfo if treatment else timezone.get_current_timezone()
    with timezone.override(tz):
        body = render_sms(text=text, context=sample_facts(treatment)) + "\n" + SMS_STOP_LINE
    return body, segments(body)


def too_long(text: str, *, treatment: Treatment | None) -> str:
    """Why this SMS text is refused ("" if it is not)."""
    _, cost = sms_segments(text, treatment=treatment)
    limit = settings.SMS_MAX_SEGMENTS
    if cost.count <= limit:
        return ""
    per = "153 characters" if cost.encoding == "GSM-7" else "67 characters"
    why = (
        ""
        if cost.encoding == "GSM-7"
        else " It uses a character outside the GSM alphabet (an emoji, a curly quote...), "
        "so every segment holds 67 characters instead of 153."
    )
    return (
        f"This text makes {cost.count} SMS segments with sample details ({cost.units} "
        f"{'characters' if cost.encoding == 'GSM-7' else 'UCS-2 units'} in {cost.encoding}, "
        f"{per} a segment, the STOP line included); at most {limit} are allowed.{why}"
    )
