"""Thin Celery tasks over the provider's outbox (money/provider.py): one makes a planned
call by its id, beat's sweep makes whatever is due and left (schedule in config/celery.py)."""

from celery import shared_task
from django.conf import settings

from money import provider


# Acknowledged once run and put back if its worker dies: the claim under the row's lock makes
# a second delivery do nothing, and the key makes a repeated call harmless at Stripe.
@shared_task(
    name="money.provider_call",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.STRIPE_TIMEOUT_SECONDS + 20,
    time_limit=settings.STRIPE_TIMEOUT_SECONDS + 40,
    ignore_result=True,
)
def provider_call(call_id: int) -> str | None:
    return provider.call_run(call_id)


@shared_task(name="money.provider_sweep", ignore_result=True)
def provider_sweep() -> int:
    return provider.calls_sweep()
