"""Thin Celery tasks over privacy/retention.py: forgetting what is kept only for a while.
Their schedule is in config/celery.py."""

from celery import shared_task

from privacy import retention


@shared_task(name="privacy.idempotency_purge", ignore_result=True)
def idempotency_purge() -> int:
    return retention.idempotency_purge()


@shared_task(name="privacy.drafts_forget", ignore_result=True)
def drafts_forget() -> int:
    return retention.drafts_forget()


@shared_task(name="privacy.sessions_clear_expired", ignore_result=True)
def sessions_clear_expired() -> None:
    retention.sessions_clear_expired()
