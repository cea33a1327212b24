"""Thin Celery tasks over the outbox: they take ids and call aftercare/outbox.py and
aftercare/delivery.py. Beat runs dispatch and sweep (schedule in clinic/celery.py)."""

from celery import shared_task

from aftercare import delivery, outbox


# Acknowledged only once it has run, and put back if its worker dies mid-send: the row
# lock and status check in delivery make a second run harmless. The soft limit leaves the
# SMTP timeout (EMAIL_TIMEOUT) room to fail cleanly and be recorded as an attempt.
@shared_task(
    name="aftercare.send",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30,
    time_limit=45,
    ignore_result=True,
)
def send_message(message_id: int) -> str:
    return delivery.message_send(message_id=message_id)


@shared_task(name="aftercare.dispatch", ignore_result=True)
def dispatch_due() -> int:
    return len(outbox.claim_due(send=send_message.delay))


@shared_task(name="aftercare.sweep", ignore_result=True)
def sweep_stale_claims() -> int:
    return outbox.release_stale_claims()
