"""Claiming due messages and giving back lost claims, without a broker: the send callback
is a plain function here. The threaded tests run real concurrent transactions on PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from aftercare.models import Message
from aftercare.outbox import claim_due, give_back, release_stale_claims
from tests import factories
from tests.helpers import send_one

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def make_messages(count: int, *, due_at=NOW, **fields) -> list[Message]:
    client = factories.ClientFactory()
    treatment = factories.TreatmentFactory(clinic=client.home_clinic)
    return Message.objects.bulk_create(
        Message(
            key=f"test:{client.pk}:{n}",
            clinic=client.home_clinic,
            client=client,
            treatment=treatment,
            kind=Message.Kind.ELIGIBLE,
            due_at=due_at,
            data={"eligible_on": "2027-03-29"},
            **fields,
        )
        for n in range(count)
    )


def run_together(target, *, threads: int) -> None:
    """`target` in `threads` threads started at once, each with its own connection."""
    start = threading.Barrier(threads)

    def run():
        try:
            start.wait(timeout=10)
            target()
        finally:
            connection.close()

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=60)


def test_it_claims_what_is_due_and_queues_it_after_commit(db, django_capture_on_commit_callbacks):
    due = make_messages(2)
    later = make_messages(1, due_at=NOW + timedelta(minutes=1))
    queued = []

    with django_capture_on_commit_callbacks(execute=True):
        claimed = claim_due(send=queued.append, now=NOW)
        assert queued == []  # nothing reaches the broker before the claim commits

    assert sorted(claimed) == sorted(pk for batch in queued for pk in batch)
    assert sorted(claimed) == sorted(m.pk for m in due)
    assert set(Message.objects.filter(pk__in=claimed).values_list("status", "claimed_at")) == {
        (Message.Status.SENDING, NOW)
    }
    assert Message.objects.get(pk=later[0].pk).status == Message.Status.PENDING


def test_when_the_broker_refuses_the_claims_go_straight_back(
    db, django_capture_on_commit_callbacks
):
    make_messages(3)

    def broker_down(ids):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    with django_capture_on_commit_callbacks(execute=True):
        claim_due(send=broker_down, now=NOW)

    assert set(Message.objects.values_list("status", "claimed_at")) == {
        (Message.Status.PENDING, None)
    }


def test_it_keeps_at_most_the_in_flight_limit_claimed(db, settings):
    settings.AFTERCARE_MAX_IN_FLIGHT = 5
    make_messages(3, status=Message.Status.SENDING, claimed_at=NOW)
    make_messages(10)

    assert len(claim_due(send=lambda ids: None, now=NOW)) == 2
    assert claim_due(send=lambda ids: None, now=NOW) == []


def test_claims_never_handed_to_smtp_go_back_uncounted_and_say_so(db, settings):
    settings.AFTERCARE_CLAIM_TIMEOUT = 600
    settings.AFTERCARE_MAX_ATTEMPTS = 3
    old = NOW - timedelta(seconds=601)
    [lost] = make_messages(1, status=Message.Status.SENDING, claimed_at=old)
    [unlucky] = make_messages(1, status=Message.Status.SENDING, claimed_at=old, attempts=2)
    [fresh] = make_messages(
        1, status=Message.Status.SENDING, claimed_at=NOW - timedelta(seconds=60)
    )

    assert release_stale_claims(now=NOW) == 2

    lost.refresh_from_db()
    assert (lost.status, lost.attempts, lost.due_at) == (Message.Status.PENDING, 0, NOW)
    assert "never handed to the SMTP server within 600 s" in lost.last_error
    assert "no attempt counted" in lost.last_error
    # A broker restarted empty is not the message's fault: one try from the end, it is
    # still pending (it used to be failed without a word from any SMTP server).
    unlucky.refresh_from_db()
    assert (unlucky.status, unlucky.attempts) == (Message.Status.PENDING, 2)
    assert Message.objects.get(pk=fresh.pk).status == Message.Status.SENDING


def test_when_the_broker_lost_its_queue_the_claims_from_before_go_back_at_once(db, settings):
    settings.AFTERCARE_CLAIM_TIMEOUT = 600
    settings.AFTERCARE_SEND_TIME_LIMIT = 145
    restarted = NOW - timedelta(seconds=3)
    [lost] = make_messages(1, status=Message.Status.SENDING, claimed_at=NOW - timedelta(seconds=5))
    # Claimed since the broker came back: its task is in the new queue.
    [queued] = make_messages(
        1, status=Message.Status.SENDING, claimed_at=NOW - timedelta(seconds=1)
    )
    # Taken by a worker that may still be talking to the SMTP server: only its outcome, or
    # the send time limit, decides it.
    [taken] = make_messages(
        1,
        status=Message.Status.SENDING,
        claimed_at=NOW - timedelta(seconds=5),
        sending_started_at=NOW - timedelta(seconds=4),
    )

    assert release_stale_claims(now=NOW) == 0  # the broker kept its queue: the task may run
    # Lost longer ago than the claim timeout: nothing more than the timeout gives back.
    assert release_stale_claims(now=NOW, queue_lost_at=NOW - timedelta(days=1)) == 0
    assert release_stale_claims(now=NOW, queue_lost_at=restarted) == 1

    lost.refresh_from_db()
    assert (lost.status, lost.attempts, lost.due_at) == (Message.Status.PENDING, 0, NOW)
    assert "lost with the broker's queue" in lost.last_error
    assert "no attempt counted" in lost.last_error
    assert Message.objects.get(pk=queued.pk).status == Message.Status.SENDING
    assert Message.objects.get(pk=taken.pk).status == Message.Status.SENDING


def test_claims_handed_to_smtp_and_never_recorded_count_once_the_send_cannot_be_running(
    db, settings
):
    settings.AFTERCARE_CLAIM_TIMEOUT = 60
    settings.AFTERCARE_SEND_TIME_LIMIT = 145
    settings.AFTERCARE_MAX_ATTEMPTS = 3
    long_ago = NOW - timedelta(seconds=146)
    [killed] = make_messages(
        1, status=Message.Status.SENDING, claimed_at=long_ago, sending_started_at=long_ago
    )
    [hopeless] = make_messages(
        1,
        status=Message.Status.SENDING,
        claimed_at=long_ago,
        sending_started_at=long_ago,
        attempts=2,
    )
    # Past the claim timeout, but its send may still be waiting on a slow server.
    [slow] = make_messages(
        1,
        status=Message.Status.SENDING,
        claimed_at=long_ago,
        sending_started_at=NOW - timedelta(seconds=100),
    )

    assert release_stale_claims(now=NOW) == 2

    killed.refresh_from_db()
    assert (killed.status, killed.attempts, killed.due_at) == (Message.Status.PENDING, 1, NOW)
    assert "Handed to the SMTP server at 2027-03-01 07:57:34 UTC" in killed.last_error
    assert "outcome was never recorded" in killed.last_error
    assert Message.objects.get(pk=hopeless.pk).status == Message.Status.FAILED
    assert Message.objects.get(pk=slow.pk).status == Message.Status.SENDING


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_never_claim_one_row_twice(settings):
    settings.AFTERCARE_MAX_IN_FLIGHT = 1000
    make_messages(300)
    claims: list[list[int]] = []

    def dispatcher():
        while batch := claim_due(send=lambda ids: None, now=NOW):
            claims.append(batch)

    run_together(dispatcher, threads=4)

    claimed = [pk for batch in claims for pk in batch]
    assert sorted(claimed) == sorted(Message.objects.values_list("pk", flat=True))
    assert len(claimed) == len(set(claimed)) == 300


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_one_message_send_it_once(inbox):
    """A redelivered task (or one queued again after a sweep) racing the first one."""
    messages = make_messages(20, status=Message.Status.SENDING, claimed_at=NOW)
    outcomes = []

    run_together(lambda: outcomes.extend(send_one(m.pk) for m in messages), threads=2)

    # Each saw it sent, by itself or the other, or in the other's hands (taken, being sent).
    assert set(outcomes) <= {Message.Status.SENT, Message.Status.SENDING}
    assert outcomes.count(Message.Status.SENT) >= 20
    assert inbox.outbox_counts() == {m.pk: 1 for m in messages}


def test_claims_are_handed_over_in_even_batches_oldest_first(
    db, settings, django_capture_on_commit_callbacks
):
    settings.AFTERCARE_BATCH_SIZE = 4
    older = make_messages(4, due_at=NOW - timedelta(minutes=5))
    newer = make_messages(6)
    queued = []

    with django_capture_on_commit_callbacks(execute=True):
        claimed = claim_due(send=queued.append, now=NOW)

    assert [len(batch) for batch in queued] == [3, 3, 4]  # not 4, 4, 2
    assert [pk for batch in queued for pk in batch] == claimed
    assert claimed == [m.pk for m in older + newer]


def test_when_the_broker_fails_midway_the_batches_not_queued_go_back(
    db, settings, django_capture_on_commit_callbacks
):
    settings.AFTERCARE_BATCH_SIZE = 2
    make_messages(6)
    queued = []

    def broker_fails_after_one(ids):
        if queued:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")
        queued.append(ids)

    with django_capture_on_commit_callbacks(execute=True):
        claim_due(send=broker_fails_after_one, now=NOW)

    [first] = queued
    assert set(
        Message.objects.filter(status=Message.Status.SENDING).values_list("pk", flat=True)
    ) == set(first)
    assert Message.objects.filter(status=Message.Status.PENDING, claimed_at=None).count() == 4


def test_a_claim_is_cut_so_every_sender_has_a_share(
    db, settings, django_capture_on_commit_callbacks
):
    """With a slow SMTP server, 40 messages in one batch would go out one by one from a
    single worker process while the others waited (issue 15: 0.2 messages a second)."""
    settings.AFTERCARE_BATCH_SIZE = 40
    settings.AFTERCARE_SENDERS = 4
    first = make_messages(40)
    queued = []

    with django_capture_on_commit_callbacks(execute=True):
        claim_due(send=queued.append, now=NOW)

    assert [len(batch) for batch in queued] == [10, 10, 10, 10]
    queued.clear()
    # Once those are sent, nothing is in flight (while they are, the senders have work and
    # a claim beside them is cut only by its part: the test after this one).
    Message.objects.filter(pk__in=[m.pk for m in first]).update(status=Message.Status.SENT)
    make_messages(2)  # fewer messages than senders: one each, no empty batches
    with django_capture_on_commit_callbacks(execute=True):
        claim_due(send=queued.append, now=NOW)
    assert [len(batch) for batch in queued] == [1, 1]


def test_a_claim_beside_messages_in_flight_is_cut_only_by_its_part(
    db, settings, django_capture_on_commit_callbacks
):
    """The senders already have the messages in flight: a draining backlog's follow-up claim
    (the room one finished batch freed) stays whole instead of being cut into four again."""
    settings.AFTERCARE_BATCH_SIZE = 40
    settings.AFTERCARE_SENDERS = 4
    settings.AFTERCARE_MAX_IN_FLIGHT = 200
    in_flight = make_messages(160, status=Message.Status.SENDING, claimed_at=NOW)
    make_messages(50)
    queued = []

    with django_capture_on_commit_callbacks(execute=True):
        claim_due(send=queued.append, now=NOW)

    assert [len(batch) for batch in queued] == [40]  # was 10, 10, 10, 10
    # Half of what is in flight: half the senders, batches no bigger than an even share.
    Message.objects.filter(pk__in=[m.pk for m in in_flight[:120]]).update(
        status=Message.Status.SENT
    )
    queued.clear()
    make_messages(30)
    with django_capture_on_commit_callbacks(execute=True):
        claim_due(send=queued.append, now=NOW)
    assert [len(batch) for batch in queued] == [20, 20]  # 40 + 40 in flight, 20 a sender


def test_a_small_claim_beside_a_smaller_flight_still_goes_to_every_sender(
    db, settings, django_capture_on_commit_callbacks
):
    """A slow server: three messages still being sent, 36 due (a batch's rest given back,
    say). Each sender gets its share, as issue 15 wants."""
    settings.AFTERCARE_BATCH_SIZE = 40
    settings.AFTERCARE_SENDERS = 4
    make_messages(3, status=Message.Status.SENDING, claimed_at=NOW, sending_started_at=NOW)
    make_messages(36)
    queued = []

    with django_capture_on_commit_callbacks(execute=True):
        claim_due(send=queued.append, now=NOW)

    assert [len(batch) for batch in queued] == [9, 9, 9, 9]


def test_a_steady_drain_keeps_whole_batches(db, settings, django_capture_on_commit_callbacks):
    """A backlog drained as the workers do it: each finished batch queues a dispatch, which
    claims the room it freed. Every batch is full; cutting each claim into one per sender
    made them 5 -> 2 -> 1 message (bench/README.md, 2026-12-01)."""
    settings.AFTERCARE_BATCH_SIZE = 5
    settings.AFTERCARE_SENDERS = 4
    settings.AFTERCARE_MAX_IN_FLIGHT = 25
    make_messages(100)
    queued: list[list[int]] = []
    sizes = []

    def dispatch():
        with django_capture_on_commit_callbacks(execute=True):
            claim_due(send=queued.append, now=NOW)

    dispatch()
    while queued:
        batch = queued.pop(0)
        sizes.append(len(batch))
        Message.objects.filter(pk__in=batch).update(status=Message.Status.SENT)
        dispatch()

    assert sum(sizes) == 100
    assert sizes == [5] * 20


def test_giving_back_leaves_a_message_already_taken_to_be_sent(db):
    [waiting] = make_messages(1, status=Message.Status.SENDING, claimed_at=NOW)
    [taken] = make_messages(
        1, status=Message.Status.SENDING, claimed_at=NOW, sending_started_at=NOW
    )

    assert give_back([waiting.pk, taken.pk]) == 1

    assert Message.objects.get(pk=waiting.pk).status == Message.Status.PENDING
    assert Message.objects.get(pk=taken.pk).status == Message.Status.SENDING
