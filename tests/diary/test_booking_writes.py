"""A booking's writes on PostgreSQL: the appointment as a written-out INSERT, then its history
line and outbox rows sent with its holds in one round trip (bookings/db.py together). What
they store is what the ORM stores, the path every other database takes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from diary.services import appointment_book
from tests import factories
from tests.diary.test_concurrency import START

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the written-out path is PostgreSQL's"
)


def _stored(appointment: Appointment) -> dict:
    """What a booking wrote, without what differs between any two bookings (ids, the
    reference, the instants of writing, the start)."""
    fields = Appointment.objects.values().get(pk=appointment.pk)
    for name in ("id", "reference", "start", "end", "blocked_until", "client_id"):
        fields.pop(name)
    for name in ("created_at", "updated_at"):
        assert fields.pop(name) is not None
    (change,) = AppointmentChange.objects.filter(appointment=appointment).values()
    for name in ("id", "appointment_id", "at", "to_start"):
        change.pop(name)
    messages = [
        (
            m.kind,
            m.channel,
            m.status,
            m.key.replace(str(appointment.pk), "ID"),
            m.due_at if m.kind == Message.Kind.CONFIRMATION else m.due_at - appointment.start,
            {k: v for k, v in m.data.items() if k != "start"},
        )
        for m in Message.objects.filter(appointment=appointment).order_by("kind")
    ]
    holds = list(appointment.resource_holds.values_list("resource_id", "active"))
    return {"appointment": fields, "change": change, "messages": messages, "holds": holds}


def test_a_bookings_written_out_inserts_store_what_the_orm_stores(world, monkeypatch):
    staff = factories.StaffFactory(username="frontdesk")

    def book(start):
        client = factories.ClientFactory(clinic=world.clinic)
        return appointment_book(
            treatment=world.treatment, start=start, client=client, by=staff, notes="Left side"
        )

    with CaptureQueriesContext(connection) as queries:
        written_out = book(START)
    with monkeypatch.context() as patch:
        patch.setattr("bookings.db.is_postgresql", lambda: False)
        patch.setattr("diary.services.is_postgresql", lambda: False)
        orm = book(START + timedelta(days=1))

    assert _stored(written_out.appointment) == _stored(orm.appointment)
    assert written_out.resources == orm.resources == ("Room 1",)
    assert Message.objects.filter(appointment=written_out.appointment).count() >= 2
    assert written_out.appointment.pk and not written_out.appointment._state.adding
    # The history line and the outbox rows go in the holds' round trip.
    (together,) = [
        q["sql"] for q in queries if "INSERT INTO bookings_appointmentresource" in q["sql"]
    ]
    assert '"bookings_appointmentchange"' in together and '"aftercare_message"' in together
    assert not [q for q in queries if q["sql"].startswith('INSERT INTO "aftercare_message"')]


def test_a_room_taken_at_the_constraint_rolls_back_the_gathered_writes(world, monkeypatch):
    """The holds' exclusion constraint refuses the last statement of the round trip: the
    history line and outbox rows sent before it go with the attempt's savepoint, and the
    attempt is tried again with a fresh read (which finds the room taken)."""
    from diary import reservation, services
    from diary.errors import SlotUnavailable
    from diary.reservation import SlotRequest

    # Who is free at START while the room still is: what the diary said before a rival won.
    request = SlotRequest(treatment=world.treatment, start=START, online=False, now=START)
    candidates = reservation.free_practitioners(request)
    first = appointment_book(
        treatment=world.treatment, start=START, client=factories.ClientFactory(clinic=world.clinic)
    ).appointment
    # The rival keeps the room but not the practitioner.
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.CANCELLED)
    room = first.resource_holds.get().resource_id
    picks = iter([[room]])  # the first attempt picks the rival's room, as a race would
    real = reservation.reserve
    monkeypatch.setattr(services, "free_practitioners", lambda request: candidates)
    monkeypatch.setattr(reservation, "reserve", lambda *args: next(picks, None) or real(*args))

    with pytest.raises(SlotUnavailable):
        appointment_book(
            treatment=world.treatment,
            start=START,
            client=factories.ClientFactory(clinic=world.clinic),
        )
    assert next(picks, "spent") == "spent"
    assert Appointment.objects.count() == 1
    assert AppointmentChange.objects.count() == 1
    assert not Message.objects.exclude(appointment=first).exists()
