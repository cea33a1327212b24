"""What the emails about a booking tell the client: that a moved booking moved (from when to
when, with whom), never a second "Booked"; and, in every one of them, the link to the
booking's own page and that signing in finds all their bookings.

Messages are planned by the services, as a booking change plans them, and rendered as the
worker renders them (sending/delivery.py), without a worker.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from aftercare import planning
from aftercare.models import Message, MessageTemplate
from aftercare.services import eligibility_notice_request
from bookings.models import Appointment
from diary.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_reschedule,
)
from sending.delivery import compose, render
from tests import factories
from tests.conftest import works_every_day

LONDON = ZoneInfo("Europe/London")
FRIDAY = date(2027, 3, 5)
NEXT_MONDAY = date(2027, 3, 8)
SITE = "http://127.0.0.1:8000"  # SITE_URL in the test settings
SIGN_IN = f"{SITE}/account/sign-in/"


def london(day, hour):
    return datetime.combine(day, time(hour), tzinfo=LONDON)


@pytest.fixture
def olivia(world):
    return factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")


@pytest.fixture
def booked(world, olivia):
    return appointment_book(
        treatment=world.treatment, start=london(FRIDAY, 10), client=olivia
    ).appointment


@pytest.fixture
def bea(world):
    """A second practitioner, free whenever the clinic is open, and a room for her."""
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    bea = factories.PractitionerFactory(
        clinic=world.clinic, name="Bea Practitioner", treatments=[world.treatment]
    )
    works_every_day(bea)
    return bea


def manage_link(appointment) -> str:
    return SITE + reverse("online:manage", args=[appointment.reference, appointment.manage_token])


def moved_message(appointment) -> Message:
    return appointment.messages.get(kind=Message.Kind.MOVED, status=Message.Status.PENDING)


# -- a move says "moved" ----------------------------------------------------------------------


def test_a_move_to_another_practitioner_says_moved_from_when_to_when_and_with_whom(
    world, booked, bea
):
    # Alice is taken on Monday at 14:00, so the move goes to Bea.
    appointment_book(
        treatment=world.treatment,
        start=london(NEXT_MONDAY, 14),
        client=factories.ClientFactory(clinic=world.clinic),
    )

    moved = appointment_reschedule(appointment=booked, start=london(NEXT_MONDAY, 14)).appointment

    assert moved.practitioner == bea
    pending = moved.messages.filter(status=Message.Status.PENDING)
    assert sorted(pending.values_list("kind", flat=True)) == ["moved", "reminder"]
    rendered = render(moved_message(moved))
    assert rendered.subject == "Moved: Manual facial massage now on Mon 8 Mar at 14:00"
    assert (
        f"Your Manual facial massage (reference {moved.reference}) has been moved from Friday "
        "5 March at 10:00 to Monday 8 March 2027 at 14:00, with Bea Practitioner (instead of "
        "Alice Practitioner)."
    ) in rendered.text
    assert "Booked" not in rendered.subject and "is booked for" not in rendered.text
    assert "Bea Practitioner (instead of Alice Practitioner)" in rendered.html


def test_a_move_with_the_same_practitioner_names_them_once(booked):
    moved = appointment_reschedule(appointment=booked, start=london(NEXT_MONDAY, 11)).appointment

    text = render(moved_message(moved)).text
    assert "from Friday 5 March at 10:00 to Monday 8 March 2027 at 11:00, with Alice " in text
    assert "instead of" not in text


def test_each_move_is_told_from_the_time_before_it_with_a_calendar_file(booked):
    once = appointment_reschedule(appointment=booked, start=london(NEXT_MONDAY, 11)).appointment
    twice = appointment_reschedule(appointment=once, start=london(NEXT_MONDAY, 15)).appointment

    [first, second] = twice.messages.filter(kind=Message.Kind.MOVED).order_by("pk")
    assert first.status == Message.Status.CANCELLED  # not sent before the second move
    assert "from Monday 8 March at 11:00 to Monday 8 March 2027 at 15:00" in render(second).text
    email = compose(second)
    [ics] = [name for name, *_ in email.attachments if name == "appointment.ics"]
    assert ics


def test_the_stored_template_for_moves_is_seeded_with_the_built_in_words(db):
    stored = MessageTemplate.objects.get(kind=Message.Kind.MOVED, treatment=None)
    assert stored.subject.startswith("Moved: ")
    assert "{{ moved_from" in stored.text and "{{ was_with }}" in stored.text


# -- the manage link in every email about a booking -------------------------------------------


def _planned(world, booked, kind: str) -> Message:
    """A message of `kind` about `booked`, planned as the booking change that causes it."""
    if kind in (Message.Kind.CONFIRMATION, Message.Kind.REMINDER):
        return booked.messages.get(kind=kind)
    if kind == Message.Kind.MOVED:
        moved = appointment_reschedule(appointment=booked, start=london(NEXT_MONDAY, 11))
        return moved_message(moved.appointment)
    if kind == Message.Kind.CANCELLATION:
        appointment_cancel(appointment=booked)
        return booked.messages.get(kind=kind)
    world.treatment.rebook_after_days = 28
    world.treatment.save()
    with time_machine.travel(london(FRIDAY, 11) + timedelta(minutes=5), tick=False):
        appointment_complete(appointment=booked, by=factories.StaffFactory(username="desk"))
    return booked.messages.get(kind=kind)


@pytest.mark.parametrize(
    "kind",
    [
        Message.Kind.CONFIRMATION,
        Message.Kind.MOVED,
        Message.Kind.REMINDER,
        Message.Kind.CANCELLATION,
        Message.Kind.AFTERCARE,
        Message.Kind.FOLLOW_UP,
        Message.Kind.REBOOK,
    ],
)
def test_every_email_about_a_booking_links_to_its_page_and_to_signing_in(world, booked, kind):
    message = _planned(world, booked, kind)

    rendered = render(message)

    link = manage_link(booked)
    assert link.startswith(f"{SITE}/booking/{booked.reference}/")
    for part in (rendered.text, rendered.html):
        assert link in part, kind
        assert SIGN_IN in part, kind
    assert "Find all your bookings by signing in with this email address" in rendered.text


def test_the_link_opens_the_booking_s_page(client, booked):
    path = manage_link(booked).removeprefix(SITE)
    page = client.get(path)
    assert page.status_code == 200
    assert booked.reference in page.content.decode()
    assert client.get(SIGN_IN.removeprefix(SITE)).status_code == 200


def test_a_cancelled_booking_s_link_offers_to_book_again(world, booked, client):
    message = _planned(world, booked, Message.Kind.CANCELLATION)
    text = render(message).text
    assert f"See the cancelled booking, or book again: {manage_link(booked)}" in text
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    page = client.get(manage_link(booked).removeprefix(SITE)).content.decode()
    assert reverse("online:calendar", args=[world.treatment.slug]) in page


def test_a_clinic_s_own_template_cannot_lose_the_links(booked):
    MessageTemplate.objects.update_or_create(
        kind=Message.Kind.CONFIRMATION,
        treatment=None,
        defaults={"subject": "See you", "text": "See you soon.", "html": "<p>See you</p>"},
    )
    rendered = render(booked.messages.get(kind=Message.Kind.CONFIRMATION))
    assert rendered.text.startswith("See you soon.")
    assert manage_link(booked) in rendered.text and manage_link(booked) in rendered.html


def test_a_staff_template_may_place_the_link_itself(booked):
    MessageTemplate.objects.update_or_create(
        kind=Message.Kind.REMINDER,
        treatment=None,
        defaults={"subject": "Soon", "text": "Change it here: {{ manage_url }}"},
    )
    text = render(booked.messages.get(kind=Message.Kind.REMINDER)).text
    assert text.startswith(f"Change it here: {manage_link(booked)}")


def test_the_notice_about_no_booking_links_to_signing_in_only(world, olivia):
    eligibility_notice_request(
        client=olivia, treatment=world.treatment, eligible_on=date(2027, 3, 20)
    )
    rendered = render(olivia.messages.get(kind=Message.Kind.ELIGIBLE))
    assert SIGN_IN in rendered.text and "/booking/" not in rendered.text


def test_the_clinic_s_own_notice_carries_no_client_links(world, booked):
    world.clinic.email = "frontdesk@lumiere.example.com"
    world.clinic.save()
    planning.plan_flagged_appointment(appointment=booked, reason="Filler on 1 March.")
    rendered = render(booked.messages.get(kind=Message.Kind.FLAGGED))
    assert "/booking/" not in rendered.text and SIGN_IN not in rendered.text
