"""Which messages an appointment gets, and when: the outbox rows each booking change writes.

diary/services.py calls one hook per write (on_booked, on_rescheduled, on_cancelled,
on_finished) inside its own transaction, so the rows commit or roll back with the change
that caused them. Each row has a key naming its cause; planning the same cause twice inserts
nothing. What may have changed by the time a message is due (the client booked again,
unsubscribed, the appointment moved) is checked again then, by reason_not_to_send().

Text messages (Message.Channel.SMS) are planned beside the emails, in the same
transaction, for clients who agreed to them (Client.sms_opted_in) and only while Twilio is
configured (sms_enabled): today the reminder; other callers (a waitlist offer) plan one
with plan_sms(). Their keys end in ":sms", so an email and its text are planned once each.

A flagged appointment (a health record added after booking breaks a rule) has its reminder
held: on_flagged cancels it and tells the clinic; a reschedule plans a new one with the move,
and a correction that clears the flag plans it again (on_flag_cleared).
"""

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from aftercare.models import NON_ESSENTIAL, Message
from bookings.db import insert
from bookings.ics import event_sequence
from bookings.models import Appointment, AppointmentChange
from clinic.models import Client

SMS_SUFFIX = "sms"
# The kinds that can go by text message (sending/content.py SMS_DEFAULTS has their words).
SMS_KINDS = frozenset(
    {Message.Kind.REMINDER, Message.Kind.WAITLIST_OFFER, Message.Kind.SIGN_IN_CODE}
)

# Day-based messages (follow-up, rebooking, "you can book again") go at this local time.
MORNING = time(9, 0)
FOLLOW_UP_AFTER_DAYS = 2

# Messages about the visit itself: pointless once it is over, cancelled or moved.
ABOUT_THE_VISIT = (Message.Kind.CONFIRMATION, Message.Kind.MOVED, Message.Kind.REMINDER)
# Sent the moment the booking is made or moved, whatever the time of the visit.
SENT_AT_ONCE = (Message.Kind.CONFIRMATION, Message.Kind.MOVED)


# -- when: pure functions ----------------------------------------------------------------------


def reminder_due(*, start: datetime, hours_before: int) -> datetime | None:
    """`hours_before` real hours before the start (None: the clinic sends no reminders)."""
    if hours_before <= 0:
        return None
    # In UTC: arithmetic on a datetime in a zoneinfo zone counts wall-clock hours.
    return start.astimezone(UTC) - timedelta(hours=hours_before)


def local_morning(*, day: date, tz: ZoneInfo) -> datetime:
    """MORNING on `day` in the clinic's zone, as a UTC instant (09:00 is 08:00 UTC in summer
    in London, 09:00 UTC in winter; it exists on every day, DST changes included)."""
    return datetime.combine(day, MORNING, tzinfo=tz).astimezone(UTC)


