"""A real Celery worker (with its beat) through a Redis restart that comes while it holds a
task it has not acknowledged yet: a send under way (acks_late), as a slow SMTP reply keeps it.
The worker must outlive the restart and go on sending (config/celery_consumer.py says why
Celery 5.7 alone does not), and each message must arrive once."""

import pytest
from django.utils import timezone

from aftercare.models import Message
from sending.broker import MARK
from tests.aftercare.test_outbox import make_messages
from tests.loopback import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker_settings(worker_settings):
    """Production's claim timeout, much longer than any wait here: a lost claim that is sent
    within the test was given back because the broker lost its queue, not because it aged."""
    return {**worker_settings, "AFTERCARE_CLAIM_TIMEOUT": "600"}


@pytest.fixture(scope="module")
def worker_env(worker_env, slow_smtp):
    """The loopback fixtures' worker environment, sending to the slow server."""
    return {**worker_env, "EMAIL_PORT": str(slow_smtp.port)}


@pytest.fixture
def slow(slow_smtp):
    slow_smtp.clear()
    yield slow_smtp
    slow_smtp.clear()


def wait_sent(message_ids: list[int], *, workers, timeout: float, interval: float = 0.2) -> None:
    """Wait for the messages to be sent; fail at once, with its log, if one of `workers`
    exits (a worker that died sends nothing more: waiting out `timeout` would hide why)."""

    def all_sent():
        for worker in workers:
            if worker.process.popen.poll() is not None:
                log = worker.process.output()[-4000:]
                raise AssertionError(f"worker {worker.name} exited while messages were due:\n{log}")
        sent = Message.objects.filter(pk__in=message_ids, status=Message.Status.SENT)
        return sent.count() == len(message_ids)

    wait_until(
        all_sent, timeout=timeout, what=f"{len(message_ids)} messages sent", interval=interval
    )


def sweeps(worker, since: int) -> int:
    """Sweep tasks the worker ran to the end since `since` (a place in its log)."""
    lines = worker.process.output()[since:].splitlines()
    return sum("Task aftercare.sweep[" in line and " succeeded " in line for line in lines)


def test_a_worker_outlives_redis_restarted_while_a_send_is_unacknowledged(
    slow, private_redis, start_worker
):
    worker = start_worker("holder")
    slow.delays = {"end_of_data": 3}  # the send is under way, its task unacknowledged
    (first,) = make_messages(1, due_at=timezone.now())
    wait_until(
        lambda: Message.objects.filter(pk=first.pk, sending_started_at__isnull=False).exists(),
        timeout=30,
        what="the send to be under way",
    )
    private_redis.stop()
    private_redis.start()

    wait_sent([first.pk], workers=[worker], timeout=60)  # the send under way is recorded
    slow.delays = {}
    (second,) = make_messages(1, due_at=timezone.now())
    wait_sent([second.pk], workers=[worker], timeout=60)  # and one planned after the restart
    assert slow.outbox_counts() == {first.pk: 1, second.pk: 1}


def test_a_claim_whose_task_was_lost_with_redis_goes_as_soon_as_redis_is_back(
    slow, private_redis, start_worker
):
    worker = start_worker("holder")
    wait_until(lambda: private_redis.client().exists(MARK), timeout=30, what="a first sweep")
    # A claim whose send task sits in Redis's queue: claimed and queued, not begun.
    (lost,) = make_messages(
        1, due_at=timezone.now(), status=Message.Status.SENDING, claimed_at=timezone.now()
    )
    since = worker.mark()
    wait_until(lambda: sweeps(worker, since) >= 2, timeout=30, what="two sweeps more")
    assert Message.objects.get(pk=lost.pk).status == Message.Status.SENDING  # its task may run

    private_redis.stop()  # restarted empty: the task is gone
    private_redis.start()

    wait_sent([lost.pk], workers=[worker], timeout=60)  # not after the 600 s claim timeout
    lost.refresh_from_db()
    assert lost.attempts == 1
    assert "lost with the broker's queue" in lost.last_error
    assert slow.outbox_counts() == {lost.pk: 1}
