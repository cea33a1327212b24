"""The API's answer about one appointment: the public shape for whoever holds its link, the
staff shape (client, rooms, cautions, flag, override) for staff whose role shows them the
client, an audited view of health data.

The manage token goes only into the client's own answers (the token's holder, the client
signed in): staff act by their role, never by the client's key (access.gets_manage_token),
so no staff answer carries it, whatever the endpoint: reading, booking, moving, completing,
the day list."""

from datetime import date

import access
from bookings.models import Appointment
from clinic import audit
from clinic.models import AuditEntry
from clinical import rules
from web.api.shapes import appointment_data, staff_appointment_data


def appointment_response(
    request,
    appointment: Appointment,
    *,
    warnings=(),
    cautions: tuple[str, ...] | None = None,
    resources: tuple[str, ...] | None = None,
) -> dict:
    """`warnings`: those the caller acknowledged on this booking or move; `cautions`: the
    practitioner's, when the caller has them already (read from the record otherwise);
    `resources`: the names of the resources held, when the caller has them."""
    if not access.may_see_client(request.user, appointment.client):
        return appointment_data(
            appointment, warnings=warnings, manage_token=access.gets_manage_token(request.user)
        )
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
    return staff_appointment_data(
        appointment, cautions=cautions, warnings=warnings, resources=resources
    )


def day_list_data(request, entries, *, day: date) -> list[dict]:
    """The day list (workspace.selectors.DiaryEntry each): the staff shape with its cautions
    for the appointments whose client the caller's role shows them, audited per clinic as
    one view of the day's cautions; the public shape (no client, no cautions) for the
    others on their sheet."""
    shown = access.visible_client_ids(request.user, {e.appointment.client_id for e in entries})
    by_clinic: dict[int, list[int]] = {}
    for entry in entries:
        if entry.appointment.client_id in shown:
            by_clinic.setdefault(entry.appointment.clinic_id, []).append(
                entry.appointment.client_id
            )
    for clinic_id, client_ids in by_clinic.items():
        audit.audit_api(
            request,
            action=AuditEntry.Action.VIEW,
            what=audit.DAY_LIST,
            clients=client_ids,
            clinic=clinic_id,
            date=day.isoformat(),
        )
    return [
        staff_appointment_data(
            e.appointment, cautions=e.cautions, resources=[r.name for r in e.resources]
        )
        if e.appointment.client_id in shown
        else appointment_data(e.appointment)
        for e in entries
    ]
