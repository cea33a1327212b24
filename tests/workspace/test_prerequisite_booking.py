"""Booking on a client's behalf a treatment that needs a patch test first: the page says so,
the desk is refused with the reason, and a manager may book past it with a reason."""

from datetime import date

import pytest

from access.roles import MANAGER
from bookings.models import Appointment
from diary.services import appointment_book
from tests import factories
from tests.clinical.test_prerequisites import add_patch_test, add_rule
from tests.conftest import add_microcurrent
from tests.workspace.conftest import london
from tests.workspace.test_booking import book, book_page

FRIDAY = date(2027, 3, 5)


@pytest.fixture
def micro(cast):
    world = cast.world
    micro = add_microcurrent(world)
    patch = add_patch_test(world)
    add_rule(world, micro, patch, "Gel test first.")
    micro.patch = patch
    return micro


def test_the_page_says_the_client_needs_a_patch_test_and_the_desk_is_refused(cast, micro):
    desk = cast.browser("desk")
    page = book_page(desk, cast.bruno, micro, day=FRIDAY).content.decode()
    assert "Gel test first. Please book a Patch test first" in page

    refused = book(desk, cast.bruno, micro, london(FRIDAY, 10))

    assert refused.status_code == 200
    assert refused.context["error"].startswith("Gel test first. Please book a Patch test")
    assert not Appointment.objects.filter(treatment=micro).exists()


def test_the_page_says_from_when_a_booked_patch_test_allows_it(cast, micro):
    appointment_book(treatment=micro.patch, start=london(date(2027, 3, 2), 10), client=cast.bruno)

    page = book_page(cast.browser("desk"), cast.bruno, micro, day=FRIDAY).content.decode()

    assert "Bruno Costa can have Microcurrent toning from Thu 4 Mar 2027 at 10:00" in page


def test_a_manager_books_past_it_with_a_reason(cast, micro):
    cast.users["boss"] = factories.StaffFactory(username="boss", roles=[MANAGER])

    response = book(
        cast.browser("boss"),
        cast.bruno,
        micro,
        london(FRIDAY, 10),
        override_reason="Patch tested at her last clinic",
    )

    assert response.status_code == 302
    booked = Appointment.objects.get(treatment=micro)
    assert booked.override_reason == "Patch tested at her last clinic"


def test_the_move_list_starts_where_the_patch_test_counts(cast, micro):
    appointment_book(treatment=micro.patch, start=london(date(2027, 3, 2), 10), client=cast.bruno)
    moving = appointment_book(treatment=micro, start=london(FRIDAY, 14), client=cast.bruno)

    response = cast.browser("desk").get(
        f"/staff/appointments/{moving.appointment.reference}/reschedule/"
    )

    # Today is Monday 1 March; the patch test on Tuesday 10:00 counts 48 hours later.
    assert response.context["first_allowed"] == date(2027, 3, 4)
    assert response.context["day"] == date(2027, 3, 4)
    assert "The rules allow this treatment from <strong>Thu 4 Mar 2027" in (
        response.content.decode()
    )
