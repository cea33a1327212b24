"""Writes to the outbox that are not tied to one booking change: the "you can book again"
notice, the site's own messages (a sign-in code), a client's unsubscribe, staff retrying
failed messages, and forgetting a client."""

import uuid
from datetime import date

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from aftercare.models import ACCOUNT_KINDS, NON_ESSENTIAL, Message
from aftercare.planning import cancel_pending, local_morning, save_new
from clinic.models import Client, Treatment

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
