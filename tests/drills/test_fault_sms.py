"""Fault drill for text messages: Twilio (the fake on loopback, tests/fake_twilio.py) answers
every send with 503 for a minute while a real Celery worker, driving the real `twilio`
library, works through 12 planned SMS reminders. Nothing may be lost and nothing sent twice:
once Twilio is back, each number gets its text exactly once, by the outbox's own retries with
backoff. Bounded: at most about three minutes, loopback only."""

import time
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
from django.utils import timezone

from aftercare.models import Message
from aftercare.planning import appointment_key, plan_sms
from aftercare.services import sms_opt_in
from clinic.models import SmsConsentSource
from diary.services import appointment_book
from tests import factories, fake_twilio
from tests.conftest import make_world

pytestmark = [pytest.mark.drill, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 60
TEXTS = 12


@pytest.fixture(scope="module")
def worker_settings():
    # Retries after 5, 10, 20, 40 s...: the fifth try, 75 s in, is past the outage.
    return {
        "AFTERCARE_DISPATCH_SECONDS": "1",
        "AFTERCARE_SWEEP_SECONDS": "2",
        "AFTERCARE_CLAIM_TIMEOUT": "60",
        "AFTERCARE_RETRY_SECONDS": "5",
        "AFTERCARE_MAX_ATTEMPTS": "7",
        "AFTERCARE_MAX_IN_FLIGHT": "50",
        "TWILIO_TIMEOUT": "5",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture(scope="module")
def worker_env(worker_env, twilio_server):
    return {
        **worker_env,
        "TWILIO_ACCOUNT_SID": fake_twilio.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": fake_twilio.AUTH_TOKEN,
        "TWILIO_FROM": fake_twilio.FROM,
        "TWILIO_API_BASE_URL": twilio_server.base_url,
    }


def planned_texts(world) -> list[Message]:
    """TEXTS reminders by SMS, each to its own number, due now (plan_sms, as a waitlist or a
    late agreement would plan one), for appointments a few days ahead."""
    tz = world.clinic.tzinfo
    first_day = timezone.localdate(timezone=tz) + timedelta(days=3)
    ids = []
    for n in range(TEXTS):
        day = first_day + timedelta(days=n // 6)
        client = factories.ClientFactory(clinic=world.clinic, phone=f"+4479111234{n:02d}")
        sms_opt_in(client=client, source=SmsConsentSource.STAFF)
        client.refresh_from_db()
        appointment = appointment_book(
            treatment=world.treatment,
            start=datetime.combine(day, clock(10 + n % 6), tzinfo=tz),
            client=client,
        ).appointment
        key = appointment_key(appointment, Message.Kind.REMINDER, "drill")
        assert plan_sms(
            client=client,
            kind=Message.Kind.REMINDER,
            key=key,
            appointment=appointment,
            data={"start": appointment.start.isoformat()},
        )
        ids.append(Message.objects.get(key=f"{key}:sms").pk)
    return list(Message.objects.filter(pk__in=ids))


def test_twilio_down_for_a_minute_loses_no_text_and_sends_none_twice(twilio, worker, drill_report):
    world = make_world()
    twilio.fail_for(OUTAGE_SECONDS)
    outage_started = time.monotonic()
    texts = planned_texts(world)
    numbers = {text.client.phone for text in texts}
    ids = [text.pk for text in texts]

    unsettled = Message.objects.filter(
        pk__in=ids, status__in=[Message.Status.PENDING, Message.Status.SENDING]
    )
    deadline = time.monotonic() + OUTAGE_SECONDS + 120
    while unsettled.exists() and time.monotonic() < deadline:
        time.sleep(1)
    took = time.monotonic() - outage_started
    time.sleep(3)  # a dispatcher tick or two more: a duplicate would show by now

    counts = twilio.counts_by_number()
    rows = Message.objects.filter(pk__in=ids)
    found = {
        "expected": len(ids),
        "sent": sum(1 for number in numbers if counts[number]),
        "lost": sum(1 for number in numbers if not counts[number]),
        "duplicated": sum(counts[number] - 1 for number in numbers if counts[number] > 1),
        "refused during the outage": twilio.failed_requests,
        "failed": rows.filter(status=Message.Status.FAILED).count(),
        "stuck": rows.filter(status__in=[Message.Status.PENDING, Message.Status.SENDING]).count(),
    }
    drill_report(
        f"Twilio 503 for {OUTAGE_SECONDS} s: "
        + ", ".join(f"{key} {value}" for key, value in found.items())
        + f", seconds {round(took)}"
    )
    assert found == {
        **found,
        "sent": TEXTS,
        "lost": 0,
        "duplicated": 0,
        "failed": 0,
        "stuck": 0,
    }
    assert found["refused during the outage"] >= TEXTS  # the outage was real
    assert set(rows.values_list("status", flat=True)) == {Message.Status.SENT}
    assert all(attempts > 1 for attempts in rows.values_list("attempts", flat=True))
    assert set(counts) == numbers  # nothing to any other number
