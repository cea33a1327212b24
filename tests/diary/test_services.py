"""The booking services: book, reschedule, cancel, complete, no-show, and their records."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.models import Appointment, AppointmentChange, AppointmentResource
from diary.errors import InvalidTransition, SlotUnavailable, TooLateToCancel
from diary.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
)
from tests import factories
from tests.conftest import works_every_day

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)


def london(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def alice(world):
    return factories.ClientFactory(clinic=world.clinic, name="Alice Client")


@pytest.fixture
def desk(db):
    return factories.StaffFactory(username="desk")


def test_booking_stores_the_appointment_its_room_and_a_record(world, alice):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    assert appointment.status == Appointment.Status.CONFIRMED
    assert appointment.channel == Appointment.Channel.ONLINE
    assert appointment.end - appointment.start == timedelta(minutes=60)
    assert appointment.practitioner == world.practitioner
    assert len(appointment.reference) == 8
    assert list(appointment.resources.all()) == [world.room]
    [change] = appointment.changes.all()
    assert change.action == AppointmentChange.Action.BOOKED
    assert change.to_status == Appointment.Status.CONFIRMED


def test_staff_bookings_are_marked_and_attributed(world, alice, desk):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice, by=desk
    ).appointment
    assert appointment.channel == Appointment.Channel.STAFF
    assert appointment.created_by == desk
    assert appointment.changes.get().by == desk


def test_a_staff_account_in_no_role_books_as_the_public_does(world, alice):
    """Staff means staff in a role (access.is_staff): an account with the flag and no role
    gets no short notice and its bookings are online ones."""
    norole = factories.StaffFactory(username="norole", roles=[])
    soon = london(date(2027, 3, 1), 9)  # NOW is 08:00 London, notice is two hours
    with pytest.raises(SlotUnavailable):
        appointment_book(treatment=world.treatment, start=soon, client=alice, by=norole)

    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice, by=norole
    ).appointment
    assert appointment.channel == Appointment.Channel.ONLINE
    assert appointment.changes.get().channel == Appointment.Channel.ONLINE


def test_booking_a_taken_time_offers_alternatives(world, alice):
    appointment_book(treatment=world.treatment, start=london(TUESDAY, 10), client=alice)
    with pytest.raises(SlotUnavailable) as refusal:
        appointment_book(treatment=world.treatment, start=london(TUESDAY, 10, 30), client=alice)
    alternatives = refusal.value.alternatives
    assert alternatives
    taken = (london(TUESDAY, 10), london(TUESDAY, 11))
    assert all(slot.end <= taken[0] or slot.start >= taken[1] for slot in alternatives)
    assert london(TUESDAY, 11) in [slot.start for slot in alternatives]  # the nearest
    assert [slot.start for slot in alternatives] == sorted(slot.start for slot in alternatives)


def test_online_bookings_respect_minimum_notice_but_staff_may_book_sooner(world, alice, desk):
    soon = london(date(2027, 3, 1), 9)  # NOW is 08:00 London, notice is two hours
    with pytest.raises(SlotUnavailable):
        appointment_book(treatment=world.treatment, start=soon, client=alice)
    assert appointment_book(
        treatment=world.treatment, start=soon, client=alice, by=desk
    ).appointment


def test_cancel_frees_the_time_and_records_who(world, alice, desk):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    appointment_cancel(appointment=appointment, by=desk, reason="Client phoned")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert not AppointmentResource.objects.filter(appointment=appointment, active=True).exists()
    change = appointment.changes.last()
    assert (change.action, change.by, change.reason) == ("cancelled", desk, "Client phoned")
    assert (change.from_status, change.to_status) == ("confirmed", "cancelled")
    # The time is free for someone else now.
    assert appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment


def test_clients_cannot_cancel_inside_the_window_but_staff_can(world, alice, desk):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    with time_machine.travel(london(TUESDAY, 9) - timedelta(hours=20), tick=False):
        with pytest.raises(TooLateToCancel) as refusal:
            appointment_cancel(appointment=appointment)
        assert "020 7946 0000" in refusal.value.detail
        appointment_cancel(appointment=appointment, by=desk)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_a_cancelled_appointment_cannot_be_cancelled_again(world, alice):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    appointment_cancel(appointment=appointment)
    with pytest.raises(InvalidTransition):
        appointment_cancel(appointment=appointment)


def test_reschedule_moves_time_room_and_records_both_times(world, alice):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    moved = appointment_reschedule(appointment=appointment, start=london(TUESDAY, 15)).appointment
    assert moved.start == london(TUESDAY, 15)
    assert moved.end == london(TUESDAY, 16)
    hold = AppointmentResource.objects.get(appointment=appointment)
    assert hold.start == london(TUESDAY, 15)
    change = moved.changes.last()
    assert change.action == "rescheduled"
    assert (change.from_start, change.to_start) == (london(TUESDAY, 10), london(TUESDAY, 15))
    # Old time is free, the new one taken.
    assert appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    with pytest.raises(SlotUnavailable):
        appointment_book(treatment=world.treatment, start=london(TUESDAY, 15), client=alice)


def test_reschedule_may_overlap_its_own_old_time(world, alice):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    moved = appointment_reschedule(
        appointment=appointment, start=london(TUESDAY, 10, 30)
    ).appointment
    assert moved.start == london(TUESDAY, 10, 30)


def test_reschedule_keeps_a_chosen_practitioner(world, alice):
    bob = factories.PractitionerFactory(clinic=world.clinic, treatments=[world.treatment])
    works_every_day(bob)
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind)
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice, practitioner=bob
    ).appointment
    blocker = factories.ClientFactory(clinic=world.clinic)
    appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 15), client=blocker, practitioner=bob
    )
    with pytest.raises(SlotUnavailable):  # Alice chose Bob: no silent switch to another
        appointment_reschedule(appointment=appointment, start=london(TUESDAY, 15))


def test_reschedule_into_a_taken_time_changes_nothing(world, alice):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    appointment_book(treatment=world.treatment, start=london(TUESDAY, 14), client=alice)
    with pytest.raises(SlotUnavailable) as refusal:
        appointment_reschedule(appointment=appointment, start=london(TUESDAY, 14))
    assert refusal.value.alternatives
    appointment.refresh_from_db()
    assert appointment.start == london(TUESDAY, 10)
    assert AppointmentResource.objects.get(appointment=appointment).start == london(TUESDAY, 10)


def test_complete_and_no_show_only_once_started(world, alice, desk):
    first = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=alice
    ).appointment
    second = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 12), client=alice
    ).appointment
    with pytest.raises(InvalidTransition):
        appointment_complete(appointment=first, by=desk)
    with time_machine.travel(london(TUESDAY, 13), tick=False):
        assert (
            appointment_complete(appointment=first, by=desk).status == Appointment.Status.COMPLETED
        )
        assert (
            appointment_mark_no_show(appointment=second, by=desk).status
            == Appointment.Status.NO_SHOW
        )
        with pytest.raises(InvalidTransition):
            appointment_cancel(appointment=first, by=desk)
    assert [c.action for c in first.changes.all()] == ["booked", "completed"]
    assert [c.action for c in second.changes.all()] == ["booked", "no_show"]
