"""Anonymising a client on request: their personal data removed, the diary kept as it was.

What goes: their name, email and phone (replaced); their login's names, address, password,
API token, sign-in addresses, sessions and the failed sign-ins it left (axes); their
injectables, declarations and treatment records and clinical photos (deleted, every version
and file; recalls forget them); their signed consent and intake forms with their PDFs and
drawn signatures (deleted, files too); what their appointments and their
history say in words (notes, an override's reason, a flag: redacted); what staff wrote on
their payments and waived fees (a note, a waiver's reason); the outbox's data, errors and
addresses about them (pending messages cancelled); the booking requests (name, email,
phone, declared health) made with their address or for their appointments; the
Idempotency-Key rows of their bookings (a fingerprint of a body that named them); a booking
draft, refusal or held reference in any visitor's session that names them; in the audit
trail, the free text of their entries' details (an override's reason), the query values and
tokens in the paths of every entry about them (their own, or a list's that showed them) or
naming them, and, on the entries of their own visits, their username, address and browser;
in the admin's change log, the name the log gave their record.

What stays, and why: the client row itself, renamed (the audit trail and the appointments
point at it: PROTECT); their appointments with times, statuses, practitioners, prices,
their payments and fees (amounts, kinds, methods, dates: the clinic's books) and
the history's actions (the diary's counts, the business's books); the outbox's rows (what
was sent and when); the audit trail's entries (who saw or changed their record, when, what
and from where: the clinic must still answer for it), with a redacted line where a reason
was, so "an override was used" is still known. None of these says who they were or what
their health is.
"""

from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from aftercare.models import Message
from aftercare.services import messages_forget, unsubscribe_token
from bookings.history import REDACTED, appointments_redact
from bookings.models import Appointment, BookingRequest, IdempotencyKey
from clinic.audit import HIDDEN, PLAIN_VALUE, audit_path, entries_about
from clinic.models import AuditEntry, AuditSubject, Client
from clinical.services import health_records_erase
from consent.services import submissions_erase
from diary.errors import BookingError
from money.services import payments_redact
from privacy.retention import sessions_forget_person
from records.photos import photos_erase
from records.services import records_erase
from waitlist.services import entries_forget


class AnonymisationRefused(BookingError):
    code = "upcoming_appointments"
    status = 409
    detail = "Cancel the client's upcoming appointments before anonymising them."


def anonymised_email(client: Client) -> str:
    # Still unique in the organisation (the constraint on email), at a domain that never
    # delivers.
    return f"anonymised-{client.pk}@anonymised.invalid"


def client_anonymise(*, client: Client, now=None) -> Client:
    """Remove a client's personal data on their request, keeping the diary as it was (the
    module's docstring lists what goes and what stays).

    Their login is emptied and disabled unless it is also their login at another
    organisation: then this record only leaves it. Refused while the client has upcoming
    confirmed appointments, which the desk cancels first.
    """
    now = now or timezone.now()
    with transaction.atomic():
        client = (
            Client.objects.select_for_update(of=("self",)).select_related("user").get(pk=client.pk)
        )
        if Appointment.objects.filter(
            client=client, status=Appointment.Status.CONFIRMED, start__gte=now
        ).exists():
            raise AnonymisationRefused()
        leftovers = _Leftovers(client)
        health_records_erase(client=client)
        submissions_erase(client=client)
        records_erase(client=client)
        photos_erase(client=client)
        appointments_redact(client=client)
        payments_redact(client=client)
        entries_forget(client=client)
        messages_forget(client=client)
        user = client.user
        elsewhere = user is not None and user.clients.exclude(pk=client.pk).exists()
        _scrub_leftovers(client, leftovers, login=user if not elsewhere else None)
        if user is not None and not elsewhere:
            Token.objects.filter(user=user).delete()
            EmailAddress.objects.filter(user=user).delete()
            user.username = f"anonymised-{user.pk}"
            user.first_name = user.last_name = user.email = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
        client.name = f"Anonymised client {client.pk}"
        client.email = anonymised_email(client)
        client.phone = ""
        client.notes = ""
        client.user = None
        client.save(update_fields=["name", "email", "phone", "notes", "user"])
    return client


