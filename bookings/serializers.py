"""Input and output shapes of the public booking API (shared/API.md).

Instants go out in the clinic's local time with its UTC offset and come in only with an
offset: a naive time is refused rather than guessed.
"""

import re
from datetime import date, datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.models import Condition, FaceArea, InjectableKind

# ISO 8601 as people and programs write it: a date, "T" (or a space), a time and an offset.
# Anything else (control characters, week dates, trailing text) is refused before parsing,
# because Python's parser is lenient about the separator.
INSTANT_PATTERN = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?",
    re.ASCII,
)

# Control characters have no place in what a person types: C0 and C1 controls, DEL, and the
# Unicode line and paragraph separators. Multi-line fields (notes) keep tab and newlines.
# The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) go too:
# no name needs them, and they let text display as something else ("Trojan Source"), in a
# day sheet or an email; the right-to-left and left-to-right marks stay.
LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TEXT_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)

# Far enough either way for any real diary; outside it date arithmetic could overflow.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def local_iso(instant: datetime, tz) -> str:
    return instant.astimezone(tz).isoformat()


class AwareDateTimeField(serializers.Field):
    """An ISO 8601 instant that must carry a UTC offset."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 time with its UTC offset, e.g. 2027-03-29T09:00:00+01:00.",
        "naive": "The time has no UTC offset; add one, e.g. 2027-03-29T09:00:00+01:00.",
        "range": "The time must be between 2000 and 2100.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or not INSTANT_PATTERN.fullmatch(data.strip()):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
            self.fail("range")
        return value

    def to_representation(self, value):
        return value.isoformat()


extend_schema_field(OpenApiTypes.DATETIME)(AwareDateTimeField)


class PlainTextField(serializers.CharField):
    """Text a person typed (a name, a phone number, a note): no control characters, nothing
    that is not valid Unicode (a lone surrogate cannot be stored), and at most max_length
    characters as sent, before surrounding spaces are trimmed, as the schema says. Letters of
    every script, emoji and right-to-left marks are welcome; direction overrides are not."""

    default_error_messages = {
        "control": "Remove the control characters (and any text-direction overrides) from this "
        "text.",
        "encoding": "This text is not valid Unicode.",
    }

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.controls = TEXT_CONTROLS if multiline else LINE_CONTROLS
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            try:
                data.encode("utf-8")
            except UnicodeEncodeError:
                self.fail("encoding")
            if self.controls.search(data):
                self.fail("control")
        return super().to_internal_value(data)


class QuerySerializer(serializers.Serializer):
    """For query strings. DRF reads `?name=` as if `name` were absent; a parameter given
    blank is refused instead, unless its field allows blank, so `?treatment=` is a 400."""

    def to_internal_value(self, data):
        blank = {
            name: ["This parameter may not be blank."]
            for name, field in self.fields.items()
            if data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class BoundedDateField(serializers.DateField):
    default_error_messages = {"range": "The date must be between 2000-01-01 and 2100-12-31."}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) > 20:
            self.fail("invalid", format="YYYY-MM-DD")
        parsed = super().to_internal_value(value)
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            self.fail("range")
        return parsed


class ClinicOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()


class TreatmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    currency = serializers.CharField(source="clinic.currency")
    clinic = ClinicOutput()


class PractitionerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PractitionerQuery(QuerySerializer):
    treatment = serializers.SlugField(required=False, max_length=50)


class AvailabilityQuery(QuerySerializer):
    treatment = serializers.SlugField(max_length=50)
    # `from` is a Python keyword, so the field is declared through the class namespace.
    locals()["from"] = BoundedDateField()
    to = BoundedDateField()
    practitioner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    client = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Staff only: search for this client (starts at their earliest eligible date).",
    )

    def validate(self, attrs):
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["`to` must not be before `from`."]})
        return attrs


class SlotOutput(serializers.Serializer):
    start = serializers.CharField(help_text="ISO 8601 with the clinic's UTC offset.")
    end = serializers.CharField(help_text="ISO 8601 with the clinic's UTC offset.")
    practitioners = serializers.ListField(child=serializers.IntegerField())


class AvailabilityOutput(serializers.Serializer):
    timezone = serializers.CharField()
    slots = SlotOutput(many=True)
    eligible_from = serializers.DateField(
        allow_null=True,
        help_text="For a known client (logged in, or chosen by staff) still inside a waiting "
        "period: the first date they may book, where the slots begin. Otherwise null.",
    )


def slot_data(slot, tz) -> dict:
    return {
        "start": local_iso(slot.start, tz),
        "end": local_iso(slot.end, tz),
        "practitioners": list(slot.practitioner_ids),
    }


class ClientInput(serializers.Serializer):
    name = PlainTextField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = PlainTextField(max_length=40, required=False, allow_blank=True)


class InjectableInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InjectableKind.choices)
    date = BoundedDateField(help_text="The day of the injection (clinic-local), not in the future.")
    areas = serializers.ListField(
        child=serializers.ChoiceField(choices=FaceArea.choices), required=False, max_length=20
    )


class HealthDeclarationInput(serializers.Serializer):
    injectables = serializers.ListField(child=InjectableInput(), required=False, max_length=20)
    conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=Condition.choices), required=False, max_length=20
    )


class BookingInput(serializers.Serializer):
    treatment = serializers.SlugField(max_length=50)
    start = AwareDateTimeField()
    practitioner = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1
    )
    client = ClientInput(required=False)
    client_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Staff only: book for a client already on record.",
    )
    health = HealthDeclarationInput(required=False)
    acknowledge_warnings = serializers.BooleanField(required=False, default=False)
    override_reason = PlainTextField(
        required=False, max_length=1000, allow_blank=True, multiline=True
    )
    notes = PlainTextField(required=False, max_length=2000, allow_blank=True, multiline=True)


class RescheduleInput(serializers.Serializer):
    start = AwareDateTimeField()
    token = PlainTextField(required=False, max_length=200)
    acknowledge_warnings = serializers.BooleanField(required=False, default=False)
    override_reason = PlainTextField(
        required=False,
        max_length=1000,
        allow_blank=True,
        multiline=True,
        help_text="Staff with permission.",
    )


class CancelInput(serializers.Serializer):
    reason = PlainTextField(required=False, max_length=1000, allow_blank=True, multiline=True)
    token = PlainTextField(required=False, max_length=200)


class AppointmentOutput(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    start = serializers.CharField()
    end = serializers.CharField()
    treatment = serializers.CharField(help_text="The treatment's slug.")
    treatment_name = serializers.CharField()
    practitioner = PractitionerOutput()
    warnings = serializers.ListField(child=serializers.CharField())
    manage_token = serializers.CharField()


def appointment_data(appointment, *, warnings=None) -> dict:
    tz = appointment.clinic.tzinfo
    return {
        "reference": appointment.reference,
        "status": appointment.status,
        "start": local_iso(appointment.start, tz),
        "end": local_iso(appointment.end, tz),
        "treatment": appointment.treatment.slug,
        "treatment_name": appointment.treatment.name,
        "practitioner": {"id": appointment.practitioner_id, "name": appointment.practitioner.name},
        "warnings": list(
            warnings if warnings is not None else getattr(appointment, "warnings", [])
        ),
        "manage_token": appointment.manage_token,
    }


class CancelOutput(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()


class TokenInput(serializers.Serializer):
    username = PlainTextField(max_length=150)
    # A password is taken exactly as typed: no trimming.
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class SlotUnavailableOutput(ErrorOutput):
    alternatives = SlotOutput(many=True)
