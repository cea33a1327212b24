"""Handing due messages to workers, safely with any number of dispatchers running.

claim_due() moves due rows PENDING -> SENDING under SELECT ... FOR UPDATE SKIP LOCKED, so two
dispatchers never claim one row, and queues a send task per batch of ids only after the claim
has committed: batches of at most AFTERCARE_BATCH_SIZE, and enough of them that the claim has
its part of the AFTERCARE_SENDERS worker processes (shares()), so a slow SMTP server keeps
every process busy rather than one working through a long batch while the others wait.

A claim whose task never ran (broker down while queueing, Redis restarted empty, worker
killed, a task that lost its database connection and could not give its rest back) is
released by release_stale_claims() and claimed again later: after AFTERCARE_CLAIM_TIMEOUT, or
at the next sweep when the broker lost its queue (sending/broker.py). What the release says and
counts depends on whether a worker had taken the message to hand to the SMTP server
(sending_started_at, set by delivery.py in a transaction of its own just before it talks
SMTP): a message never handed over goes back with no attempt counted and says so; one handed
over whose outcome was never recorded may or may not have gone, and is sent again as an
attempt (see delivery.py for why).
"""

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from aftercare.models import Message

logger = logging.getLogger(__name__)


def claim_due(*, send: Callable[[list[int]], object], now: datetime | None = None) -> list[int]:
    """Claim what is due, oldest first, and queue `send(ids)` for each batch after commit.

    About AFTERCARE_MAX_IN_FLIGHT messages at most are claimed but unsent at a time (two
    dispatchers counting at once may each fill the room), so a backlog (a night of downtime)
    waits in the table, not in the broker, and no claim grows stale merely by queueing
    behind thousands of others.
    """
    now = now or timezone.now()
    limit = settings.AFTERCARE_MAX_IN_FLIGHT
    with transaction.atomic():
        in_flight = Message.objects.filter(
            status=Message.Status.SENDING,
            claimed_at__gte=now - timedelta(seconds=settings.AFTERCARE_CLAIM_TIMEOUT),
        ).count()
        if in_flight >= limit:
            return []
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[: limit - in_flight]
        )
        if ids:
            Message.objects.filter(pk__in=ids).update(
                status=Message.Status.SENDING,
                claimed_at=now,
                sending_started_at=None,
                updated_at=now,
            )
            transaction.on_commit(partial(_hand_over, ids, send, in_flight=in_flight))
    return ids


