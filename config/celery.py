"""The Celery app. The whole beat schedule lives here, one commented entry per task."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's consumer, made to outlive a lost broker connection while it holds an unacknowledged
# task (a Redis restart mid-send killed the worker): config/celery_consumer.py.
app.conf.worker_consumer = "config.celery_consumer:Consumer"
app.autodiscover_tasks()


@app.on_after_configure.connect
def beat_schedule(sender, **kwargs):
    # Read here, not at import: the settings module imports this package first.
    from django.conf import settings

    dispatch = settings.AFTERCARE_DISPATCH_SECONDS
    sweep = settings.AFTERCARE_SWEEP_SECONDS
    # Claim due outbox messages and queue one send task each. Runs often, so a confirmation
    # goes within seconds; a run nobody picked up before the next is due expires unrun.
    sender.add_periodic_task(
        dispatch,
        sender.signature("aftercare.dispatch"),
        name="aftercare-dispatch",
        expires=dispatch,
    )
    # Give back claims whose task was lost (broker restarted empty, worker killed) so the
    # dispatcher claims them again.
    sender.add_periodic_task(
        sweep, sender.signature("aftercare.sweep"), name="aftercare-sweep", expires=sweep
    )
    # Free the time of bookings held for someone to confirm from their email, once lapsed
    # (diary/holds.py); a link opened later still books the time if it is free. The same
    # task lapses courses bought by card and unpaid in time (diary/course_payments.py).
    holds = settings.HOLD_SWEEP_SECONDS
    sender.add_periodic_task(
        holds,
        sender.signature("diary.release_lapsed_holds"),
        name="diary-release-lapsed-holds",
        expires=holds,
    )
    # Make the calls to the payment provider that are due and were not made after their
    # change committed (a worker or the broker down, Stripe failing: retried with backoff),
    # and give back claims whose worker died mid-call (money/provider.py).
    provider = settings.PROVIDER_SWEEP_SECONDS
    sender.add_periodic_task(
        provider,
        sender.signature("money.provider_sweep"),
        name="money-provider-sweep",
        expires=provider,
    )
    # End waitlist offers past their time (their time goes to the next client) and run the
    # rounds of offers no worker ran (diary/waitlist.py rounds_sweep).
    waitlist = settings.WAITLIST_SWEEP_SECONDS
    sender.add_periodic_task(
        waitlist,
        sender.signature("waitlist.sweep"),
        name="waitlist-sweep",
        expires=waitlist,
    )
    # Forget what the site keeps only for a while (privacy/retention.py): booking drafts,
    # refusals and held references older than DRAFT_MINUTES cut out of the live sessions;
    # Idempotency-Key rows past their day; sessions past their expiry (clearsessions).
    drafts = settings.DRAFT_SWEEP_SECONDS
    sender.add_periodic_task(
        drafts,
        sender.signature("privacy.drafts_forget"),
        name="privacy-drafts-forget",
        expires=drafts,
    )
    sender.add_periodic_task(
        3600,
        sender.signature("privacy.idempotency_purge"),
        name="privacy-idempotency-purge",
        expires=3600,
    )
    sender.add_periodic_task(
        86400,
        sender.signature("privacy.sessions_clear_expired"),
        name="privacy-sessions-clear-expired",
        expires=3600,
    )