def morning_after(*, start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The morning `days` local calendar days after the day of `start`."""
    return local_morning(day=start.astimezone(tz).date() + timedelta(days=days), tz=tz)


def course_progress(*, sessions: int, done: int) -> dict | None:
    """How far the client is into a course; None for a treatment not sold as one."""
    if sessions <= 1:
        return None
    return {"sessions": sessions, "done": done, "left": max(sessions - done, 0)}


# -- writing the rows ------------------------------------------------------------------------


def appointment_key(appointment: Appointment, kind: str, *suffix) -> str:
    return ":".join(str(part) for part in ("appointment", appointment.pk, kind, *suffix))


def _for_appointment(appointment: Appointment, kind: str, *, due_at, key=None, data=None):
    return Message(
        key=key or appointment_key(appointment, kind),
        clinic_id=appointment.clinic_id,
        client_id=appointment.client_id,
        appointment=appointment,
        treatment_id=appointment.treatment_id,
        kind=kind,
        due_at=due_at,
        data=data or {},
    )


def sms_enabled() -> bool:
    """Twilio's keys are set (config/settings.py). Without them (the demo) no text message
    is planned at all, rather than planned to fail."""
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def sms_wanted(client: Client | None) -> bool:
    return (
        client is not None
        and sms_enabled()
        and client.sms_opted_in
        and client.phone.startswith("+")  # E.164: an old unreadable number is not texted
    )


def plan_sms(
    *,
    client: Client,
    kind: str,
    key: str,
    due_at: datetime | None = None,
    clinic_id: int | None = None,
    appointment: Appointment | None = None,
    treatment_id: int | None = None,
    data: dict | None = None,
) -> bool:
    """Plan one text message to `client` in the caller's transaction, if they agreed to texts
    and SMS is configured; whether one is planned now. `key` names the cause (e.g.
    "waitlist-offer:12"); ":sms" is added, so the same cause's email keeps its own key, and
    planning the same key twice plans one text. `kind` must have SMS words
    (sending/content.py SMS_DEFAULTS, or the template's SMS text). Whether it still goes is
    asked again when it is due (reason_not_to_send): an opt-out since cancels it."""
    if not sms_wanted(client):
        return False
    save_new(
        [
            Message(
                key=f"{key}:{SMS_SUFFIX}",
                channel=Message.Channel.SMS,
                clinic_id=clinic_id or (appointment.clinic_id if appointment else None),
                client=client,
                appointment=appointment,
                treatment_id=treatment_id or (appointment.treatment_id if appointment else None),
                kind=kind,
                due_at=due_at or timezone.now(),
                data=data or {},
            )
        ]
    )
    return True


def save_new(messages: list[Message]) -> None:
    """Insert the rows whose key is new; a key already planned keeps its row untouched (with
    the writes gathered around it, when a bookings.db together() block does)."""
    insert(messages, ignore_conflicts=True)


def cancel_pending(messages: QuerySet, *, reason: str) -> int:
    """Cancel what is still waiting or claimed. A row locked by a send in progress is
    skipped, not waited for: that email is going out now, before this change, and the
    booking must not stall behind an SMTP server."""
    ids = list(
        messages.filter(status__in=(Message.Status.PENDING, Message.Status.SENDING))
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    return Message.objects.filter(pk__in=ids).update(
        status=Message.Status.CANCELLED, last_error=reason, updated_at=timezone.now()
    )


def _plan_visit(
    appointment: Appointment,
    *,
    now: datetime,
    moved: dict | None = None,
    revision: int | None = None,
) -> None:
    """The confirmation now (with the .ics) and the reminder before the visit; after a move,
    the "moved" email (`moved`: where it was, for its text) instead of a second confirmation.
    Each new time gets its own message and reminder, keyed by the revision of its calendar
    event (bookings/ics.py event_sequence: how many times it moved)."""
    if revision is None:
        revision = event_sequence(appointment)
    suffix = (revision,) if revision else ()
    due = {Message.Kind.MOVED if moved else Message.Kind.CONFIRMATION: now}
    if (remind_at := _reminder_at(appointment, now=now)) is not None:
        due[Message.Kind.REMINDER] = remind_at
    planned_for = _planned_for(appointment, revision=revision)
    save_new(
        [
            _for_appointment(
                appointment,
                kind,
                due_at=at,
                key=appointment_key(appointment, kind, *suffix),
                data={**planned_for, **(moved or {})} if kind in SENT_AT_ONCE else planned_for,
            )
            for kind, at in due.items()
        ]
    )
    if Message.Kind.REMINDER in due:
        _plan_sms_reminder(
            appointment,
            due_at=due[Message.Kind.REMINDER],
            key=appointment_key(appointment, Message.Kind.REMINDER, *suffix),
            data=planned_for,
        )


def _plan_sms_reminder(appointment: Appointment, *, due_at: datetime, key: str, data: dict):
    """The text beside the reminder email: same due time, same facts, key + ":sms"."""
    plan_sms(
        client=appointment.client,
        kind=Message.Kind.REMINDER,
        key=key,
        due_at=due_at,
        appointment=appointment,
        data=data,
    )


def _reminder_at(appointment: Appointment, *, now: datetime) -> datetime | None:
    """When its reminder is due; None when the clinic sends none, when it is booked at
    short notice (the time has passed), or while a flag holds it."""
    if appointment.eligibility_flag:
        return None
    remind_at = reminder_due(
        start=appointment.start, hours_before=appointment.clinic.reminder_hours_before
    )
    return remind_at if remind_at is not None and remind_at > now else None


def _planned_for(appointment: Appointment, *, revision: int) -> dict:
    return {
        "start": appointment.start.isoformat(),
        "sequence": revision,
        # Read back by the next move, to say whom the client was booked with before.
        "practitioner_id": appointment.practitioner_id,
        "practitioner": appointment.practitioner.name,
    }


def _before_the_move(appointment: Appointment) -> dict:
    """Where a just-moved appointment was: its start from the history line the move wrote
    (diary/services.py, in this transaction), and its practitioner, when it changed, from the
    newest email planned for the old time (the history keeps no practitioner)."""
    change = (
        appointment.changes.filter(action=AppointmentChange.Action.RESCHEDULED)
        .order_by("-at", "-pk")
        .first()
    )
    last_planned = (
        appointment.messages.filter(kind__in=SENT_AT_ONCE).order_by("-created_at", "-pk").first()
    )
    before = last_planned.data if last_planned else {}
    changed = before.get("practitioner_id") not in (None, appointment.practitioner_id)
    return {
        "moved_from": change.from_start.isoformat() if change and change.from_start else None,
        "was_with": before.get("practitioner") if changed else None,
    }


# -- the hooks diary/services.py calls ---------------------------------------------------------


def on_booked(appointment: Appointment) -> None:
    # A new booking's first revision: nothing has moved it (a hold cannot be moved), so its
    # history need not be counted.
    _plan_visit(appointment, now=timezone.now(), revision=0)


def on_rescheduled(appointment: Appointment) -> None:
    """Cancel the old time's confirmation and reminder; tell the client it moved (from when
    to when, with whom: never a second "Booked") and remind them of the new time."""
    moved = _before_the_move(appointment)
    cancel_pending(
        appointment.messages.filter(kind__in=ABOUT_THE_VISIT),
        reason="The appointment moved to another time.",
    )
    _plan_visit(appointment, now=timezone.now(), moved=moved)


def on_held(appointment: Appointment, *, to: str) -> None:
    """A booking held for the owner of `to` to confirm (diary/holds.py): email the link now."""
    save_new(
        [
            Message(
                key=appointment_key(appointment, Message.Kind.HOLD),
                clinic_id=appointment.clinic_id,
                appointment=appointment,
                treatment_id=appointment.treatment_id,
                kind=Message.Kind.HOLD,
                to=to,
                due_at=timezone.now(),
            )
        ]
    )


def on_deposit_due(appointment: Appointment, *, amount: str) -> None:
    """A booking staff made whose deposit is asked by card (diary/deposits.py): email the
    client the link to pay it, once, now (`amount` formatted)."""
    save_new(
        [
            _for_appointment(
                appointment,
                Message.Kind.DEPOSIT_DUE,
                due_at=timezone.now(),
                data={"amount": amount},
            )
        ]
    )


def on_released(appointment: Appointment) -> None:
    """A hold lapsed or was refused: its link is no use any more."""
    cancel_pending(
        appointment.messages.filter(kind=Message.Kind.HOLD), reason="The hold was released."
    )


def on_cancelled(appointment: Appointment, *, by_clinic: bool) -> None:
    """Cancel what is pending about it, and tell the client it is cancelled (with a
    calendar file that removes it), unless its time has already passed: a clinic tidying
    up its diary afterwards does not write to the client."""
    cancel_pending(
        appointment.messages.exclude(kind=Message.Kind.RECEIPT),  # money taken is still receipted
        reason="The appointment was cancelled.",
    )
    now = timezone.now()
    if appointment.start <= now:
        return
    save_new(
        [
            _for_appointment(
                appointment,
                Message.Kind.CANCELLATION,
                due_at=now,
                data={
                    "start": appointment.start.isoformat(),
                    "by_clinic": by_clinic,
                    # Above every confirmation's, so a calendar applies the cancellation.
                    "sequence": event_sequence(appointment),
                },
            )
        ]
    )


def on_finished(appointment: Appointment) -> None:
    """Completed: aftercare now, a follow-up two days later, a nudge to book the next session.
    No-show: nothing more is sent about this appointment."""
    if appointment.status != Appointment.Status.COMPLETED:
        cancel_pending(appointment.messages.all(), reason="The client did not come.")
        return
    cancel_pending(
        appointment.messages.filter(kind__in=ABOUT_THE_VISIT),
        reason="The appointment has taken place.",
    )
    if appointment.client.unsubscribed_at is not None:
        return  # every message below is one they asked not to get
    now = timezone.now()
    treatment = appointment.treatment

    def days_after(days: int) -> datetime:
        return max(
            now, morning_after(start=appointment.start, days=days, tz=appointment.clinic.tzinfo)
        )

    messages = [
        _for_appointment(appointment, Message.Kind.AFTERCARE, due_at=now),
        _for_appointment(
            appointment, Message.Kind.FOLLOW_UP, due_at=days_after(FOLLOW_UP_AFTER_DAYS)
        ),
    ]
    if treatment.rebook_after_days:
        done = Appointment.objects.filter(
            client_id=appointment.client_id,
            treatment_id=treatment.pk,
            status=Appointment.Status.COMPLETED,
        ).count()
        messages.append(
            _for_appointment(
                appointment,
                Message.Kind.REBOOK,
                due_at=days_after(treatment.rebook_after_days),
                data={
                    "days_since": treatment.rebook_after_days,
                    "course": course_progress(sessions=treatment.course_sessions, done=done),
                },
            )
        )
    save_new(messages)


def plan_flagged_appointment(*, appointment: Appointment, reason: str) -> None:
    """Tell the clinic's front desk (Clinic.email) that a health record added after booking
    makes this upcoming appointment break a clinical rule, so they contact the client. The
    same reason for the same appointment is sent once."""
    digest = hashlib.sha256(reason.encode()).hexdigest()[:16]
    save_new(
        [
            _for_appointment(
                appointment,
                Message.Kind.FLAGGED,
                due_at=timezone.now(),
                key=appointment_key(appointment, Message.Kind.FLAGGED, digest),
                data={"reason": reason, "start": appointment.start.isoformat()},
            )
        ]
    )


REMINDER_HELD = (
    "Held: a health record added since booking makes this appointment break a clinical rule. "
    "A new reminder is planned once a reschedule, a correction or an override resolves it."
)


def on_flagged(appointment: Appointment, *, reason: str) -> None:
    """A health record added after booking makes this appointment break a rule: hold its
    reminder (a client must not be reminded of a visit the clinic may not give) and tell
    the clinic. clinical/services.py calls it, under the appointment's row lock."""
    cancel_pending(appointment.messages.filter(kind=Message.Kind.REMINDER), reason=REMINDER_HELD)
    plan_flagged_appointment(appointment=appointment, reason=reason)


def on_flag_cleared(appointment: Appointment) -> None:
    """The flag was resolved where the appointment stands (a correction to the record): plan
    its reminder again. A reschedule needs no call: on_rescheduled plans the new time's.

    The held reminder's row keeps its key (and its cancelled status, as the record of the
    hold), so the new one is keyed by how many times the appointment has been flagged."""
    now = timezone.now()
    remind_at = _reminder_at(appointment, now=now)
    if remind_at is None:
        return
    revision = event_sequence(appointment)
    flags = appointment.changes.filter(action=AppointmentChange.Action.FLAGGED).count()
    key = appointment_key(appointment, Message.Kind.REMINDER, revision, "flag", flags)
    planned_for = _planned_for(appointment, revision=revision)
    save_new(
        [
            _for_appointment(
                appointment,
                Message.Kind.REMINDER,
                due_at=remind_at,
                key=key,
                data=planned_for,
            )
        ]
    )
    _plan_sms_reminder(appointment, due_at=remind_at, key=key, data=planned_for)


# -- checked again when a message is due -------------------------------------------------------


def _has_upcoming(message: Message, *, now: datetime, same_treatment: bool) -> bool:
    upcoming = Appointment.objects.filter(
        client_id=message.client_id, status=Appointment.Status.CONFIRMED, start__gt=now
    )
    if same_treatment:
        upcoming = upcoming.filter(treatment_id=message.treatment_id)
    return upcoming.exists()


def reason_not_to_send(message: Message, *, now: datetime) -> str:
    """Why a due message should no longer go ("" if it should). Asked by delivery when it
    takes the message, just before the SMTP conversation; a booking change that makes a
    message unwanted cancels its row in the same transaction (cancel_pending), so a message
    taken after that change is never sent."""
    if message.channel == Message.Channel.SMS:
        if not sms_enabled():
            return "SMS is not configured (no Twilio keys): nothing is texted."
        if message.client is None or not message.client.sms_opted_in:
            return "The client has not agreed to text messages, or has withdrawn."
    if message.kind == Message.Kind.SIGN_IN_CODE and now - message.created_at > timedelta(
        seconds=settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT
    ):
        return "The code expired before it could be sent."
    if message.kind == Message.Kind.HOLD and message.appointment.status != Appointment.Status.HELD:
        return "The booking was confirmed or released before the link went."
    if (
        message.kind == Message.Kind.DEPOSIT_DUE
        and message.appointment.status != Appointment.Status.CONFIRMED
    ):
        return f"The appointment is {message.appointment.get_status_display().lower()}."
    if message.kind in NON_ESSENTIAL and message.client.unsubscribed_at is not None:
        return "The client unsubscribed from aftercare and rebooking emails."
    appointment = message.appointment
    if message.kind in (*ABOUT_THE_VISIT, Message.Kind.FLAGGED):
        if appointment.status != Appointment.Status.CONFIRMED:
            return f"The appointment is {appointment.get_status_display().lower()}."
        planned = message.data.get("start")
        if planned and datetime.fromisoformat(planned) != appointment.start:
            return "The appointment moved to another time."
        if message.kind not in SENT_AT_ONCE and appointment.start <= now:
            return "The appointment has already started."
        if message.kind == Message.Kind.REMINDER and appointment.eligibility_flag:
            return REMINDER_HELD
    if message.kind == Message.Kind.CANCELLATION:
        if appointment.status != Appointment.Status.CANCELLED:
            return f"The appointment is {appointment.get_status_display().lower()}."
        if appointment.start <= now:
            return "The appointment's time has passed."
    if message.kind == Message.Kind.REBOOK and _has_upcoming(
        message, now=now, same_treatment=False
    ):
        return "The client has booked their next appointment."
    if message.kind == Message.Kind.ELIGIBLE and _has_upcoming(
        message, now=now, same_treatment=True
    ):
        return "The client has booked this treatment already."
    return ""
