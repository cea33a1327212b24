"""What the diary writes for the waitlist inside its own transactions: a round of offers to
run when time comes free, and the emails an offer sends.

diary/services.py (cancel, move) and diary/time_off.py (time off removed, working hours
added) call `on_time_freed` in the transaction that frees the time; the round runs after
commit (a Celery task queued by name, and the beat sweep as the backstop: a broker that was
down loses nothing). `plan_offer_messages` is the one place an offer's messages are planned.
"""

import logging
from datetime import datetime

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from aftercare.models import Message
from aftercare.planning import SMS_SUFFIX, cancel_pending, plan_sms, save_new
from waitlist.models import Entry, FreedTime, Offer

logger = logging.getLogger(__name__)

RUN_ROUND = "waitlist.run_round"


def on_time_freed(
    *, clinic_id: int, practitioner_id: int, start: datetime, end: datetime, cause: str
) -> FreedTime | None:
    """Plan a round of offers for `start`..`end` of the practitioner's diary, if anyone at
    the clinic is waiting and the time is still ahead (one query when nobody waits)."""
    if end <= timezone.now():
        return None
    if not Entry.objects.filter(clinic_id=clinic_id, status=Entry.Status.WAITING).exists():
        return None
    freed = FreedTime.objects.create(
        clinic_id=clinic_id, practitioner_id=practitioner_id, start=start, end=end, cause=cause
    )
    transaction.on_commit(lambda: queue_round(freed.pk))
    return freed


def queue_round(freed_id: int) -> None:
    """Ask a worker to run the round now; without a broker the beat sweep runs it."""
    try:
        current_app.send_task(RUN_ROUND, args=[freed_id], retry=False)
    except OperationalError:
        logger.warning("Could not queue waitlist round %s; the sweep will run it", freed_id)


def _offer_message(offer: Offer, kind: str, *, due_at: datetime) -> Message:
    hold, entry = offer.hold, offer.entry
    return Message(
        key=f"offer:{offer.pk}:{kind}",
        clinic_id=entry.clinic_id,
        client_id=entry.client_id,
        treatment_id=entry.treatment_id,
        kind=kind,
        due_at=due_at,
        data={
            "offer_id": offer.pk,
            "start": hold.start.isoformat(),
            "practitioner": hold.practitioner.name,
            "expires_at": offer.expires_at.isoformat(),
        },
    )


def plan_offer_messages(offer: Offer) -> None:
    """The messages that tell a client about their offer, now: the email with the accept
    link (sending/delivery.py builds the link), and a text with the same link to a client
    who agreed to texts (aftercare.planning.plan_sms: nothing without Twilio keys). Both
    are dropped when due if the offer has closed meanwhile (sending/delivery.py
    offer_reason)."""
    email = _offer_message(offer, Message.Kind.WAITLIST_OFFER, due_at=offer.created_at)
    save_new([email])
    plan_sms(
        client=offer.entry.client,
        kind=Message.Kind.WAITLIST_OFFER,
        key=email.key,
        due_at=email.due_at,
        clinic_id=email.clinic_id,
        treatment_id=email.treatment_id,
        data=email.data,
    )


def plan_offer_gone(offers: list[Offer]) -> None:
    """Tell each client whose offer another client took that the time is gone; what is
    still waiting to announce the offer is cancelled."""
    if not offers:
        return
    cancel_pending(
        Message.objects.filter(
            key__in=[
                key
                for o in offers
                for key in (
                    f"offer:{o.pk}:{Message.Kind.WAITLIST_OFFER}",
                    f"offer:{o.pk}:{Message.Kind.WAITLIST_OFFER}:{SMS_SUFFIX}",
                )
            ]
        ),
        reason="The time offered was booked by another client.",
    )
    now = timezone.now()
    save_new([_offer_message(o, Message.Kind.OFFER_GONE, due_at=now) for o in offers])
