"""Thin Celery tasks over the outbox: they take ids and call aftercare/outbox.py and
sending/delivery.py. Beat runs dispatch and sweep, and the release of lapsed holds
(diary/holds.py) (schedule in config/celery.py)."""

import logging
from collections import Counter

from celery import shared_task
from kombu.exceptions import OperationalError

from aftercare import outbox
from diary.holds import holds_release_lapsed
from sending import delivery

logger = logging.getLogger(__name__)

# A batch starts no new send after this many seconds and gives the rest back to the outbox,
# so that with the SMTP timeout (EMAIL_TIMEOUT) of the send under way it still ends inside
# the soft limit, and that send's failure is recorded as an attempt.
BATCH_SECONDS = 15


# Acknowledged only once it has run, and put back if its worker dies mid-batch: the row
# lock and status check in delivery make a second run harmless, message by message.
@shared_task(
    name="aftercare.send",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30,
    time_limit=45,
    ignore_result=True,
)
def send_messages(message_ids: list[int]) -> dict[str, int]:
    outcomes = delivery.messages_send(message_ids=message_ids, budget=BATCH_SECONDS)
    # The batch made room in flight: claim what is waiting now rather than at beat's next
    # tick, so a backlog drains at the workers' pace. Without a broker, beat's tick will do.
    try:
        dispatch_due.apply_async(retry=False)
    except OperationalError:
        logger.warning("Could not queue a dispatch after a batch", exc_info=True)
    return dict(Counter(outcomes.values()))


@shared_task(name="aftercare.dispatch", ignore_result=True)
def dispatch_due() -> int:
    return len(outbox.claim_due(send=send_messages.delay))


@shared_task(name="aftercare.sweep", ignore_result=True)
def sweep_stale_claims() -> int:
    return outbox.release_stale_claims()


@shared_task(name="diary.release_lapsed_holds", ignore_result=True)
def release_lapsed_holds() -> int:
    return holds_release_lapsed()
