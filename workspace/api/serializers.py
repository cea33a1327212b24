"""Input and output shapes of the staff endpoints of docs/api.md: clients, their health
record and eligibility, and the day's appointments with the practitioner's cautions."""

from rest_framework import serializers

from web.api.fields import BoundedDateField, PhoneField, PlainTextField, QuerySerializer, term_code
from web.api.shapes import StaffAppointmentOutput, local_iso


class ClientQuery(QuerySerializer):
    q = PlainTextField(
        required=False, allow_blank=True, max_length=200, help_text="Name, email or phone."
    )


class ClientCreateInput(serializers.Serializer):
    name = PlainTextField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = PhoneField(required=False, allow_blank=True)
    clinic = serializers.SlugField(
        required=False, max_length=50, help_text="The clinic's slug; optional with one clinic."
    )


class InjectableCreateInput(serializers.Serializer):
    kind = term_code("A prior procedure or injectable's code (filler, botox, profound_rf...).")
    date = BoundedDateField()
    product = PlainTextField(max_length=120, required=False, allow_blank=True)
    lot_number = PlainTextField(max_length=60, required=False, allow_blank=True)
    amount = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    amount_unit = serializers.ChoiceField(choices=["ml", "units"], required=False)
    areas = serializers.ListField(
        child=term_code("A face area's code (cheeks, lips...)."), required=False, max_length=20
    )
    given_here = serializers.BooleanField(required=False, default=False)
    given_at = PlainTextField(max_length=200, required=False, allow_blank=True)
    notes = PlainTextField(max_length=2000, required=False, allow_blank=True, multiline=True)
    corrects = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="The record this corrects."
    )


class InjectableOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    date = serializers.DateField()
    areas = serializers.ListField(child=serializers.CharField())
    product = serializers.CharField()
    lot_number = serializers.CharField()
    amount = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    amount_unit = serializers.CharField()
    given_here = serializers.BooleanField()
    given_at = serializers.CharField()
    source = serializers.CharField()
    # null: no staff account recorded it (the client did, online) or the account is gone.
    recorded_by = serializers.CharField(
        source="recorded_by.get_username", default=None, allow_null=True
    )
    recorded_at = serializers.DateTimeField()
    notes = serializers.CharField()
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    superseded = serializers.SerializerMethodField()

    def get_superseded(self, record) -> bool:
        return record.superseded_at is not None


class RecordProductOutput(serializers.Serializer):
    product = serializers.CharField()
    lot_number = serializers.CharField()


class TreatmentRecordOutput(serializers.Serializer):
    id = serializers.IntegerField()
    appointment = serializers.CharField(source="appointment.reference")
    start = serializers.DateTimeField(source="appointment.start")
    clinic = serializers.CharField(source="clinic.slug")
    treatment = serializers.CharField(source="treatment.slug")
    version = serializers.IntegerField()
    notes = serializers.CharField()
    areas = serializers.ListField(child=serializers.CharField())
    pressure = serializers.CharField()
    # By the treatment's device-settings fields' names: numbers as numbers, decimals as text.
    device_settings = serializers.DictField()
    products = RecordProductOutput(many=True)
    amendment_reason = serializers.CharField()
    written_by = serializers.CharField(
        source="written_by.get_username", default=None, allow_null=True
    )
    written_at = serializers.DateTimeField()
    superseded = serializers.SerializerMethodField()

    def get_superseded(self, record) -> bool:
        return record.superseded_at is not None


class DeclarationCreateInput(serializers.Serializer):
    condition = term_code("A condition's code (pacemaker, pregnancy, metal_implants...).")
    declared_on = BoundedDateField(required=False)
    notes = PlainTextField(max_length=2000, required=False, allow_blank=True, multiline=True)


class DeclarationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    condition = serializers.CharField()
    declared_on = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True)
    source = serializers.CharField()
    notes = serializers.CharField()


class FlaggedOutput(serializers.Serializer):
    reference = serializers.CharField()
    start = serializers.CharField()
    flag = serializers.CharField()


class InjectableCreatedOutput(serializers.Serializer):
    injectable = InjectableOutput()
    flagged = FlaggedOutput(many=True)


class DeclarationCreatedOutput(serializers.Serializer):
    declaration = DeclarationOutput()
    flagged = FlaggedOutput(many=True)


def flagged_data(appointments) -> list[dict]:
    return [
        {
            "reference": a.reference,
            "start": local_iso(a.start, a.clinic.tzinfo),
            "flag": a.eligibility_flag,
        }
        for a in appointments
    ]


class EligibilityQuery(QuerySerializer):
    treatment = serializers.SlugField(max_length=50)
    date = BoundedDateField(required=False, help_text="Clinic-local date; today if omitted.")


class EligibilityOutput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["allowed", "warn", "refused"])
    earliest_date = serializers.DateField(allow_null=True)
    recommended_date = serializers.DateField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    cautions = serializers.ListField(child=serializers.CharField())


class DayQuery(QuerySerializer):
    date = BoundedDateField()
    clinic = serializers.SlugField(
        required=False,
        max_length=50,
        help_text="One of your clinics (its slug); all of them if omitted.",
    )
    practitioner = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class SignOffInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "decline"])
    note = PlainTextField(max_length=2000, multiline=True, help_text="Why: kept, never emailed.")


class SignOffOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["pending", "approved", "declined", "not_needed"])
    reasons = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField()
    decided_by = serializers.CharField(
        source="decided_by.get_username", default=None, allow_null=True
    )
    decided_at = serializers.DateTimeField(allow_null=True)


class SignedOffOutput(serializers.Serializer):
    appointment = StaffAppointmentOutput()
    sign_off = SignOffOutput()


class PaymentInput(serializers.Serializer):
    amount = serializers.CharField(
        max_length=20, help_text='An exact decimal in the appointment\'s currency, e.g. "45.00".'
    )
    kind = serializers.ChoiceField(choices=["deposit", "balance", "fee", "refund"])
    method = serializers.ChoiceField(choices=["card_at_desk", "cash", "other"])
    note = PlainTextField(max_length=200, required=False, allow_blank=True)


class WaiveInput(serializers.Serializer):
    reason = PlainTextField(max_length=500, multiline=True)


class PaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.CharField()
    currency = serializers.CharField()
    kind = serializers.CharField()
    method = serializers.CharField()
    note = serializers.CharField()
    recorded_by = serializers.CharField(allow_null=True)
    recorded_at = serializers.DateTimeField()


class ChargeOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="late_cancellation_fee or no_show_fee")
    amount = serializers.CharField()
    currency = serializers.CharField()
    waived = serializers.BooleanField()
    waived_at = serializers.DateTimeField(allow_null=True)
    waive_reason = serializers.CharField()


class AccountOutput(serializers.Serializer):
    reference = serializers.CharField()
    currency = serializers.CharField()
    price = serializers.CharField(allow_null=True, help_text="As booked; a reschedule keeps it.")
    discount = serializers.CharField()
    paid = serializers.CharField(help_text="Payments less refunds.")
    outstanding = serializers.CharField(help_text="Due now.")
    outstanding_is = serializers.CharField(
        help_text="nothing, deposit, balance, late_cancellation_fee or no_show_fee"
    )
    refund_due = serializers.CharField(help_text="Paid beyond what is kept.")
    refund_to_card = serializers.CharField(
        help_text="Of refund_due, planned back to the card, not yet answered by Stripe."
    )
    refund_at_desk = serializers.CharField(help_text="Of refund_due, for the desk to give back.")
    balance_at_visit = serializers.CharField()
    charge = ChargeOutput(allow_null=True)
    payments = PaymentOutput(many=True)
