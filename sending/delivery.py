"""Send claimed messages: check each is still wanted, render it, send it, record the outcome.

No database transaction is open while the SMTP server is talked to: on SQLite (the demo) a
transaction holds the whole file's write lock, and on PostgreSQL a row lock held across a
slow server holds up whoever waits on that row. Each message costs two short transactions
around the SMTP conversation:

1. Take it: one UPDATE sets sending_started_at only if the row is still SENDING and nobody
   has taken it (a compare-and-set, so no SELECT ... FOR UPDATE is needed and SQLite holds
   its write lock for one statement). A second task for the same message (a redelivery, a
   claim released and claimed again) finds it taken or done and leaves it. A message no
   longer wanted (planning.reason_not_to_send) is cancelled instead.
2. Talk SMTP, nothing open in the database.
3. Record the outcome, only if the row is still the one we took. If the database connection
   was lost meanwhile, the outcome is written again on a new connection: it is known, and
   losing it would send the message twice.

What "failed" means depends on how far the SMTP conversation got (sending/smtp.py notes it). A
failure before the whole message was transmitted (connecting, MAIL, RCPT, DATA, the message
itself) delivered nothing: a transient one is retried through the outbox with exponential
backoff, never through Celery's own retry (whose countdown would live only in Redis). Once
the message and its final "." were transmitted, a timeout or dropped connection while
waiting for the reply means "maybe delivered": RFC 5321 gives the server 10 minutes to
answer the end of DATA (section 4.5.3.2.6), and a server that has the whole message has
usually queued it before it answers, taking responsibility for it (section 6.1); RFC 1047
describes the duplicates a client that gives up there causes. Sending it again would deliver it
once per try (issue 15: 6 messages, 30 copies), so the outbox keeps at most once for that
case: the message is SENT and its last_error begins "Unconfirmed", for staff to see in the
admin (Messages, status Sent, the error column). A reply that does come is believed: 4xx is
retried, 5xx fails.

A batch starts no new message after its budget (AFTERCARE_BATCH_SECONDS), and the task's
soft time limit leaves room for the send under way to wait out every one of its replies
(config/settings.py), so the limit never cuts a send. If it arrives anyway, the message in
hand is recorded as above (unconfirmed, if its DATA had gone) and the rest go back to the
outbox uncounted. A database error (a lost connection, SQLite busy past its timeout) ends
the batch the same way: the rest go back at once, on a new connection, with no attempt
counted; only a message taken and not recorded is left for the sweeper (outbox.py), which
counts it as an attempt and sends it again after the task's hard time limit, since a
worker killed mid-send cannot say how far it got.
"""

import contextlib
import logging
import smtplib
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from email.utils import formataddr, parseaddr

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from aftercare import outbox, planning, services
from aftercare.models import ACCOUNT_KINDS, Message, MessageTemplate
from bookings import ics
from bookings.models import Appointment
from clinic.phones import normalise_or_none
from clinic.text import one_line
from consent.models import Submission
from consent.planning import forms_reminder_reason
from consent.selectors import missing_for
from consent.services import pdf_bytes
from courses import notices as course_notices
from diary import deposits
from sending import notices, sms
from sending.content import DEFAULTS, SMS_DEFAULTS, SMS_STOP_LINE, care_notes
from sending.rendering import Rendered, TemplateRefused, render_email, render_sms
from sending.smtp import Sender, Unconfirmed
from waitlist.models import Offer

logger = logging.getLogger(__name__)

RETRY_CAP = timedelta(hours=6)

# What composing a message reads, loaded for a whole batch in one query. Each join costs
# PostgreSQL planning time: the appointment's clinic and treatment are the message's own.
RELATED = ("clinic", "client", "treatment", "appointment__practitioner")
# The two statements each message costs, written out: on this path, run for every
# message, building them through the ORM took about as long as running them. TAKE re-reads
# what only the row decides, just before sending, and marks it taken; OUTCOME writes it
# back only if it is still ours. SQLite (the demo) has RETURNING since 3.35 (2021).
TAKE = (
    "UPDATE aftercare_message SET sending_started_at = %s, updated_at = %s "
    "WHERE id = %s AND status = 'sending' AND sending_started_at IS NULL "
    "RETURNING attempts, last_error, due_at"
)
STATUS = "SELECT status FROM aftercare_message WHERE id = %s"
OUTCOME = (
    "UPDATE aftercare_message SET status = %s, attempts = %s, last_error = %s, sent_at = %s, "
    "due_at = %s, updated_at = %s WHERE id = %s AND status = 'sending' "
    "AND sending_started_at = %s"
)
FORGET_FACTS = "UPDATE aftercare_message SET data = '{}' WHERE id = %s"
# Tries at writing a known outcome when the database connection fails under it.
RECORD_TRIES = 3


