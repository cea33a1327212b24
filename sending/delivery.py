"""Send claimed messages: check each is still wanted, render it, send it, record the outcome.

A batch goes out over one SMTP connection, but each message is locked, checked, sent and
recorded in a transaction of its own, its row lock held until the outcome is committed: a
second task for the same message (a redelivery, a claim released as stale) waits, then
finds the row no longer SENDING and does nothing; a failure is that message's alone; a
worker killed mid-batch leaves what it already recorded as recorded. Failures are counted
in the row and retried through the outbox with exponential backoff, never through Celery's
own retry (whose countdown would live only in Redis).
"""

import contextlib
import logging
import smtplib
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from aftercare import outbox, planning, services
from aftercare.models import ACCOUNT_KINDS, Message, MessageTemplate
from bookings import ics
from clinic.text import one_line
from sending.content import DEFAULTS, care_notes
from sending.rendering import Rendered, TemplateRefused, render_email

logger = logging.getLogger(__name__)

RETRY_CAP = timedelta(hours=6)

# What composing a message reads, loaded for a whole batch in one query. Each join costs
# PostgreSQL planning time: the appointment's clinic and treatment are the message's own.
RELATED = ("clinic", "client", "treatment", "appointment__practitioner")
# The two statements each message costs, written out: on this path, run for every
# message, building them through the ORM took about as long as running them. The lock
# re-reads what only the row decides, just before sending; the outcome writes it back.
# SQLite (the demo) has no FOR UPDATE: its IMMEDIATE transactions lock the whole database.
LOCK = "SELECT status, attempts, last_error, due_at FROM aftercare_message WHERE id = %s"
OUTCOME = (
    "UPDATE aftercare_message SET status = %s, attempts = %s, last_error = %s, sent_at = %s, "
    "due_at = %s, updated_at = %s WHERE id = %s"
)


FORGET_FACTS = "UPDATE aftercare_message SET data = '{}' WHERE id = %s"


class NoRecipient(ValueError):
    pass


def messages_send(
    *, message_ids: Sequence[int], now: datetime | None = None, budget: float | None = None
) -> dict[int, str]:
    """Send the messages `message_ids` that are still SENDING, in turn, over one SMTP
    connection; the status each ends in ("missing" for an id with no row). Once `budget`
    seconds have passed no further message is started: the rest go back to the outbox,
    unsent and not counted as an attempt, to be claimed again."""
    started = time.monotonic()
    now = now or timezone.now()
    messages = Message.objects.select_related(*RELATED).filter(pk__in=message_ids).order_by()
    batch = {message.pk: message for message in messages}
    templates = Templates(batch.values())
    sender = Sender()
    outcomes: dict[int, str] = {}
    try:
        for position, pk in enumerate(message_ids):
            if budget is not None and time.monotonic() - started > budget:
                rest = list(message_ids[position:])
                outbox.give_back(rest)
                outcomes.update(dict.fromkeys(rest, Message.Status.PENDING))
                break
            message = batch.get(pk)
            outcomes[pk] = (
                _send_one(message, templates=templates, sender=sender, now=now)
                if message
                else "missing"
            )
    finally:
        sender.close()
    return outcomes


def _send_one(message: Message, *, templates: "Templates", sender: "Sender", now: datetime) -> str:
    lock = LOCK + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(lock, [message.pk])
        current = cursor.fetchone()
        if current is None or current[0] != Message.Status.SENDING:
            return current[0] if current else "missing"  # done by an earlier delivery
        message.status, message.attempts, message.last_error, due_at = current
        if isinstance(due_at, str):  # SQLite returns the stored text to a plain cursor
            due_at = connection.ops.convert_datetimefield_value(due_at, None, connection)
        message.due_at = due_at
        # The appointment and client were read with the batch, moments ago: a booking change
        # since then that makes this message unwanted has cancelled its row in the same
        # transaction (planning.cancel_pending), and the status above saw it.
        reason = planning.reason_not_to_send(message, now=now)
        if reason:
            message.status, message.last_error = Message.Status.CANCELLED, reason
        else:
            try:
                sender.send(compose(message, templates=templates))
            except Exception as error:  # every failure is counted, then retried or failed
                _record_failure(message, error, now=now)
            else:
                message.status, message.sent_at = Message.Status.SENT, timezone.now()
                message.attempts += 1
        stored = connection.ops.adapt_datetimefield_value  # as the ORM would write them
        if message.kind in ACCOUNT_KINDS and message.status != Message.Status.PENDING:
            cursor.execute(FORGET_FACTS, [message.pk])  # the code is no use to anyone now
        cursor.execute(
            OUTCOME,
            [
                message.status,
                message.attempts,
                message.last_error,
                stored(message.sent_at),
                stored(message.due_at),
                stored(timezone.now()),
                message.pk,
            ],
        )
        return message.status


