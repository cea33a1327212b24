"""How far a send got decides what a failure means (issue 15): a reply to the end of DATA
that never comes is "maybe delivered", never sent again; the soft time limit arriving
mid-send records the message in hand and gives the rest back uncounted; a database error
mid-batch gives the rest back at once, uncounted. Against a slow SMTP server on loopback
(tests/slow_smtp.py); the database faults are injected with Django's execute_wrapper."""

import signal
from contextlib import contextmanager

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connection
from django.utils import timezone

from aftercare.models import Message
from sending.delivery import messages_send
from tests.aftercare.test_outbox import make_messages


@pytest.fixture
def slow(slow_smtp, settings):
    """The slow server, its delays cleared, with Django's SMTP backend pointed at it and a
    one-second EMAIL_TIMEOUT."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = slow_smtp.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 1
    slow_smtp.clear()
    yield slow_smtp
    slow_smtp.clear()


def claimed(count: int) -> list[int]:
    now = timezone.now()
    messages = make_messages(count, due_at=now, status=Message.Status.SENDING, claimed_at=now)
    return [message.pk for message in messages]


def rows(ids) -> list[tuple]:
    by_pk = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    return [(by_pk[pk].status, by_pk[pk].attempts) for pk in ids]


@contextmanager
def soft_time_limit_after(seconds: float):
    """Raise SoftTimeLimitExceeded in this thread after `seconds`, wherever it is, as
    Celery's pool does when a task passes its soft time limit."""

    def expire(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_no_reply_to_the_end_of_data_is_sent_unconfirmed_and_never_again(db, slow):
    slow.delays = {"end_of_data": 2}  # the message is kept; the reply comes after the timeout
    [pk] = claimed(1)

    assert messages_send(message_ids=[pk]) == {pk: Message.Status.SENT}
    assert messages_send(message_ids=[pk]) == {pk: Message.Status.SENT}

    message = Message.objects.get(pk=pk)
    assert (message.attempts, message.sent_at is not None) == (1, True)
    assert message.last_error.startswith("Unconfirmed: the whole message went to the SMTP")
    assert "timed out" in message.last_error
    assert slow.outbox_counts() == {pk: 1}


def test_a_timeout_before_the_message_went_is_an_ordinary_retry(db, slow):
    slow.delays = {"data": 2}  # the 354 to DATA comes too late: nothing was transmitted
    [pk] = claimed(1)

    assert messages_send(message_ids=[pk]) == {pk: Message.Status.PENDING}

    message = Message.objects.get(pk=pk)
    assert message.attempts == 1
    assert "timed out" in message.last_error
    assert not message.last_error.startswith("Unconfirmed")
    assert slow.outbox_counts() == {}


@pytest.mark.django_db(transaction=True)
def test_the_soft_time_limit_during_the_end_of_data_keeps_the_message_sent(slow, settings):
    settings.EMAIL_TIMEOUT = 10
    slow.delays = {"end_of_data": 3}
    ids = claimed(3)

    with soft_time_limit_after(1.5):
        outcomes = messages_send(message_ids=ids)

    first, *rest = ids
    assert outcomes == {first: Message.Status.SENT, **dict.fromkeys(rest, Message.Status.PENDING)}
    assert Message.objects.get(pk=first).last_error.startswith("Unconfirmed")
    assert rows(rest) == [(Message.Status.PENDING, 0)] * 2  # given back, uncounted
    assert slow.outbox_counts() == {first: 1}


@pytest.mark.django_db(transaction=True)
def test_the_soft_time_limit_before_the_end_of_data_means_a_retry(slow, settings):
    settings.EMAIL_TIMEOUT = 10
    slow.delays = {"rcpt": 3}
    ids = claimed(3)

    with soft_time_limit_after(1.5):
        outcomes = messages_send(message_ids=ids)

    assert set(outcomes.values()) == {Message.Status.PENDING}
    assert rows(ids) == [(Message.Status.PENDING, 1)] + [(Message.Status.PENDING, 0)] * 2
    assert Message.objects.get(pk=ids[0]).last_error.startswith("SoftTimeLimitExceeded")
    assert slow.outbox_counts() == {}


@contextmanager
def failing(*, first_statement_for: int, containing: str):
    """The first statement about message `first_statement_for` alone (by its id) whose SQL
    contains `containing` fails, as one does on a lost connection."""
    failed = []

    def wrapper(execute, sql, params, many, context):
        if (
            not failed
            and "aftercare_message" in sql
            and "WHERE id = %s" in sql
            and containing in sql
            and first_statement_for in (params or ())
        ):
            failed.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield failed


@pytest.mark.django_db(transaction=True)
def test_a_database_error_before_a_send_gives_the_rest_back_uncounted(slow):
    ids = claimed(4)

    with failing(first_statement_for=ids[2], containing="") as failed:
        outcomes = messages_send(message_ids=ids)

    assert failed
    assert list(outcomes.values()) == [Message.Status.SENT] * 2 + [Message.Status.PENDING] * 2
    assert rows(ids[2:]) == [(Message.Status.PENDING, 0)] * 2
    assert set(
        Message.objects.filter(pk__in=ids[2:]).values_list("claimed_at", "sending_started_at")
    ) == {(None, None)}
    assert slow.outbox_counts() == dict.fromkeys(ids[:2], 1)


@pytest.mark.django_db(transaction=True)
def test_a_database_error_recording_an_outcome_writes_it_again(slow):
    ids = claimed(3)

    with failing(first_statement_for=ids[1], containing="SET status") as failed:
        outcomes = messages_send(message_ids=ids)

    assert failed
    assert outcomes == dict.fromkeys(ids, Message.Status.SENT)
    assert rows(ids) == [(Message.Status.SENT, 1)] * 3
    assert slow.outbox_counts() == dict.fromkeys(ids, 1)


@pytest.mark.django_db(transaction=True)
def test_a_database_error_after_taking_a_message_gives_it_back_uncounted(slow):
    """The connection goes between the take and the SMTP server: the message was never
    handed over, so it goes back with the rest, uncounted, not left for the sweeper."""
    ids = claimed(3)
    taken = []

    def wrapper(execute, sql, params, many, context):
        if len(taken) == 1:  # the statement after the second message's take
            taken.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        result = execute(sql, params, many, context)
        if "WHERE id = %s" in sql and ids[1] in (params or ()) and not taken:
            taken.append(sql)
        return result

    with connection.execute_wrapper(wrapper):
        outcomes = messages_send(message_ids=ids)

    assert len(taken) == 2
    assert list(outcomes.values()) == [Message.Status.SENT] + [Message.Status.PENDING] * 2
    assert rows(ids[1:]) == [(Message.Status.PENDING, 0)] * 2
    assert set(
        Message.objects.filter(pk__in=ids[1:]).values_list("claimed_at", "sending_started_at")
    ) == {(None, None)}
    assert slow.outbox_counts() == {ids[0]: 1}
