"""Idempotency-Key on POST /api/v1/appointments/: a retry gets the same booking."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from bookings.models import Appointment
from tests.helpers import as_owner

BODY = {
    "treatment": "manual-facial-massage",
    "start": "2027-03-02T10:00:00+00:00",
    "client": {"name": "Dana Client", "email": "dana@example.com"},
}


def post(api, body=BODY, key="key-1"):
    return as_owner(api, body).post(
        "/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retry_with_the_same_key_returns_the_same_booking(world, api):
    first = post(api)
    again = post(api)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["manage_token"] == first.json()["manage_token"]
    assert Appointment.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(world, api):
    assert post(api).status_code == 201
    other = post(api, {**BODY, "start": "2027-03-02T12:00:00+00:00"})
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Appointment.objects.count() == 1


def test_a_failed_booking_does_not_use_up_the_key(world, api):
    post(api, key="taken")  # books 10:00
    refused = post(api, {**BODY, "client": {"name": "Eve", "email": "eve@example.com"}}, key="k2")
    assert refused.status_code == 409 and refused.json()["code"] == "slot_unavailable"
    retry = post(api, {**BODY, "start": "2027-03-02T12:00:00+00:00"}, key="k2")
    assert retry.status_code == 201


def test_a_key_expires_after_a_day(world, api, frozen_now):
    assert post(api).status_code == 201
    with time_machine.travel(frozen_now + timedelta(hours=25), tick=False):
        # A day later the same key is free again: this is a new request (here, a clash).
        assert post(api).json()["code"] == "slot_unavailable"


def test_a_malformed_key_is_a_clean_400(world, api):
    answer = post(api, key="x" * 500)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_input"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_one_booking(world):
    barrier = threading.Barrier(5, timeout=30)
    answers = []

    def one():
        try:
            api = APIClient()
            barrier.wait()
            answers.append(post(api, key="same-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({a.json()["reference"] for a in answers}) == 1
    assert Appointment.objects.count() == 1