class Sender:
    """One SMTP connection for a batch, opened at the first message and again after a
    failure (which may have left it broken). Once it cannot be opened at all, the batch's
    remaining messages fail with the same error at once instead of each waiting out
    EMAIL_TIMEOUT for an unreachable server."""

    def __init__(self):
        self.connection = get_connection()
        self.unreachable: Exception | None = None

    def send(self, email: EmailMessage) -> None:
        if self.unreachable is not None:
            raise self.unreachable
        try:
            self.connection.open()  # nothing to do while it is open
        except Exception as error:
            self.unreachable = error
            raise
        try:
            self.connection.send_messages([email])
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):  # smtplib's errors are OSErrors too
            self.connection.close()


class Templates:
    """The stored templates some messages need, read in one query: per kind, the
    treatment's own, else the one for all treatments (else none: the built-in words)."""

    def __init__(self, messages: Iterable[Message]):
        messages = list(messages)
        treatments = {message.treatment_id for message in messages if message.treatment_id}
        stored = MessageTemplate.objects.filter(
            Q(treatment=None) | Q(treatment__in=treatments),
            kind__in={message.kind for message in messages},
        ).order_by()
        self._by_key = {(template.kind, template.treatment_id): template for template in stored}

    def for_message(self, message: Message) -> MessageTemplate | None:
        return self._by_key.get((message.kind, message.treatment_id)) or self._by_key.get(
            (message.kind, None)
        )


def _is_permanent(error: Exception) -> bool:
    """Errors that another try cannot fix. SMTP 4xx codes, timeouts and dropped connections
    are transient; 5xx refusals, a missing address or a broken template are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, NoRecipient | TemplateRefused)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8... times AFTERCARE_RETRY_SECONDS after the n-th failed attempt, capped."""
    return min(timedelta(seconds=settings.AFTERCARE_RETRY_SECONDS * 2 ** (attempts - 1)), RETRY_CAP)


def _record_failure(message: Message, error: Exception, *, now: datetime) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if _is_permanent(error) or message.attempts >= settings.AFTERCARE_MAX_ATTEMPTS:
        message.status = Message.Status.FAILED
        logger.error("Message %s failed for good: %s", message.pk, message.last_error)
    else:
        message.status = Message.Status.PENDING
        message.due_at = now + retry_delay(message.attempts)
        logger.warning("Message %s attempt %s failed: %s", message.pk, message.attempts, error)


# -- composing ---------------------------------------------------------------------------------


def recipient(message: Message) -> str:
    if message.to:
        return message.to
    address = message.clinic.email if message.kind == Message.Kind.FLAGGED else message.client.email
    if not address:
        raise NoRecipient(
            "The clinic has no email address for notices."
            if message.kind == Message.Kind.FLAGGED
            else "The client has no email address."
        )
    return address


def context(message: Message) -> dict:
    """Plain facts for the template: strings, numbers and dates, never model instances."""
    clinic, client, treatment = message.clinic, message.client, message.treatment
    if message.kind == Message.Kind.HOLD:
        return _hold_facts(message)
    if client is None:  # one of the site's own messages, to an address
        return {
            **message.data,
            "site": {"name": settings.SITE_NAME, "url": settings.SITE_URL},
            "minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
        }
    data = dict(message.data)
    if data.get("eligible_on"):
        data["eligible_on"] = date.fromisoformat(data["eligible_on"])
    if data.get("moved_from"):
        data["moved_from"] = datetime.fromisoformat(data["moved_from"])
    notes = care_notes(category=treatment.category, slug=treatment.slug) if treatment else None
    appointment = message.appointment
    return {
        **data,
        # Also in every client email's footer (booking_links); here for staff's templates.
        "manage_url": manage_url(appointment) if appointment else "",
        "sign_in_url": sign_in_url(),
        "client": {
            "name": client.name,
            "first_name": client.name.split()[0] if client.name.split() else client.name,
            "email": client.email,
            "phone": client.phone,
        },
        "clinic": {
            "name": clinic.name,
            "phone": clinic.phone,
            "email": clinic.email,
            "address": clinic.address,
            "cancellation_window_hours": clinic.cancellation_window_hours,
        },
        "treatment": {"name": treatment.name, "duration_minutes": treatment.duration_minutes}
        if treatment
        else {},
        "notes": {"before": notes.before, "after": notes.after} if notes else {},
        "appointment": {
            "reference": appointment.reference,
            "start": appointment.start,
            "end": appointment.end,
            "practitioner": appointment.practitioner.name,
        }
        if appointment
        else {},
    }


def _hold_facts(message: Message) -> dict:
    """The link that confirms a held booking, and what was held: to an address that has not
    been proved, so nothing from any client's record, nor the name typed with it (the
    form would otherwise send anyone's words to any inbox)."""
    held, clinic = message.appointment, message.clinic
    path = reverse("online:hold", args=[held.reference, held.hold_link_token()])
    return {
        "confirm_url": settings.SITE_URL.rstrip("/") + path,
        "held_until": held.held_until,
        "link_minutes": settings.HOLD_LINK_MINUTES,
        "clinic": {"name": clinic.name, "phone": clinic.phone, "address": clinic.address},
        "treatment": {"name": message.treatment.name},
        "appointment": {
            "reference": held.reference,
            "start": held.start,
            "practitioner": held.practitioner.name,
        },
    }