class _Leftovers:
    """What names the client outside their own rows, read before anything is renamed: the
    strings to look for, their appointments' references and manage tokens."""

    def __init__(self, client: Client):
        appointments = list(Appointment.objects.filter(client=client).only("pk", "reference"))
        self.appointment_ids = [a.pk for a in appointments]
        self.references = [a.reference for a in appointments]
        self.tokens = [a.manage_token for a in appointments] + [unsubscribe_token(client)]
        self.email = client.email
        phone_digits = "".join(c for c in client.phone if c.isdigit())
        user = client.user
        self.usernames = [user.get_username()] if user is not None else []
        self.needles = [
            n
            for n in {client.name, client.email, client.phone, phone_digits, *self.usernames}
            if n and len(n) >= 3
        ]


def _scrub_text(text: str, needles: list[str]) -> str:
    lowered = text.lower()
    for needle in needles:
        start = lowered.find(needle.lower())
        while start != -1:
            text = text[:start] + HIDDEN + text[start + len(needle) :]
            lowered = text.lower()
            start = lowered.find(needle.lower(), start + len(HIDDEN))
    return text


def _plain_details(details: dict, needles: list[str]) -> dict:
    """An entry's details with only ids, dates, slugs and references left as they were: a
    sentence (an override's reason) or anything naming the client becomes REDACTED."""
    kept = {}
    for key, value in (details or {}).items():
        plain = isinstance(value, (int, bool)) or (
            isinstance(value, str) and PLAIN_VALUE.fullmatch(value) is not None
        )
        named = isinstance(value, str) and _scrub_text(value, needles) != value
        kept[key] = value if plain and not named else REDACTED
    return kept


def _scrub_audit(client: Client, leftovers: _Leftovers, login) -> None:
    """The trail keeps its entries; what they carried of the client's words, tokens and
    (on their own visits) address and browser goes."""
    listed = set(AuditSubject.objects.filter(client=client).values_list("entry_id", flat=True))
    naming = entries_about([client])
    for value in [*leftovers.needles, *leftovers.tokens, *leftovers.references]:
        naming |= Q(path__icontains=value) | Q(details__icontains=value)
    secrets = [*leftovers.needles, *leftovers.tokens]
    for entry in AuditEntry.objects.filter(naming).select_for_update():
        # An entry about them (theirs alone, or a list that showed them) loses their words;
        # another client's entry loses the query values and tokens (audit_path) and the
        # client's tokens, but no word of its own path that merely looks like their name.
        about = entry.client_id == client.pk or entry.pk in listed
        words = secrets if about else leftovers.tokens
        entry.path = _scrub_text(audit_path(entry.path), words)
        entry.details = _plain_details(entry.details, secrets)
        fields = ["path", "details"]
        if login is not None and entry.user_id == login.pk:
            entry.username = f"anonymised-{login.pk}"
            entry.ip, entry.user_agent = None, ""
            fields += ["username", "ip", "user_agent"]
        entry.save(update_fields=fields)


def _scrub_leftovers(client: Client, leftovers: _Leftovers, *, login) -> None:
    _scrub_audit(client, leftovers, login)
    # An empty address would match every row that has none.
    same_address = Q(email__iexact=leftovers.email) if leftovers.email else Q(pk__in=[])
    BookingRequest.objects.filter(
        Q(appointment_id__in=leftovers.appointment_ids) | same_address
    ).update(
        name=f"Anonymised client {client.pk}",
        email=anonymised_email(client),
        phone="",
        declared={},
    )
    IdempotencyKey.objects.filter(appointment_id__in=leftovers.appointment_ids).delete()
    if leftovers.email:
        Message.objects.filter(to__iexact=leftovers.email).update(
            to=anonymised_email(client), data={}, last_error=""
        )
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Client), object_id=str(client.pk)
    ).update(object_repr=f"Anonymised client {client.pk}")
    if login is not None:
        who = Q(username__in=[leftovers.email, *leftovers.usernames])
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            model.objects.filter(who).delete()
    sessions_forget_person(
        user_id=login.pk if login is not None else None,
        needles=[*leftovers.needles, *leftovers.tokens],
    )


def is_anonymised(client: Client) -> bool:
    return client.email == anonymised_email(client)
