"""Two clients accepting the same offered time at once, on PostgreSQL with real threads:
one booking, the other told it is gone. A control without the hold's row lock shows the
race is real: both read the hold as free, and the loser is never told cleanly that it is gone
(PostgreSQL's row locks end it in a deadlock, a 503, instead)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from bookings.models import Appointment
from diary import waitlist as service
from diary.services import appointment_cancel
from tests import factories
from tests.waitlist.conftest import START, make_waiting
from waitlist.models import FreedTime, Offer

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def offered_to_two(world, settings):
    settings.WAITLIST_OFFERS_PER_SLOT = 2
    waiting = make_waiting(world, names=("Ann", "Ben"))
    appointment_cancel(appointment=waiting.booked, by=factories.StaffFactory())
    offers = service.round_run(FreedTime.objects.get().pk)
    assert len(offers) == 2
    return offers


def accept_at_once(offers) -> list:
    barrier = threading.Barrier(len(offers), timeout=30)
    answers = [None] * len(offers)

    def one(n, offer):
        try:
            api = APIClient()
            api.force_authenticate(offer.entry.client.user)
            barrier.wait()
            url = f"/api/v1/me/waitlist/offers/{offer.pk}/accept/"
            answers[n] = api.post(url, {}, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n, o)) for n, o in enumerate(offers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_two_clients_accepting_at_once_one_booking_the_other_told(world, settings):
    offers = offered_to_two(world, settings)
    answers = accept_at_once(offers)

    assert sorted(a.status_code for a in answers) == [201, 409]
    lost = next(a for a in answers if a.status_code == 409).json()
    assert lost["code"] == "offer_gone" and "gone" in lost["detail"]
    won = next(a for a in answers if a.status_code == 201).json()
    booked = Appointment.objects.get(reference=won["reference"])
    assert booked.status == Appointment.Status.CONFIRMED and booked.start == START
    assert Appointment.objects.filter(start=START, status="confirmed").count() == 1
    statuses = sorted(Offer.objects.values_list("status", flat=True))
    assert statuses == [Offer.Status.ACCEPTED, Offer.Status.GONE]
    winner = Offer.objects.get(status=Offer.Status.ACCEPTED).entry.client
    assert booked.client == winner


def test_control_without_the_hold_lock_the_loser_is_not_told(world, settings, monkeypatch):
    offers = offered_to_two(world, settings)
    barrier = threading.Barrier(2, timeout=30)

    def unlocked(appointment):
        read = Appointment.objects.select_related("clinic", "treatment").get(pk=appointment.pk)
        barrier.wait()  # both have read the hold as HELD before either writes
        return read

    monkeypatch.setattr(service, "_locked", unlocked)
    answers = accept_at_once(offers)
    assert sorted(a.status_code for a in answers) != [201, 409]
    assert not any(a.status_code == 409 for a in answers)