class NoRecipient(ValueError):
    pass


class Interrupted(Exception):
    """The soft time limit came during a send, whose outcome (`status`) is recorded: the
    batch ends."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


def messages_send(
    *, message_ids: Sequence[int], now: datetime | None = None, budget: float | None = None
) -> dict[int, str]:
    """Send the messages `message_ids` that are still SENDING, in turn, over one SMTP
    connection; the status each ends in ("missing" for an id with no row, "sending" for one
    another task has in hand). Once `budget` seconds have passed no further message is
    started: the rest go back to the outbox, unsent and not counted as an attempt, to be
    claimed again; so do they when the soft time limit or a database error ends the batch."""
    started = time.monotonic()
    now = now or timezone.now()
    sender = Senders()
    outcomes: dict[int, str] = {}
    try:
        messages = Message.objects.select_related(*RELATED).filter(pk__in=message_ids).order_by()
        batch = {message.pk: message for message in messages}
        templates = Templates(batch.values())
        for pk in message_ids:
            if budget is not None and time.monotonic() - started > budget:
                break
            message = batch.get(pk)
            if message is None:
                outcomes[pk] = "missing"
                continue
            try:
                outcomes[pk] = _send_one(message, templates=templates, sender=sender, now=now)
            except Interrupted as stop:
                outcomes[pk] = stop.status
                logger.warning("Batch ended early: the soft time limit, mid-send")
                break
    except (DatabaseError, SoftTimeLimitExceeded) as error:
        logger.warning("Batch ended early: %s: %s", type(error).__name__, error)
        if isinstance(error, DatabaseError):
            _reconnect()
    finally:
        sender.close()
        rest = [pk for pk in message_ids if pk not in outcomes]
        if rest:
            _give_back(rest)
            outcomes.update(dict.fromkeys(rest, Message.Status.PENDING))
    return outcomes


class Senders:
    """The batch's sender per channel, each made at its first message: one SMTP connection
    for the emails (smtp.Sender), one Twilio client for the texts (sms.SmsSender)."""

    def __init__(self):
        self._by_channel: dict[str, Sender | sms.SmsSender] = {}

    def send(self, message: Message, out: EmailMultiAlternatives | sms.Sms) -> None:
        if message.channel not in self._by_channel:
            made = sms.SmsSender() if message.channel == Message.Channel.SMS else Sender()
            self._by_channel[message.channel] = made
        self._by_channel[message.channel].send(out)

    def close(self) -> None:
        for sender in self._by_channel.values():
            sender.close()


def _send_one(message: Message, *, templates: "Templates", sender: Senders, now: datetime) -> str:
    taken_at = _take(message)
    if taken_at is None:
        return message.status  # done by an earlier delivery, or in another task's hands
    interrupted = email = None
    try:
        # The appointment and client were read with the batch, moments ago: a booking change
        # since then that makes this message unwanted has cancelled its row in the same
        # transaction (planning.cancel_pending), and the take above saw it.
        reason = (
            planning.reason_not_to_send(message, now=now)
            or notices.recheck(message, now=now)
            or course_notices.reason_not_to_send(message, now=now)
            or forms_reminder_reason(message, now=now)
            or offer_reason(message)
            or deposit_reason(message)
        )
        if reason:
            message.status, message.last_error = Message.Status.CANCELLED, reason
        else:
            email = (
                compose_sms(message, templates=templates)
                if message.channel == Message.Channel.SMS
                else compose(message, templates=templates)
            )
    except (DatabaseError, SoftTimeLimitExceeded) as error:
        _untake(message, taken_at=taken_at, reconnect=isinstance(error, DatabaseError))
        raise  # nothing went to the SMTP server: the batch gives it back with the rest
    except Exception as error:  # an address or a template that cannot be sent: counted
        _record_failure(message, error, now=now)
    if email is not None:
        try:
            sender.send(message, email)
        except Unconfirmed as error:
            _record_unconfirmed(message, error.__cause__)
            interrupted = error.__cause__
        except Exception as error:  # every failure is counted, then retried or failed
            _record_failure(message, error, now=now)
            interrupted = error
        else:
            message.status, message.sent_at = Message.Status.SENT, timezone.now()
            message.attempts += 1
    try:
        _record(message, taken_at=taken_at)
    except SoftTimeLimitExceeded as error:  # arrived while recording, which _record finished
        interrupted = error
    if isinstance(interrupted, SoftTimeLimitExceeded):
        raise Interrupted(message.status) from interrupted  # the rest of the batch goes back
    return message.status


def _take(message: Message) -> datetime | None:
    """Mark the message taken, if it is still ours to send, with what only its row decides;
    None (and its status in `message`) if it is not."""
    taken_at = timezone.now()
    stored = connection.ops.adapt_datetimefield_value  # as the ORM would write them
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(TAKE, [stored(taken_at), stored(taken_at), message.pk])
            current = cursor.fetchone()
            if current is None:
                cursor.execute(STATUS, [message.pk])
                row = cursor.fetchone()
                message.status = row[0] if row else "missing"
                return None
    except DatabaseError:
        # A connection lost on the COMMIT may have lost only its reply.
        _untake(message, taken_at=taken_at, reconnect=True)
        raise
    message.status = Message.Status.SENDING
    message.attempts, message.last_error, due_at = current
    if isinstance(due_at, str):  # SQLite returns the stored text to a plain cursor
        due_at = connection.ops.convert_datetimefield_value(due_at, None, connection)
    message.due_at = due_at
    return taken_at


def _untake(message: Message, *, taken_at: datetime, reconnect: bool) -> None:
    """Nothing went to the SMTP server: clear our take, so that the batch gives the message
    back uncounted with the rest. If the database is out of reach, the sweeper will count
    it as an attempt; that is the price of never holding a transaction across SMTP."""
    if reconnect:
        _reconnect()
    with contextlib.suppress(DatabaseError):
        Message.objects.filter(
            pk=message.pk, status=Message.Status.SENDING, sending_started_at=taken_at
        ).update(sending_started_at=None)


def _record(message: Message, *, taken_at: datetime) -> None:
    """Write the outcome, on a new connection if the one in use fails: the message has been
    talked about with the SMTP server, and an outcome lost here would send it again."""
    stored = connection.ops.adapt_datetimefield_value
    interrupted = None
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if message.kind in ACCOUNT_KINDS and message.status != Message.Status.PENDING:
                    cursor.execute(FORGET_FACTS, [message.pk])  # the code is no use now
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
                        stored(taken_at),
                    ],
                )
                if cursor.rowcount != 1:  # an earlier try's reply was lost, or it was released
                    logger.warning("Message %s was no longer ours to record", message.pk)
            break
        except SoftTimeLimitExceeded as error:  # raised once: write it, then end the batch
            interrupted = error
        except DatabaseError:
            if attempt == RECORD_TRIES:
                raise
            logger.warning("Recording message %s failed; again", message.pk, exc_info=True)
            _reconnect()
            time.sleep(0.5 * attempt)
    if interrupted is not None:
        raise interrupted


def _give_back(ids: list[int]) -> None:
    """The batch's unstarted messages back to the outbox, uncounted; on a failing database
    they wait for the sweeper, which gives them back uncounted too."""
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            outbox.give_back(ids)
            return
        except DatabaseError:
            logger.warning("Could not give back %d messages", len(ids), exc_info=True)
            _reconnect()
            time.sleep(0.5 * attempt)


def _reconnect() -> None:
    """Drop a connection that failed; the next query opens a new one."""
    with contextlib.suppress(DatabaseError):
        connection.close()


class Templates:
    """The stored templates some messages need, read in one query: per kind, the
    treatment's own, else the one for all treatments (else none: the built-in words). Also
    which of their appointments still need forms signed (the footer's link), read for all of
    them at the first that asks: a few queries a batch rather than two or more a message."""

    def __init__(self, messages: Iterable[Message]):
        self._messages = messages = list(messages)
        treatments = {message.treatment_id for message in messages if message.treatment_id}
        stored = MessageTemplate.objects.filter(
            Q(treatment=None) | Q(treatment__in=treatments),
            kind__in={message.kind for message in messages},
        ).order_by()
        self._by_key = {(template.kind, template.treatment_id): template for template in stored}
        self._forms_missing: set[int] | None = None

    def for_message(self, message: Message) -> MessageTemplate | None:
        return self._by_key.get((message.kind, message.treatment_id)) or self._by_key.get(
            (message.kind, None)
        )

    def forms_missing(self, message: Message) -> bool:
        """Whether the message's appointment still needs a form signed. Read with the batch,
        as its appointments and clients were: a form signed in the seconds since still gets
        the link, to a page that says nothing is left to sign."""
        if self._forms_missing is None:
            appointments = {}
            for each in [*self._messages, message]:
                if each.kind in FORMS_LINK and each.appointment_id:
                    appointment = each.appointment
                    # The message's clinic and treatment are the appointment's (planning
                    # copies them), read with the batch: not read again for each.
                    for field in (Appointment.clinic.field, Appointment.treatment.field):
                        if getattr(appointment, field.attname) == getattr(each, field.attname):
                            field.set_cached_value(appointment, getattr(each, field.name))
                    appointments[appointment.pk] = appointment
            self._forms_missing = set(missing_for(appointments.values()))
        return message.appointment_id in self._forms_missing


def _is_permanent(error: Exception) -> bool:
    """Errors that another try cannot fix. SMTP 4xx codes, timeouts and dropped connections
    are transient; 5xx refusals, a missing address or a broken template are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, NoRecipient | TemplateRefused) or sms.is_permanent(error)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8... times AFTERCARE_RETRY_SECONDS after the n-th failed attempt, capped."""
    return min(timedelta(seconds=settings.AFTERCARE_RETRY_SECONDS * 2 ** (attempts - 1)), RETRY_CAP)


UNCONFIRMED = (
    "Unconfirmed: the whole message went to the SMTP server, but its reply did not come "
    "({error}). It may well have been delivered, so it is not sent again; the mail server's "
    "log says whether it accepted it."
)


UNCONFIRMED_SMS = (
    "Unconfirmed: the request to send this text reached Twilio, but its answer did not come "
    "({error}). Twilio may well have accepted it, so it is not sent again; Twilio's message "
    "log says whether it did."
)


def _record_unconfirmed(message: Message, error: BaseException) -> None:
    message.attempts += 1
    message.status, message.sent_at = Message.Status.SENT, timezone.now()
    words = UNCONFIRMED_SMS if message.channel == Message.Channel.SMS else UNCONFIRMED
    message.last_error = words.format(error=f"{type(error).__name__}: {error}")[:2000]
    logger.warning("Message %s: %s", message.pk, message.last_error)


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
    if client is None or message.kind in ACCOUNT_KINDS:  # the site's own, to an address or
        # (a sign-in code by text) to a client's number: no clinic's facts
        return {
            **message.data,
            "site": {"name": settings.SITE_NAME, "url": settings.SITE_URL},
            "minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
        }
    data = dict(message.data)
    for day in ("eligible_on", "recommended_on"):
        if data.get(day):
            data[day] = date.fromisoformat(data[day])
    if data.get("moved_from"):
        data["moved_from"] = datetime.fromisoformat(data["moved_from"])
    if message.kind in OFFER_KINDS:
        data.update(_offer_facts(data))
    if message.kind == Message.Kind.DEPOSIT_DUE:
        data["pay_url"] = deposit_url(message.appointment)
    notes = care_notes(category=treatment.category, slug=treatment.slug) if treatment else None
    appointment = message.appointment
    return {
        **data,
        # Also in every client email's footer (booking_links); here for staff's templates.
        "manage_url": manage_url(appointment) if appointment else "",
        "forms_url": forms_url(appointment) if appointment else "",
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
        "treatment": {
            "name": treatment.name,
            "duration_minutes": treatment.duration_minutes,
            "course_sessions": treatment.course_sessions,
            "cadence": cadence(treatment.rebook_after_days),
        }
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
        else data.get("appointment", {}),
    }


OFFER_KINDS = (Message.Kind.WAITLIST_OFFER, Message.Kind.OFFER_GONE)


def _offer_facts(data: dict) -> dict:
    """A waitlist offer's time (the held appointment is nobody's booking yet, so it is not
    the message's appointment) and, for the offer itself, its signed accept link."""
    facts = {
        "appointment": {
            "start": datetime.fromisoformat(data["start"]),
            "practitioner": data.get("practitioner", ""),
        },
        "expires_at": datetime.fromisoformat(data["expires_at"]),
    }
    offer = Offer.objects.filter(pk=data.get("offer_id")).first()
    if offer is not None:
        path = reverse("online:offer", args=[offer.pk, offer.link_token()])
        facts["accept_url"] = settings.SITE_URL.rstrip("/") + path
    return facts


