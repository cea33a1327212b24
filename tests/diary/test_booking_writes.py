"""A booking's writes on PostgreSQL: the appointment (its id drawn from its sequence with the
rules' reads), its history line and outbox rows sent with its holds as written-out INSERTs in
one round trip (bookings/db.py together); a hold's booking request with them. What they store
is what the ORM stores, the path every other database takes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange, BookingRequest
from diary import sql
from diary.services import appointment_book
from tests import factories
from tests.diary.test_concurrency import START

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the written-out path is PostgreSQL's"
)


AT_ONCE = (Message.Kind.CONFIRMATION, Message.Kind.HOLD)  # due when written (time frozen)


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
            m.due_at if m.kind in AT_ONCE else m.due_at - appointment.start,
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
    # The appointment, the history line and the outbox rows go in the holds' round trip.
    (together,) = [q["sql"] for q in queries if sql._HOLD.sent_in(q["sql"])]
    assert together.startswith('INSERT INTO "bookings_appointment" ("id", '), together
    assert '"bookings_appointmentchange"' in together and '"aftercare_message"' in together
    assert not [q for q in queries if q["sql"].startswith('INSERT INTO "aftercare_message"')]
    assert not [
        q["sql"]
        for q in queries
        if q["sql"] != together and q["sql"].startswith('INSERT INTO "bookings_appointment')
    ]


def _rival_takes_the_room(world, monkeypatch, module, *, online: bool, now) -> tuple:
    """The diary as it was before a rival won the room at START (who is free then, patched
    into `module`'s free_practitioners), and the rival's appointment, which keeps the room
    but not the practitioner; the first attempt picks the rival's room, as a race would.
    Returns the rival and the picks not made yet."""
    from diary import reservation
    from diary.reservation import SlotRequest

    request = SlotRequest(treatment=world.treatment, start=START, online=online, now=now)
    candidates = reservation.free_practitioners(request)
    first = appointment_book(
        treatment=world.treatment, start=START, client=factories.ClientFactory(clinic=world.clinic)
    ).appointment
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.CANCELLED)
    picks = iter([[first.resource_holds.get().resource_id]])
    real = reservation.reserve
    monkeypatch.setattr(module, "free_practitioners", lambda request, diary=None: candidates)
    monkeypatch.setattr(reservation, "reserve", lambda *args: next(picks, None) or real(*args))
    return first, picks


def test_a_room_taken_at_the_constraint_rolls_back_the_gathered_writes(world, monkeypatch):
    """The holds' exclusion constraint refuses the last statement of the round trip: the
    appointment, history line and outbox rows sent before it go with the attempt's
    savepoint, and the attempt is tried again with a fresh read (which finds the room
    taken)."""
    from diary import services
    from diary.errors import SlotUnavailable

    first, picks = _rival_takes_the_room(world, monkeypatch, services, online=False, now=START)

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


def _held(appointment: Appointment) -> dict:
    """What a hold wrote: as _stored, with its booking request."""
    stored = _stored(appointment)
    wish = BookingRequest.objects.values().get(appointment=appointment)
    for name in ("id", "appointment_id"):
        wish.pop(name)
    assert wish.pop("created_at") is not None
    return stored | {"request": wish}


def test_a_holds_written_out_inserts_store_what_the_orm_stores(world, monkeypatch):
    from diary.holds import Contact, appointment_hold

    def hold(start):
        return appointment_hold(
            treatment=world.treatment,
            start=start,
            contact=Contact(name=" Dana Client ", email=" dana@example.com", sms_opt_in=True),
        )

    with CaptureQueriesContext(connection) as queries:
        written_out = hold(START)
    with monkeypatch.context() as patch:
        patch.setattr("bookings.db.is_postgresql", lambda: False)
        patch.setattr("diary.holds.is_postgresql", lambda: False)
        patch.setattr("diary.services.is_postgresql", lambda: False)
        orm = hold(START + timedelta(days=1))

    assert _held(written_out.appointment) == _held(orm.appointment)
    assert written_out.appointment.status == Appointment.Status.HELD
    assert written_out.appointment.booking_request.email == "dana@example.com"
    assert written_out.appointment.pk and not written_out.appointment._state.adding
    # One round trip writes it all: the appointment, its request, history line, outbox row
    # and holds.
    (together,) = [q["sql"] for q in queries if "INSERT" in q["sql"]]
    assert together.startswith('INSERT INTO "bookings_appointment" ("id", '), together
    for table in ("bookings_bookingrequest", "bookings_appointmentchange", "aftercare_message"):
        assert f'INSERT INTO "{table}"' in together, together
    assert sql._HOLD.sent_in(together), together


def test_a_hold_that_loses_its_room_at_the_constraint_writes_nothing(world, monkeypatch):
    """As a booking's: the room taken refuses the round trip's last statement, and the
    appointment, its request, history line and outbox row go with the attempt's savepoint."""
    from diary import holds
    from diary.errors import SlotUnavailable
    from diary.holds import Contact, appointment_hold

    now = START - timedelta(days=1)  # the online booking window's notice is met
    first, picks = _rival_takes_the_room(world, monkeypatch, holds, online=True, now=now)

    with pytest.raises(SlotUnavailable):
        appointment_hold(
            treatment=world.treatment,
            start=START,
            contact=Contact(name="Dana Client", email="dana@example.com"),
            now=now,
        )
    assert next(picks, "spent") == "spent"
    assert Appointment.objects.count() == 1
    assert not BookingRequest.objects.exists()
    assert AppointmentChange.objects.count() == 1
    assert not Message.objects.exclude(appointment=first).exists()
