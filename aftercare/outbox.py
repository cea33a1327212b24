"""Handing due messages to workers, safely with any number of dispatchers running.

claim_due() moves due rows PENDING -> SENDING under SELECT ... FOR UPDATE SKIP LOCKED, so two
dispatchers never claim one row, and queues a send task per batch of ids
(AFTERCARE_BATCH_SIZE) only after the claim has committed. A claim whose task never ran
(broker down while queueing, Redis restarted empty, worker killed) is released by
release_stale_claims() and claimed again later; a second task for a message that did go out
finds it SENT and does nothing (delivery.py).
"""

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
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
                status=Message.Status.SENDING, claimed_at=now, updated_at=now
            )
            transaction.on_commit(partial(_hand_over, ids, send))
    return ids


def batches(ids: list[int], *, size: int) -> list[list[int]]:
    """`ids` in order, cut into the fewest batches of at most `size`, their sizes differing
    by one at most (30 by 20 is 15 and 15, not 20 and 10: two workers finish together)."""
    count = math.ceil(len(ids) / size)
    return [ids[n * len(ids) // count : (n + 1) * len(ids) // count] for n in range(count)]


def _hand_over(ids: list[int], send: Callable[[list[int]], object]) -> None:
    handed = 0
    for batch in batches(ids, size=settings.AFTERCARE_BATCH_SIZE):
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


def give_back(ids: list[int]) -> None:
    """Claimed messages never handed to a task, or that a task did not start, go straight
    back to pending (due as before) rather than waiting for the sweeper. A task that gets
    one anyway finds it no longer SENDING and leaves it; one sent meanwhile stays SENT."""
    Message.objects.filter(pk__in=ids, status=Message.Status.SENDING).update(
        status=Message.Status.PENDING, claimed_at=None, updated_at=timezone.now()
    )


def release_stale_claims(*, now: datetime | None = None) -> int:
    """Give back claims older than AFTERCARE_CLAIM_TIMEOUT whose send never finished.

    Rows a send task holds locked are skipped: that task is alive and deciding. A lost
    claim counts as an attempt, so a message that kills its worker every time still ends
    as FAILED instead of looping.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AFTERCARE_CLAIM_TIMEOUT)
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.SENDING, claimed_at__lt=cutoff)
            .values_list("pk", flat=True)[:1000]
        )
        released = Message.objects.filter(pk__in=ids).update(
            status=Case(
                When(
                    attempts__gte=settings.AFTERCARE_MAX_ATTEMPTS - 1,
                    then=Value(Message.Status.FAILED),
                ),
                default=Value(Message.Status.PENDING),
            ),
            attempts=F("attempts") + 1,
            last_error=(
                f"Claimed but not sent within {settings.AFTERCARE_CLAIM_TIMEOUT} s (task lost: "
                "broker restarted or worker killed)."
            ),
            due_at=now,
            updated_at=now,
        )
    if released:
        logger.warning("Released %d stale claims", released)
    return released