def offer_reason(message: Message) -> str:
    """Why a waitlist offer's email should no longer go ("" if it should)."""
    if message.kind != Message.Kind.WAITLIST_OFFER:
        return ""
    offer = Offer.objects.filter(pk=message.data.get("offer_id")).first()
    if offer is None or offer.status != Offer.Status.OFFERED:
        return "The offer is no longer open."
    return ""


def deposit_reason(message: Message) -> str:
    """Why a deposit's payment link should no longer go ("" if it should): paid meanwhile,
    at the desk or by card (its booking's state is planning.reason_not_to_send's)."""
    if message.kind != Message.Kind.DEPOSIT_DUE:
        return ""
    return "" if deposits.deposit_due(message.appointment) > 0 else "The deposit is paid."


def cadence(days: int) -> str:
    """How often a course's sessions come, in words, from the treatment's rebooking interval
    ("" when it has none)."""
    if days <= 0:
        return ""
    if days % 7 == 0:
        weeks = days // 7
        return "about one a week" if weeks == 1 else f"about one every {weeks} weeks"
    return f"about one every {days} days"


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
    footer = {
        "clinic_name": message.clinic.name,
        "links": booking_links(message, templates=templates),
    }
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


def sms_recipient(message: Message) -> str:
    """The client's mobile number, as it is now (a number changed since planning gets the
    text); it must be in E.164, which every number typed since it was checked is."""
    phone = message.client.phone if message.client else ""
    if not phone:
        raise NoRecipient("The client has no phone number.")
    if not phone.startswith("+") or phone != normalise_or_none(phone):
        raise NoRecipient("The client's phone number is not one we can text; correct it.")
    return phone