def batches(ids: list[int], *, size: int, at_least: int = 1) -> list[list[int]]:
    """`ids` in order, cut into the fewest batches of at most `size`, but no fewer than
    `at_least` while there are enough ids, their sizes differing by one at most (30 by 20 is
    15 and 15, not 20 and 10: two workers finish together)."""
    if not ids:
        return []
    count = min(len(ids), max(math.ceil(len(ids) / size), at_least))
    return [ids[n * len(ids) // count : (n + 1) * len(ids) // count] for n in range(count)]


def shares(claimed: int, *, in_flight: int, senders: int) -> int:
    """How many batches, at least, a claim of `claimed` messages is cut into when `in_flight`
    others are already in the workers' hands (claimed, unsent): the claim's part of the
    `senders`, in proportion to its part of all those messages, rounded up.

    With nothing in flight (the first claim of a drain, a small backlog, mail after a quiet
    spell, what a slow server's batches gave back once all were done) that is every sender,
    one message each if need be: with a slow or stalled SMTP server a claim of 40 is four
    batches of 10, not one worker sending 40 while three wait (issue 15). While others are
    in flight the senders already have work, queued or under way, and a claim only needs
    its proportion: the follow-up claim of a draining backlog, which takes the room one
    finished batch freed (40 beside 160), stays one batch. Cutting every claim into
    `senders` instead cut each follow-up claim again, 40 -> 10 -> 3 -> 1, until a steady
    drain sent a message or two per batch, each paying the batch's SMTP connection, reads and
    dispatch (bench/README.md, 2026-12-01). No batch of the claim is larger than the even
    share of everything in flight, so no sender is left with more than its part.
    """
    return math.ceil(senders * claimed / (in_flight + claimed)) if claimed else 0


def _hand_over(ids: list[int], send: Callable[[list[int]], object], *, in_flight: int) -> None:
    handed = 0
    at_least = shares(len(ids), in_flight=in_flight, senders=settings.AFTERCARE_SENDERS)
    for batch in batches(ids, size=settings.AFTERCARE_BATCH_SIZE, at_least=at_least):
        try:
            send(batch)
        except Exception:
            rest = ids[handed:]
            give_back(rest)
            logger.warning(
                "Could not queue %d messages; they stay pending", len(rest), exc_info=True
            )
            return
        handed += len(batch)


def give_back(ids: list[int]) -> int:
    """Claimed messages never handed to a task, or that a task did not start, go straight
    back to pending (due as before) rather than waiting for the sweeper, with no attempt
    counted. A message a worker has taken to hand to the SMTP server is never given back
    here: only its outcome, or the sweeper, decides it. A task that gets one anyway finds
    it no longer SENDING and leaves it; one sent meanwhile stays SENT."""
    return Message.objects.filter(
        pk__in=ids, status=Message.Status.SENDING, sending_started_at=None
    ).update(status=Message.Status.PENDING, claimed_at=None, updated_at=timezone.now())


NEVER_HANDED_OVER = (
    "Claimed but never handed to the SMTP server within {seconds} s: its send task was lost "
    "(broker restarted, worker killed or its database connection lost) before it began. "
    "Given back; no attempt counted."
)
QUEUE_LOST = (
    "Claimed but never handed to the SMTP server: its send task was lost with the broker's "
    "queue (Redis restarted empty) before a worker began it. Given back at once; no attempt "
    "counted."
)
HANDED_OVER_UNRECORDED = (
    "Handed to the SMTP server at {started:%Y-%m-%d %H:%M:%S} UTC, but its outcome was never "
    "recorded (worker killed mid-send, or the database out of reach when it finished). "
    "Counted as an attempt and sent again: if the first send got through, this one is a "
    "duplicate."
)


def release_stale_claims(
    *, now: datetime | None = None, queue_lost_at: datetime | None = None
) -> int:
    """Give back claims whose send never finished, and say truthfully why.

    A claim no worker took within AFTERCARE_CLAIM_TIMEOUT was never handed to the SMTP
    server: it goes back with no attempt counted (a broker restarted empty is not the
    message's fault). With `queue_lost_at` (the broker came back without its queue then:
    sending/broker.py), every claim made before it that no worker has taken goes back at once
    rather than after the timeout: its task is gone, and a confirmation should not wait ten
    minutes for a Redis restart. Were a task to survive anyway, its message is claimed again
    and the two tasks send it once (each send takes its message by compare-and-set,
    sending/delivery.py). A message taken to hand
    over whose outcome was not recorded by the
    time no send task could still be running (the task's hard time limit, and at least
    AFTERCARE_CLAIM_TIMEOUT) counts as an attempt and goes back to be sent again, so a
    message that kills its worker every time still ends as FAILED instead of looping.
    Rows another transaction holds locked are skipped: a worker is recording them.
    """
    now = now or timezone.now()
    claim_cutoff = now - timedelta(seconds=settings.AFTERCARE_CLAIM_TIMEOUT)
    send_cutoff = now - timedelta(
        seconds=max(settings.AFTERCARE_CLAIM_TIMEOUT, settings.AFTERCARE_SEND_TIME_LIMIT)
    )
    stale = Message.objects.select_for_update(skip_locked=True).filter(
        status=Message.Status.SENDING
    )
    # A broker that lost its queue longer ago than the claim timeout changes nothing.
    lost_queue = queue_lost_at is not None and queue_lost_at > claim_cutoff
    never_cutoff = min(queue_lost_at, now) if lost_queue else claim_cutoff
    with transaction.atomic():
        never = list(
            stale.filter(sending_started_at=None, claimed_at__lt=never_cutoff).values_list(
                "pk", flat=True
            )[:1000]
        )
        released = Message.objects.filter(pk__in=never).update(
            status=Message.Status.PENDING,
            claimed_at=None,
            last_error=QUEUE_LOST
            if lost_queue
            else NEVER_HANDED_OVER.format(seconds=settings.AFTERCARE_CLAIM_TIMEOUT),
            due_at=now,
            updated_at=now,
        )
        abandoned = list(
            stale.filter(sending_started_at__lt=send_cutoff).values_list(
                "pk", "sending_started_at"
            )[:1000]
        )
        for pk, started in abandoned:
            released += Message.objects.filter(pk=pk).update(
                status=Case(
                    When(
                        attempts__gte=settings.AFTERCARE_MAX_ATTEMPTS - 1,
                        then=Value(Message.Status.FAILED),
                    ),
                    default=Value(Message.Status.PENDING),
                ),
                attempts=F("attempts") + 1,
                last_error=HANDED_OVER_UNRECORDED.format(started=started.astimezone(UTC)),
                claimed_at=None,
                due_at=now,
                updated_at=now,
            )
    if released:
        logger.warning("Released %d stale claims (%d never handed to SMTP)", released, len(never))
    return released
