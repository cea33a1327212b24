"""The API's answer about one appointment: the public shape for whoever holds its link, the
staff shape (client, rooms, cautions, flag, override) for staff whose role shows them the
client, an audited view of health data."""

import access
from bookings.models import Appointment
from clinic import audit
from clinic.models import AuditEntry
from clinical import rules
from web.api.shapes import appointment_data, staff_appointment_data


def appointment_response(
    request, appointment: Appointment, *, warnings=(), cautions: tuple[str, ...] | None = None
) -> dict:
    """`warnings`: those the caller acknowledged on this booking or move; `cautions`: the
    practitioner's, when the caller has them already (read from the record otherwise)."""
    if not access.may_see_client(request.user, appointment.client):
        return appointment_data(appointment, warnings=warnings)
    if cautions is None:
        cautions = rules.cautions_for([appointment])[appointment.pk]
    audit.audit_api(
        request,
        action=AuditEntry.Action.VIEW,
        what=audit.APPOINTMENT,
        clients=[appointment.client_id],
        clinic=appointment.clinic_id,
        reference=appointment.reference,
    )
    return staff_appointment_data(appointment, cautions=cautions, warnings=warnings)