def render(message: Message, *, templates: Templates | None = None) -> Rendered:
    """The treatment's own template, else the clinic-wide one, else the built-in words. A
    stored template that no longer compiles falls back to the built-in words."""
    facts = context(message)
    if message.clinic is None:  # the site's own message: its built-in words, no footer
        subject, text = DEFAULTS[message.kind]
        return render_email(
            subject=subject, text=text, html="", context=facts, footer={"clinic_name": ""}
        )
    template = (templates if templates is not None else Templates([message])).for_message(message)
    footer = {"clinic_name": message.clinic.name, "links": booking_links(message)}
    if not message.is_essential:
        footer["unsubscribe_url"] = services.unsubscribe_url(message.client)
    # Dates and times in the template are shown in the clinic's zone.
    with timezone.override(message.clinic.tzinfo):
        if template is not None:
            try:
                return render_email(
                    subject=template.subject,
                    text=template.text,
                    html=template.html,
                    context=facts,
                    footer=footer,
                )
            except TemplateRefused:
                logger.exception("Template %s does not compile; using the default", template.pk)
        subject, text = DEFAULTS[message.kind]
        return render_email(subject=subject, text=text, html="", context=facts, footer=footer)


def compose(message: Message, *, templates: Templates | None = None) -> EmailMultiAlternatives:
    rendered = render(message, templates=templates)
    # one_line: a name stored with a newline would make Django refuse the From header.
    name = one_line(message.clinic.name) if message.clinic else settings.SITE_NAME
    sender = formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    headers = {
        # One Message-ID per outbox row: a receiving server can spot a duplicate, and the
        # tests count deliveries by it.
        "Message-ID": f"<outbox-{message.pk}@{domain}>",
        "Auto-Submitted": "auto-generated",
    }
    if not message.is_essential:
        headers["List-Unsubscribe"] = f"<{services.unsubscribe_url(message.client)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=sender,
        to=[recipient(message)],
        reply_to=[message.clinic.email] if message.clinic and message.clinic.email else None,
        headers=headers,
    )
    email.attach_alternative(rendered.html, "text/html")
    if (
        message.kind in (Message.Kind.CONFIRMATION, Message.Kind.MOVED, Message.Kind.CANCELLATION)
        and message.appointment
    ):
        email.attach("appointment.ics", calendar_file(message), "text/calendar")
    return email


def manage_url(appointment) -> str:
    """The booking's own page (see, move, cancel), at the site's address."""
    path = reverse("online:manage", args=[appointment.reference, appointment.manage_token])
    return settings.SITE_URL.rstrip("/") + path


def sign_in_url() -> str:
    """Where a client signs in with a code sent to their address, to find all their
    bookings: "find my booking" is signing in."""
    return settings.SITE_URL.rstrip("/") + reverse("account_login")


# What the link to the booking's page offers, by kind: the page shows what can still be
# done (move and cancel while it is ahead, "book again" once cancelled).
MANAGE_LABELS = {
    Message.Kind.CONFIRMATION: "See, move or cancel your booking",
    Message.Kind.MOVED: "See, move or cancel your booking",
    Message.Kind.REMINDER: "See, move or cancel your booking",
    Message.Kind.CANCELLATION: "See the cancelled booking, or book again",
}
# Messages that are not to the client about their own booking: no links to it.
NOT_THE_CLIENTS = frozenset({Message.Kind.FLAGGED, Message.Kind.HOLD})


def booking_links(message: Message) -> list[tuple[str, str]]:
    """(label, absolute URL) pairs for the footer of a clinic's email to a client: the
    booking's own page when the email is about one, and signing in, which finds all their
    bookings. In the footer rather than in the editable words, so that no edited template
    can lose them."""
    if message.client_id is None or message.kind in NOT_THE_CLIENTS:
        return []
    links = []
    if message.appointment_id:
        label = MANAGE_LABELS.get(message.kind, "See your booking")
        links.append((label, manage_url(message.appointment)))
    links.append(("Find all your bookings by signing in with this email address", sign_in_url()))
    return links


def calendar_file(message: Message) -> bytes:
    """The confirmation's or the cancellation's .ics (bookings/ics.py builds every one). The
    clinic and treatment are the message's, which planning copies from the appointment; the
    SEQUENCE is the one planning read from the appointment's history."""
    appointment = message.appointment
    return ics.appointment_ics(
        appointment,
        sequence=message.data.get("sequence", 0),
        manage_url=manage_url(appointment),
        clinic=message.clinic,
        treatment=message.treatment,
    )
