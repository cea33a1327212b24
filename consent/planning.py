"""The reminder to sign forms, 48 hours before the visit: planned once with the booking (and
again for a new time), and dropped when it is due if the forms have been signed by then.

diary/services.py calls plan_forms_reminder() in the transaction that books or moves the
appointment; sending/delivery.py asks forms_reminder_reason() just before sending.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from aftercare.models import Message
from aftercare.planning import appointment_key, cancel_pending, save_new
from bookings.models import Appointment
from consent.models import FormRule
from consent.selectors import missing_for

REMINDER_HOURS = 48


def plan_forms_reminder(
    appointment: Appointment,
    *,
    moved: bool = False,
    now: datetime | None = None,
    form_rules: list[tuple] | None = None,
) -> None:
    """If the appointment needs forms not yet signed, remind the client REMINDER_HOURS before
    it (not when it is booked closer than that: the confirmation carries the link). A moved
    appointment's old reminder is cancelled; each start time has its own key, planned once.
    `form_rules`: its organisation's (consent/selectors.py FORM_RULES), when the caller read
    them."""
    now = now or timezone.now()
    if moved:
        cancel_pending(
            appointment.messages.filter(kind=Message.Kind.FORMS_DUE).exclude(
                data__start=appointment.start.isoformat()
            ),
            reason="The appointment moved to another time.",
        )
    if _due(appointment) <= now or not missing_for([appointment], form_rules=form_rules):
        return
    save_new([_reminder(appointment)])


def plan_forms_reminders_for(rules: Iterable[FormRule], *, now: datetime | None = None) -> None:
    """A form rule added or changed, or a new version to sign, after appointments were
    booked: each upcoming one the `rules` now ask an unsigned form of gets the reminder its
    booking would have planned (once: a reminder already planned is kept). Returns how many
    were planned. A few queries, however many appointments."""
    now = now or timezone.now()
    matches = Q()
    organisations = set()
    for rule in rules:
        organisations.add(rule.organisation_id)
        matches |= (
            Q(treatment_id=rule.treatment_id)
            if rule.treatment_id
            else Q(treatment__category=rule.category)
        )
    if not organisations:
        return
    upcoming = list(
        Appointment.objects.filter(
            matches,
            clinic__organisation_id__in=organisations,
            status=Appointment.Status.CONFIRMED,
            start__gt=now + timedelta(hours=REMINDER_HOURS),
        ).select_related("clinic", "treatment")
    )
    missing = missing_for(upcoming)
    save_new([_reminder(a) for a in upcoming if a.pk in missing])


def _due(appointment: Appointment) -> datetime:
    return appointment.start - timedelta(hours=REMINDER_HOURS)


def _reminder(appointment: Appointment) -> Message:
    return Message(
        key=appointment_key(
            appointment, Message.Kind.FORMS_DUE, int(appointment.start.timestamp())
        ),
        clinic_id=appointment.clinic_id,
        client_id=appointment.client_id,
        appointment=appointment,
        treatment_id=appointment.treatment_id,
        kind=Message.Kind.FORMS_DUE,
        due_at=_due(appointment),
        data={"start": appointment.start.isoformat()},
    )


def forms_reminder_reason(message: Message, *, now: datetime) -> str:
    """Why a due forms reminder should no longer go ("" if it should)."""
    if message.kind != Message.Kind.FORMS_DUE:
        return ""
    appointment = message.appointment
    if appointment.status != Appointment.Status.CONFIRMED:
        return f"The appointment is {appointment.get_status_display().lower()}."
    planned = message.data.get("start")
    if planned and datetime.fromisoformat(planned) != appointment.start:
        return "The appointment moved to another time."
    if appointment.start <= now:
        return "The appointment has already started."
    if not missing_for([appointment]):
        return "The forms were signed before the reminder was due."
    return ""
