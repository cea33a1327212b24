"""Fault drills for the outbox, against real services on loopback: a Celery worker killed with
SIGKILL in the middle of sending, Redis restarted while clients book and messages flow, the
SMTP server down for a minute. Afterwards every message has been delivered; duplicates are
counted and reported.

These take a minute or two each; they are marked `drill` and run by `make drills` (and
`.ci/run`, after `make test`). Their figures go to the drills summary at the end of the run.
"""

import os
import signal
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from tests import factories
from tests.aftercare.test_broker_restart import wait_sent
from tests.aftercare.test_outbox import make_messages
from tests.conftest import open_every_day, works_every_day
from tests.helpers import as_owner
from tests.loopback import wait_until

pytestmark = [pytest.mark.drill, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

WORKER_CONCURRENCY = 2


@pytest.fixture(scope="module")
def worker_settings():
    """Production's retry schedule shortened twelvefold (5 s, 10 s, 20 s, 40 s...), still
    longer than a one-minute SMTP outage; lost claims come back after 8 s."""
    return {
        "AFTERCARE_DISPATCH_SECONDS": "1",
        "AFTERCARE_SWEEP_SECONDS": "1",
        "AFTERCARE_CLAIM_TIMEOUT": "8",
        "AFTERCARE_RETRY_SECONDS": "5",
        "AFTERCARE_MAX_ATTEMPTS": "6",
        "AFTERCARE_MAX_IN_FLIGHT": "50",
        "EMAIL_TIMEOUT": "5",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
def inbox(smtp_server):
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


def wait_all_sent(messages, *, timeout: float, workers=()):
    wait_sent([m.pk for m in messages], workers=workers, timeout=timeout, interval=0.5)


def settle(private_redis):
    """Nothing claimed or queued, then a dispatcher tick more: a duplicate would show by then."""
    wait_until(
        lambda: (
            not Message.objects.filter(status=Message.Status.SENDING).exists()
            and private_redis.queue_length() == 0
        ),
        timeout=60,
        what="the outbox and the queue to be idle",
    )
    time.sleep(2)


def tally(inbox, messages) -> tuple[int, int, int]:
    """(sent, lost, duplicated) at the SMTP server for these outbox rows."""
    counts = inbox.outbox_counts()
    arrived = [counts.get(m.pk, 0) for m in messages]
    return (
        sum(1 for n in arrived if n),
        sum(1 for n in arrived if n == 0),
        sum(n - 1 for n in arrived if n > 1),
    )


def test_a_worker_killed_mid_send_loses_nothing(inbox, private_redis, start_worker, drill_report):
    victim = start_worker("victim")
    messages = make_messages(200, due_at=timezone.now())
    wait_until(lambda: len(inbox.messages) >= 40, timeout=60, what="sending to be under way")

    os.killpg(victim.process.popen.pid, signal.SIGKILL)  # worker, pool and beat, no goodbye
    victim.process.popen.wait(timeout=10)
    at_kill = len(inbox.messages)
    rescuer = start_worker("rescuer")
    wait_all_sent(messages, timeout=180, workers=[rescuer])
    settle(private_redis)

    sent, lost, duplicated = tally(inbox, messages)
    drill_report(
        f"worker SIGKILL after {at_kill} of 200 sends: messages expected 200, sent {sent}, "
        f"lost {lost}, duplicated {duplicated}"
    )
    assert (sent, lost) == (200, 0)
    # A send that reached the SMTP server just before the kill, with its row not yet marked,
    # is sent again once its claim times out: at most one per worker process.
    assert duplicated <= WORKER_CONCURRENCY


@pytest.fixture
def clinic_now(db):
    """A clinic open all day every day, with two practitioners and a 30-minute treatment."""
    clinic = factories.ClinicFactory(slug="drill", email="desk@drill.example.com")
    open_every_day(clinic, opens=clock(0), closes=clock(23, 59))
    treatment = factories.TreatmentFactory(clinic=clinic, slug="drill-facial", duration_minutes=30)
    for name in ("Amelia", "Sofia"):
        practitioner = factories.PractitionerFactory(
            clinic=clinic, name=name, treatments=[treatment]
        )
        works_every_day(practitioner, starts=clock(0), ends=clock(23, 59))
    return clinic, treatment


def test_redis_restarted_while_clients_book_and_messages_flow(
    inbox, private_redis, start_worker, clinic_now, drill_report, settings
):
    settings.API_THROTTLE_RATES = dict.fromkeys(settings.API_THROTTLE_RATES)
    clinic, treatment = clinic_now
    steady = start_worker("steady")
    first_day = timezone.localdate(timezone=clinic.tzinfo) + timedelta(days=2)
    starts = [
        datetime.combine(first_day + timedelta(days=n // 20), clock(8), clinic.tzinfo)
        + timedelta(minutes=30 * (n % 20))
        for n in range(40)
    ]
    answers: list[int] = []

    def book_all():
        try:
            for n, start in enumerate(starts):
                body = {
                    "treatment": treatment.slug,
                    "start": start.isoformat(),
                    "client": {"name": f"Client {n}", "email": f"client{n}@example.com"},
                }
                # Each client signed in, so each booking is made (and confirmed by email).
                api = as_owner(APIClient(), body)
                response = api.post("/api/v1/appointments/", body, format="json")
                answers.append(response.status_code)
                time.sleep(0.1)
        finally:
            connection.close()

    booking = threading.Thread(target=book_all)
    booking.start()
    wait_until(lambda: len(answers) >= 8, timeout=60, what="the first bookings")
    private_redis.stop()  # the queue and everything in it are gone: no persistence
    time.sleep(3)
    private_redis.start()
    booking.join(timeout=120)
    confirmations = list(Message.objects.filter(kind=Message.Kind.CONFIRMATION))
    # Measured on a loaded machine (2 cores, load 5-7): the worker reconnects about 3 s after
    # Redis is back (Celery retries after 2 s, then 4 s), and the last confirmation is sent
    # 6-10 s after Redis went, 1-3 s after the last booking; the bound leaves room for a
    # machine ten times slower. A run that times out is not slowness: a worker that died
    # fails at once (its log says why).
    wait_all_sent(confirmations, timeout=120, workers=[steady])
    settle(private_redis)

    stored = Appointment.objects.count()
    half_written = (
        Appointment.objects.exclude(messages__kind=Message.Kind.CONFIRMATION).count()
        + Appointment.objects.exclude(changes__action=AppointmentChange.Action.BOOKED).count()
    )
    sent, lost, duplicated = tally(inbox, confirmations)
    server_errors = sum(status >= 500 for status in answers)
    drill_report(
        f"Redis restarted during {len(starts)} bookings: bookings attempted {len(answers)}, "
        f"stored {stored}, half-written {half_written}, 5xx {server_errors}; confirmations "
        f"expected {len(confirmations)}, sent {sent}, lost {lost}, duplicated {duplicated}"
    )
    assert answers == [201] * len(starts)
    assert (stored, half_written) == (len(starts), 0)
    assert (sent, lost, duplicated) == (len(starts), 0, 0)


def test_the_smtp_server_down_for_a_minute_delays_but_loses_nothing(
    inbox, private_redis, start_worker, drill_report
):
    patient = start_worker("patient")
    inbox.go_down()
    went_down = time.monotonic()
    try:
        messages = make_messages(30, due_at=timezone.now())
        wait_until(
            lambda: Message.objects.filter(attempts__gte=2).count() == 30,
            timeout=60,
            what="every message to have failed twice",
        )
        time.sleep(max(0.0, went_down + 60 - time.monotonic()))  # down for a minute in all
    finally:
        inbox.come_back()
    wait_all_sent(messages, timeout=120, workers=[patient])
    settle(private_redis)

    sent, lost, duplicated = tally(inbox, messages)
    tries = sorted(
        Message.objects.filter(pk__in=[m.pk for m in messages]).values_list("attempts", flat=True)
    )
    drill_report(
        f"SMTP server down for a minute: messages expected 30, sent {sent}, lost {lost}, "
        f"duplicated {duplicated}, failed for good 0; attempts per message {tries[0]}-{tries[-1]}"
    )
    assert (sent, lost, duplicated) == (30, 0, 0)
    assert not Message.objects.filter(status=Message.Status.FAILED).exists()