def render_text(message: Message, *, templates: Templates | None = None) -> str:
    """The text message's words: the treatment's own template's SMS text, else the clinic-wide
    one's, else the built-in words; then the STOP line, on all but a sign-in code."""
    facts = context(message)
    template = None
    if message.clinic is not None:
        template = (templates if templates is not None else Templates([message])).for_message(
            message
        )
    tz = message.clinic.tzinfo if message.clinic else timezone.get_current_timezone()
    with timezone.override(tz):
        body = ""
        if template is not None and template.sms.strip():
            try:
                body = render_sms(text=template.sms, context=facts)
            except TemplateRefused:
                logger.exception(
                    "Template %s's SMS does not compile; using the default", template.pk
                )
        if not body:
            body = render_sms(text=SMS_DEFAULTS[message.kind], context=facts)
    if message.kind not in ACCOUNT_KINDS:
        body += f"\n{SMS_STOP_LINE}"
    return body


def compose_sms(message: Message, *, templates: Templates | None = None) -> sms.Sms:
    if message.kind not in SMS_DEFAULTS:
        raise NoRecipient(f"{message.get_kind_display()} is not sent by SMS.")
    return sms.Sms(to=sms_recipient(message), body=render_text(message, templates=templates))


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
    if message.kind == Message.Kind.FORM_SIGNED:
        email.attach("signed-form.pdf", signed_form(message), "application/pdf")
    return email


