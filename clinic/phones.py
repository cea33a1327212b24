"""Phone numbers: read as typed, stored in E.164 (+447700900123), through the phonenumbers
library (Google's libphonenumber metadata). A number typed without its country code is read
in PHONE_REGION, the installation's country (ISO 3166 code, "GB" by default)."""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

INVALID_PHONE = "invalid_phone"
# What people type in a number besides digits. Letters are refused: phonenumbers would read
# them as a keypad's (1-800-FLOWERS), and "ask at reception" would become a number.
TYPED = re.compile(r"[0-9+()\-./ ]+")

INVALID_PHONE_DETAIL = (
    "This is not a phone number we can text: give it with its country code (+44 7911 123456) "
    "or as dialled in {region}."
)


def to_e164(raw: str, *, region: str | None = None) -> str:
    """`raw` in E.164 form ("" for ""), or ValidationError (code INVALID_PHONE)."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    region = (region or settings.PHONE_REGION).upper()
    try:
        number = phonenumbers.parse(raw, region) if TYPED.fullmatch(raw) else None
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_PHONE_DETAIL.format(region=region), code=INVALID_PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_or_none(raw: str, *, region: str | None = None) -> str | None:
    """E.164 for a readable number, None for one that is not (the migration's question)."""
    try:
        return to_e164(raw, region=region)
    except ValidationError:
        return None


def validate_phone(value: str) -> None:
    to_e164(value)
