"""The shapes the APIs answer with for what both the public and the staff API return:
appointments (the public shape, and the staff shape with the client, rooms and cautions),
practitioners and free slots. Instants go out in the clinic's local time with its offset."""

from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers


def local_iso(instant: datetime, tz) -> str:
    return instant.astimezone(tz).isoformat()


class PractitionerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SlotOutput(serializers.Serializer):
    start = serializers.CharField(help_text="ISO 8601 with the clinic's UTC offset.")
    end = serializers.CharField(help_text="ISO 8601 with the clinic's UTC offset.")
    practitioners = serializers.ListField(child=serializers.IntegerField())


def slot_data(slot, tz) -> dict:
    return {
        "start": local_iso(slot.start, tz),
        "end": local_iso(slot.end, tz),
        "practitioners": list(slot.practitioner_ids),
    }


class ClientOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField()
    clinic = serializers.CharField(
        source="home_clinic.slug", help_text="Their home clinic: where they were first recorded."
    )


class SmsConsentOutput(serializers.Serializer):
    """Whether a client agrees to text messages, and the record of when and how they said so
    (sources: booking_form, client_space, staff, reply)."""

    client = serializers.IntegerField(source="pk")
    organisation = serializers.CharField(source="organisation.slug")
    phone = serializers.CharField(help_text="E.164, or as typed for an old unreadable number.")
    opted_in = serializers.BooleanField(source="sms_opted_in")
    opt_in_at = serializers.DateTimeField(source="sms_opt_in_at", allow_null=True)
    opt_in_source = serializers.CharField(source="sms_opt_in_source")
    opt_out_at = serializers.DateTimeField(source="sms_opt_out_at", allow_null=True)
    opt_out_source = serializers.CharField(source="sms_opt_out_source")


class SmsConsentInput(serializers.Serializer):
    opted_in = serializers.BooleanField(
        help_text="true: agrees to text messages (recorded now, with this caller's source); "
        "false: withdraws, and every text still waiting is cancelled."
    )


class PriceOutput(serializers.Serializer):
    amount = serializers.CharField(help_text='An exact decimal, e.g. "95.00".')
    discount = serializers.CharField(help_text="Taken off the amount when booked.")
    currency = serializers.CharField(help_text="ISO 4217, the clinic's.")


def price_data(appointment) -> dict | None:
    if appointment.price is None:
        return None
    return {
        "amount": str(appointment.price),
        "discount": str(appointment.discount),
        "currency": appointment.currency,
    }


class AppointmentFields(serializers.Serializer):
    """What every answer about an appointment says, whoever asks."""

    reference = serializers.CharField()
    status = serializers.CharField()
    start = serializers.CharField()
    end = serializers.CharField()
    treatment = serializers.CharField(help_text="The treatment's slug.")
    treatment_name = serializers.CharField()
    practitioner = PractitionerOutput()
    price = PriceOutput(
        allow_null=True,
        help_text="The price kept when it was booked: a reschedule keeps it, and a later change "
        "to the treatment's price does not reach it.",
    )
    warnings = serializers.ListField(child=serializers.CharField())


class AppointmentOutput(AppointmentFields):
    manage_token = serializers.CharField(
        required=False,
        help_text="The client's key to their booking: only in the client's own answers (the "
        "token's holder, the client signed in), never in staff's.",
    )
    payment_url = serializers.URLField(
        required=False,
        help_text="Only for a signed-in client's own booking held (status held) for the "
        "deposit the clinic's policy asks by card, or for a card saved for its cancellation "
        "and no-show fees (nothing charged now): the payment provider's page to send them "
        "to. Paid (or saved), the booking is confirmed; not within DEPOSIT_HOLD_MINUTES, the "
        "time is released and nothing is charged.",
    )


def appointment_data(appointment, *, warnings=(), manage_token: bool = False) -> dict:
    """The public shape; `manage_token` only for the client's own answers (see
    access.gets_manage_token)."""
    tz = appointment.clinic.tzinfo
    data = {
        "reference": appointment.reference,
        "status": appointment.status,
        "start": local_iso(appointment.start, tz),
        "end": local_iso(appointment.end, tz),
        "treatment": appointment.treatment.slug,
        "treatment_name": appointment.treatment.name,
        "practitioner": {"id": appointment.practitioner_id, "name": appointment.practitioner.name},
        "price": price_data(appointment),
        "warnings": list(warnings),
    }
    if manage_token:
        data["manage_token"] = appointment.manage_token
    return data


class StaffAppointmentOutput(AppointmentFields):
    """The staff shape. In the day list, an appointment whose client the caller's role does
    not show them (a practitioner's booking asked for as the public) comes without the
    fields below: the public shape, never with the manage token."""

    channel = serializers.CharField(required=False)
    client = ClientOutput(required=False)
    resources = serializers.ListField(child=serializers.CharField(), required=False)
    cautions = serializers.ListField(child=serializers.CharField(), required=False)
    flag = serializers.CharField(
        required=False, help_text="Set when a later health record breaks a rule."
    )
    override_reason = serializers.CharField(required=False)
    sign_off = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="The practitioner's sign-off a clinic rule asks for: pending, approved, "
        "declined or not_needed (null: no rule asked).",
    )


def sign_off_status(appointment) -> str | None:
    """The status of the appointment's sign-off (bookings.models.SignOff), None if no rule
    ever asked for one."""
    try:
        return appointment.sign_off.status
    except ObjectDoesNotExist:
        return None


def staff_appointment_data(appointment, *, cautions, warnings=(), resources=None) -> dict:
    """The public shape, never with the manage token (staff act by their role, not by the
    client's key), plus what staff need: client, rooms and devices (`resources`: their
    names, when the caller has them already), cautions, flags."""
    client = appointment.client
    return {
        **appointment_data(appointment, warnings=warnings),
        "channel": appointment.channel,
        "client": {
            "id": client.pk,
            "name": client.name,
            "email": client.email,
            "phone": client.phone,
            "clinic": client.home_clinic.slug,
        },
        "resources": (
            list(resources)
            if resources is not None
            else [r.name for r in appointment.resources.all()]
        ),
        "cautions": list(cautions),
        "flag": appointment.eligibility_flag,
        "override_reason": appointment.override_reason,
        "sign_off": sign_off_status(appointment),
    }