def signed_form(message: Message) -> bytes:
    """The PDF a signing stored (consent/services.py), read at send time: the outbox row
    names the submission, never holds the file."""
    return pdf_bytes(Submission.objects.get(pk=message.data["submission"]))


def forms_url(appointment) -> str:
    """The page where the client signs the forms the appointment needs, behind the same
    signed link as the booking's own page."""
    path = reverse("online:forms", args=[appointment.reference, appointment.manage_token])
    return settings.SITE_URL.rstrip("/") + path


def deposit_url(appointment) -> str:
    """The page where the client pays a deposit staff asked by card (diary/deposits.py),
    behind the booking's signed link."""
    path = reverse("online:deposit", args=[appointment.reference, appointment.manage_token])
    return settings.SITE_URL.rstrip("/") + path


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
# Emails about a visit still ahead that carry the link to sign its forms, while any is unsigned.
FORMS_LINK = frozenset({Message.Kind.CONFIRMATION, Message.Kind.MOVED, Message.Kind.REMINDER})
# Messages that are not to the client about their own booking: no links to it.
NOT_THE_CLIENTS = frozenset({Message.Kind.FLAGGED, Message.Kind.HOLD})


def booking_links(message: Message, *, templates: Templates | None = None) -> list[tuple[str, str]]:
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
        batch = templates if templates is not None else Templates([message])
        if message.kind in FORMS_LINK and batch.forms_missing(message):
            links.append(("Sign your forms before your visit", forms_url(message.appointment)))
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
