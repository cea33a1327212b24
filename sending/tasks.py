"""Thin Celery tasks over the outbox: they take ids and call aftercare/outbox.py and
sending/delivery.py. Beat runs dispatch and sweep, and the release of lapsed holds
(diary/holds.py) and of courses unpaid by card (diary/course_payments.py) (schedule in
config/celery.py)."""

import logging
from collections import Counter

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError

from aftercare import outbox
from diary import waitlist
from diary.course_payments import courses_lapse_unpaid
from diary.holds import holds_release_lapsed
from sending import broker, delivery

logger = logging.getLogger(__name__)


# Acknowledged only once it has run, and put back if its worker dies mid-batch: the take
# and record steps in delivery make a second run harmless, message by message. A batch
# starts no new send after AFTERCARE_BATCH_SECONDS and gives the rest back; the soft limit
# leaves the send under way time to wait out each of its SMTP replies (config/settings.py),
# so it never cuts a send, and delivery records the message in hand if it does.
@shared_task(
    name="aftercare.send",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.AFTERCARE_SEND_SOFT_TIME_LIMIT,
    time_limit=settings.AFTERCARE_SEND_TIME_LIMIT,
    ignore_result=True,
)
def send_messages(message_ids: list[int]) -> dict[str, int]:
    outcomes = delivery.messages_send(
        message_ids=message_ids, budget=settings.AFTERCARE_BATCH_SECONDS
    )
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
    return outbox.release_stale_claims(queue_lost_at=broker.queue_lost_at())


@shared_task(name="diary.release_lapsed_holds", ignore_result=True)
def release_lapsed_holds() -> int:
    return holds_release_lapsed() + courses_lapse_unpaid()


# The waitlist's rounds (diary/waitlist.py) live with the other beat-driven tasks: they need
# the diary, which the waitlist app sits below.
@shared_task(name="waitlist.run_round", ignore_result=True)
def run_round(freed_id: int) -> int:
    return len(waitlist.round_run(freed_id))


@shared_task(name="waitlist.sweep", ignore_result=True)
def waitlist_sweep() -> int:
    return waitlist.rounds_sweep()
