"""The shapes the APIs answer with for what both the public and the staff API return:
appointments (the public shape, and the staff shape with the client, rooms and cautions),
practitioners and free slots. Instants go out in the clinic's local time with its offset."""

from datetime import datetime

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


def appointment_data(appointment, *, warnings=()) -> dict:
    tz = appointment.clinic.tzinfo
    return {
        "reference": appointment.reference,
        "status": appointment.status,
        "start": local_iso(appointment.start, tz),
        "end": local_iso(appointment.end, tz),
        "treatment": appointment.treatment.slug,
        "treatment_name": appointment.treatment.name,
        "practitioner": {"id": appointment.practitioner_id, "name": appointment.practitioner.name},
        "warnings": list(warnings),
        "manage_token": appointment.manage_token,
    }


class StaffAppointmentOutput(AppointmentOutput):
    channel = serializers.CharField()
    client = ClientOutput()
    resources = serializers.ListField(child=serializers.CharField())
    cautions = serializers.ListField(child=serializers.CharField())
    flag = serializers.CharField(help_text="Set when a later health record breaks a rule.")
    override_reason = serializers.CharField()


def staff_appointment_data(appointment, *, cautions, warnings=()) -> dict:
    """The public shape plus what staff need: client, rooms and devices, cautions, flags."""
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
        "resources": [r.name for r in appointment.resources.all()],
        "cautions": list(cautions),
        "flag": appointment.eligibility_flag,
        "override_reason": appointment.override_reason,
    }
