"""Writes to the outbox that are not tied to one booking change: the "you can book again"
notice, the site's own messages (a sign-in code), a client's unsubscribe, their agreement to
text messages and its withdrawal (a STOP reply), staff retrying failed messages, and
forgetting a client."""

import uuid
from datetime import date

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from aftercare.models import ACCOUNT_KINDS, NON_ESSENTIAL, Message
from aftercare.planning import cancel_pending, local_morning, plan_sms, save_new
from clinic.models import Client, SmsConsentSource, Treatment

UNSUBSCRIBE_SALT = "aftercare.unsubscribe"


def eligibility_notice_request(*, client: Client, treatment: Treatment, eligible_on: date) -> None:
    """A client refused for a waiting period asked to be told when it ends: email them on
    the morning of `eligible_on` (clinic time). Asking twice plans one email."""
    now = timezone.now()
    key = f"client:{client.pk}:{Message.Kind.ELIGIBLE}:{treatment.pk}:{eligible_on.isoformat()}"
    save_new(
        [
            Message(
                key=key,
                clinic_id=treatment.clinic_id,
                client=client,
                treatment=treatment,
                kind=Message.Kind.ELIGIBLE,
                due_at=max(now, local_morning(day=eligible_on, tz=treatment.clinic.tzinfo)),
                data={"eligible_on": eligible_on.isoformat()},
            )
        ]
    )


def account_message(*, kind: str, to: str, data: dict | None = None) -> Message:
    """One of the site's own messages (ACCOUNT_KINDS) to an address, due now. The facts in
    `data` (a code) stay only until it is sent or given up (sending/delivery.py)."""
    if kind not in ACCOUNT_KINDS:
        raise ValueError(f"{kind!r} is not an account message")
    return Message.objects.create(
        key=f"{kind}:{uuid.uuid4().hex}",
        kind=kind,
        to=to.strip(),
        due_at=timezone.now(),
        data=data or {},
    )


def unsubscribe_token(client: Client) -> str:
    # No expiry: a link in an old email must still work.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(client.pk))


def client_from_unsubscribe_token(token: str) -> Client | None:
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Client.objects.filter(pk=int(pk)).first() if pk.isdigit() else None


def unsubscribe_url(client: Client) -> str:
    path = reverse("aftercare:unsubscribe", kwargs={"token": unsubscribe_token(client)})
    return settings.SITE_URL.rstrip("/") + path


def client_unsubscribe(*, client: Client) -> None:
    """Stop aftercare, follow-ups and rebooking nudges for good; booking emails still go."""
    with transaction.atomic():
        if client.unsubscribed_at is None:
            client.unsubscribed_at = timezone.now()
            client.save(update_fields=["unsubscribed_at"])
        cancel_pending(
            client.messages.filter(kind__in=NON_ESSENTIAL),
            reason="The client unsubscribed from aftercare and rebooking emails.",
        )


def sms_opt_in(*, client: Client, source: str) -> bool:
    """The client agrees to text messages, now, by `source` (SmsConsentSource); whether that
    changed anything. Their upcoming reminders not yet sent get a text too, in this
    transaction. Agreeing again while agreed keeps the first time and source."""
    if source not in SmsConsentSource.values:
        raise ValueError(f"{source!r} is not a source of consent")
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.sms_opted_in:
            return False
        client.sms_opted_in = True
        client.sms_opt_in_at, client.sms_opt_in_source = timezone.now(), source
        client.save(update_fields=["sms_opted_in", "sms_opt_in_at", "sms_opt_in_source"])
        for reminder in client.messages.filter(
            kind=Message.Kind.REMINDER,
            channel=Message.Channel.EMAIL,
            status=Message.Status.PENDING,
            appointment__isnull=False,
        ).select_related("appointment"):
            plan_sms(
                client=client,
                kind=reminder.kind,
                key=reminder.key,
                due_at=reminder.due_at,
                appointment=reminder.appointment,
                data=reminder.data,
            )
    return True


def sms_opt_out(*, client: Client, source: str) -> bool:
    """The client withdraws from text messages, now, by `source`; every text still waiting
    for them is cancelled in the same transaction. Whether that changed anything."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        cancel_pending(
            client.messages.filter(channel=Message.Channel.SMS),
            reason="The client withdrew from text messages.",
        )
        if not client.sms_opted_in and client.sms_opt_out_at is not None:
            return False
        client.sms_opted_in = False
        client.sms_opt_out_at, client.sms_opt_out_source = timezone.now(), source
        client.save(update_fields=["sms_opted_in", "sms_opt_out_at", "sms_opt_out_source"])
    return True


class NoMobileNumber(ValueError):
    """Agreeing to texts needs a number they can go to (E.164, clinic/phones.py)."""

    detail = "We have no mobile number we can text for you: ask the clinic to add it."


def sms_agreement_set(*, clients, opted_in: bool, source: str) -> None:
    """The client's own switch (their space, the API), for their records at one
    organisation or all: every record or none, so agreeing is refused with NoMobileNumber
    when one of them has no number to text."""
    if opted_in and not all(client.phone.startswith("+") for client in clients):
        raise NoMobileNumber(NoMobileNumber.detail)
    change = sms_opt_in if opted_in else sms_opt_out
    with transaction.atomic():
        for client in clients:
            change(client=client, source=source)


def sms_reply(*, phone: str, keyword: str) -> int:
    """A reply texted from `phone` (E.164) to our number: STOP and its variants withdraw
    every client record with that number, in every organisation (the number is the
    person's, and Twilio blocks further texts to it whatever we do); START agrees again for
    the records that had agreed before. How many records changed."""
    changed = 0
    clients = Client.objects.filter(phone=phone).order_by("pk")
    with transaction.atomic():
        for client in clients:
            if keyword in STOP_WORDS:
                changed += sms_opt_out(client=client, source=SmsConsentSource.REPLY)
            elif keyword in START_WORDS and client.sms_opt_in_at is not None:
                changed += sms_opt_in(client=client, source=SmsConsentSource.REPLY)
    return changed


# The words carriers and Twilio treat as opting out and back in (Twilio's default
# opt-out keywords), compared after trimming and upper-casing the whole reply.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


def messages_retry(*, messages: QuerySet) -> int:
    """Staff give failed messages another full set of tries, starting now."""
    return messages.filter(status=Message.Status.FAILED).update(
        status=Message.Status.PENDING, attempts=0, due_at=timezone.now(), updated_at=timezone.now()
    )


def messages_forget(*, client: Client) -> None:
    """A client's data is anonymised: nothing more goes to them, and what the outbox kept
    about them (an SMTP error naming their address, a flag's reason) is blanked; the rows
    stay as the record of what was sent. Call it inside the anonymisation's transaction."""
    cancel_pending(client.messages.all(), reason="The client was anonymised.")
    client.messages.update(data={}, last_error="", updated_at=timezone.now())
