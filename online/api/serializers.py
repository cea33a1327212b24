"""Input and output shapes of the public booking API (docs/api.md).

Instants go out in the clinic's local time with its UTC offset and come in only with an
offset: a naive time is refused rather than guessed.
"""

from datetime import timedelta

from django.conf import settings
from rest_framework import serializers

from web.api.fields import (
    AwareDateTimeField,
    BoundedDateField,
    InputSerializer,
    PhoneField,
    PlainTextField,
    QuerySerializer,
    term_code,
)
from web.api.shapes import PractitionerOutput, SlotOutput, local_iso


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


class PrerequisiteOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    required_treatment = serializers.CharField(
        allow_null=True, help_text="The slug of the treatment to book first."
    )


class AvailabilityOutput(serializers.Serializer):
    timezone = serializers.CharField()
    slots = SlotOutput(many=True)
    eligible_from = serializers.DateField(
        allow_null=True,
        help_text="For a known client (logged in, or chosen by staff) still inside a waiting "
        "period: the first date they may book, where the slots begin. Otherwise null.",
    )
    prerequisite = PrerequisiteOutput(
        allow_null=True,
        help_text="For a known client without the appointment a treatment needs first (a "
        "patch test, a consultation): why there are no slots and what to book. Otherwise null.",
    )


class ClientInput(InputSerializer):
    name = PlainTextField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = PhoneField(required=False, allow_blank=True)


class InjectableInput(InputSerializer):
    kind = term_code("A prior procedure or injectable's code (filler, botox, profound_rf...).")
    date = BoundedDateField(help_text="The day of the injection (clinic-local), not in the future.")
    areas = serializers.ListField(
        child=term_code("A face area's code (cheeks, lips...)."), required=False, max_length=20
    )


class HealthDeclarationInput(InputSerializer):
    injectables = serializers.ListField(child=InjectableInput(), required=False, max_length=20)
    conditions = serializers.ListField(
        child=term_code("A condition's code (pacemaker, pregnancy, metal_implants...)."),
        required=False,
        max_length=20,
    )


class DiscountInput(InputSerializer):
    """A discount staff give when booking: an amount or a percentage of the price, and why."""

    amount = serializers.DecimalField(
        required=False, max_digits=8, decimal_places=2, min_value=0, help_text='e.g. "10.00".'
    )
    percent = serializers.DecimalField(
        required=False, max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    reason = PlainTextField(max_length=200)

    def validate(self, data):
        if ("amount" in data) == ("percent" in data):
            raise serializers.ValidationError("Give an amount or a percent.")
        return data


class BookingInput(InputSerializer):
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
    course = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The id of one of the client's courses (GET /api/v1/me/courses/): a "
        "session of it pays for the visit.",
    )
    discount = DiscountInput(required=False, help_text="Staff only.")
    sms_opt_in = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The client agrees to text reminders at their phone number: recorded with "
        "the time and the source (booking_form; staff when staff book). For a held booking, "
        "once the address's owner confirms it.",
    )


class HeldOutput(serializers.Serializer):
    """The answer to a booking asked for by someone not signed in: the time is held and the
    address emailed a link to confirm. The same for any address."""

    reference = serializers.CharField()
    status = serializers.CharField(help_text='"held".')
    start = serializers.CharField()
    end = serializers.CharField()
    treatment = serializers.CharField()
    treatment_name = serializers.CharField()
    practitioner = PractitionerOutput()
    held_until = serializers.CharField(help_text="ISO 8601 with the clinic's UTC offset.")
    warnings = serializers.ListField(child=serializers.CharField())
    detail = serializers.CharField()


def held_data(held, *, warnings=(), as_asked: bool = False) -> dict:
    """`as_asked`: the answer as it was when the hold was made (an idempotent replay), not
    whatever the address's owner has done with it since."""
    tz = held.clinic.tzinfo
    held_until = held.held_until
    if as_asked:
        held_until = held.booking_request.created_at + timedelta(minutes=settings.HOLD_MINUTES)
    return {
        "reference": held.reference,
        "status": "held" if as_asked else held.status,
        "start": local_iso(held.start, tz),
        "end": local_iso(held.end, tz),
        "treatment": held.treatment.slug,
        "treatment_name": held.treatment.name,
        "practitioner": {"id": held.practitioner_id, "name": held.practitioner.name},
        "held_until": local_iso(held_until, tz) if held_until else None,
        "warnings": list(warnings),
        "detail": (
            "We have emailed a link to the address given. The booking is made when it is "
            "opened and confirmed; until then the time is held."
        ),
    }


class RescheduleInput(InputSerializer):
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


class CancelInput(InputSerializer):
    reason = PlainTextField(required=False, max_length=1000, allow_blank=True, multiline=True)
    token = PlainTextField(required=False, max_length=200)
    client_asked = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Staff cancelling because the client asked: the late-cancellation fee of the "
        "clinic's payment policy applies, as to a client's own cancellation.",
    )


class CancelOutput(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()


class TokenInput(InputSerializer):
    username = PlainTextField(max_length=150)
    # A password is taken exactly as typed: no trimming.
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
