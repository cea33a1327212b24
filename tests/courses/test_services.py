"""Courses through the services: bought (online, reserved; at the desk), paid once, a
session booked with an appointment and used when it is completed, burned or given back by a
late cancellation or a no-show as the course says, always given back when the clinic
cancels; and refusals that write nothing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine

from access.roles import PRACTITIONER
from bookings.models import Appointment
from courses.errors import AlreadyPaid, CourseRefused, NotAllowed
from courses.models import ClientCourse, Redemption
from courses.selectors import balance, client_courses, usable_courses
from courses.services import course_buy, course_mark_paid
from diary.errors import CourseNotUsable, DiscountRefused
from diary.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
)
from money.models import Charge, PaymentPolicy
from tests import factories

TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)  # the world's clock: Mon 1 March, 08:00
NEXT_WEEK_10 = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)
TODAY_15 = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # inside the 24-hour cancellation window


def book(world, client, by, start=TUESDAY_10, **kwargs):
    return appointment_book(
        treatment=world.treatment, start=start, client=client, by=by, **kwargs
    ).appointment


def state(course):
    b = balance(ClientCourse.objects.get(pk=course.pk), now=datetime.now(UTC))
    return {"used": b.used, "booked": b.booked, "remaining": b.remaining}


def test_a_client_buys_a_course_online_reserved_until_paid_at_the_desk(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=olivia.user)

    assert course.channel == ClientCourse.Channel.ONLINE and not course.is_paid
    assert (course.sessions_total, course.price, course.currency) == (10, D("850.00"), "GBP")
    # Six months from 1 March: to the end of 1 September, London time (BST: 23:00 UTC).
    assert course.expires_at == datetime(2027, 9, 1, 23, 0, tzinfo=UTC)
    paid = course_mark_paid(client_course=course, method="cash", by=desk)
    assert paid.is_paid and paid.paid_by == desk
    with pytest.raises(AlreadyPaid):
        course_mark_paid(client_course=course, method="cash", by=desk)
    assert list(course.changes.values_list("action", flat=True)) == ["bought", "paid"]


def test_a_card_payment_marks_it_paid_with_the_providers_reference(world, offer, olivia):
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    paid = course_mark_paid(client_course=course, method="card_online", reference="pi_123")
    assert (paid.paid_method, paid.payment_reference, paid.paid_by) == (
        "card_online",
        "pi_123",
        None,
    )


def test_only_a_role_that_books_sells_and_only_one_that_records_payments_marks_paid(
    world, offer, olivia, desk
):
    practitioner = factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    with pytest.raises(NotAllowed):
        course_buy(client=olivia, offer=offer, by=practitioner)
    course = course_buy(client=olivia, offer=offer, by=desk)
    assert course.channel == ClientCourse.Channel.STAFF
    with pytest.raises(NotAllowed):
        course_mark_paid(client_course=course, method="cash", by=practitioner)
    assert not ClientCourse.objects.get(pk=course.pk).is_paid


def test_an_offer_no_longer_sold_or_of_another_business_is_refused(world, offer, olivia):
    stranger = factories.ClientFactory(name="Someone Else")  # another organisation
    with pytest.raises(CourseRefused):
        course_buy(client=stranger, offer=offer, by=stranger.user)
    offer.active = False
    offer.save()
    with pytest.raises(CourseRefused):
        course_buy(client=olivia, offer=offer, by=olivia.user)
    assert not ClientCourse.objects.exists()


def test_booking_with_a_session_is_covered_and_completing_redeems_it(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    visit = book(world, olivia, olivia.user, course=course)

    assert (visit.price, visit.discount, visit.net_price) == (D("95.00"), D("95.00"), D("0.00"))
    assert visit.discount_reason == "Course: Ten facial massages"
    assert state(course) == {"used": 0, "booked": 1, "remaining": 9}
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        appointment_complete(appointment=visit, by=desk)
    redemption = Redemption.objects.get(appointment=visit)
    assert (redemption.status, redemption.number) == ("redeemed", 1)
    assert state(course) == {"used": 1, "booked": 0, "remaining": 9}
    assert list(course.changes.values_list("action", flat=True)) == [
        "bought",
        "booked",
        "redeemed",
    ]


def test_a_course_with_every_session_booked_cannot_pay_for_another(world, offer, olivia, desk):
    offer.sessions = 1
    offer.save()
    course = course_buy(client=olivia, offer=offer, by=desk)
    book(world, olivia, desk, course=course)
    with pytest.raises(CourseNotUsable):
        book(world, olivia, desk, start=NEXT_WEEK_10, course=course)
    assert Appointment.objects.filter(client=olivia).count() == 1
    assert usable_courses(olivia, world.treatment, start=NEXT_WEEK_10, now=TUESDAY_10) == []


def test_another_clients_course_or_one_expired_by_the_visit_is_refused(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=desk)
    other = factories.ClientFactory(clinic=world.clinic)
    with pytest.raises(CourseNotUsable):
        book(world, other, desk, course=course)
    ClientCourse.objects.filter(pk=course.pk).update(expires_at=TUESDAY_10)
    course.refresh_from_db()
    with pytest.raises(CourseNotUsable):
        book(world, olivia, desk, course=course)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "burns, expected", [(True, ("burned", 1, "used")), (False, ("returned", None, "back"))]
)
def test_a_late_cancellation_burns_or_returns_the_session_as_the_offer_says(
    world, offer, olivia, burns, expected
):
    offer.late_cancel_burns = burns
    offer.save()
    PaymentPolicy.objects.create(clinic=world.clinic, late_cancel_fee="fixed", late_cancel_value=20)
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    desk = factories.StaffFactory(username="desk2")
    visit = book(world, olivia, desk, start=TODAY_15, course=course)
    # Inside the window: a client cannot cancel online, so the desk cancels at their request.
    appointment_cancel(appointment=visit, by=desk, client_asked=True)

    redemption = Redemption.objects.get(appointment=visit)
    assert (redemption.status, redemption.number) == expected[:2]
    used = {"used": 1, "booked": 0, "remaining": 9}
    back = {"used": 0, "booked": 0, "remaining": 10}
    assert state(course) == (used if expected[2] == "used" else back)
    assert not Charge.objects.exists()  # the course's policy, not a fee on top


def test_an_early_cancellation_returns_the_session_even_when_late_ones_burn(world, offer, olivia):
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    visit = book(world, olivia, olivia.user, start=NEXT_WEEK_10, course=course)
    appointment_cancel(appointment=visit, by=olivia.user)
    assert Redemption.objects.get(appointment=visit).status == "returned"
    assert state(course)["remaining"] == 10


def test_a_clinic_cancellation_always_returns_the_session(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=desk)
    visit = book(world, olivia, desk, start=TODAY_15, course=course)
    appointment_cancel(appointment=visit, by=desk)  # the clinic's, inside the window
    assert Redemption.objects.get(appointment=visit).status == "returned"


@pytest.mark.parametrize("burns, status", [(True, "burned"), (False, "returned")])
def test_a_no_show_burns_or_returns_the_session_as_the_offer_says(
    world, offer, olivia, desk, burns, status
):
    offer.no_show_burns = burns
    offer.save()
    PaymentPolicy.objects.create(clinic=world.clinic, no_show_fee="fixed", no_show_value=30)
    course = course_buy(client=olivia, offer=offer, by=desk)
    visit = book(world, olivia, desk, course=course)
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        appointment_mark_no_show(appointment=visit, by=desk)
    assert Redemption.objects.get(appointment=visit).status == status
    assert not Charge.objects.exists()


def test_balances_and_history_of_a_clients_courses(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=desk)
    first = book(world, olivia, desk, course=course)
    book(world, olivia, desk, start=NEXT_WEEK_10, course=course)
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        appointment_complete(appointment=first, by=desk)
        (view,) = client_courses(olivia, now=datetime.now(UTC))
    assert (view.balance.used, view.balance.booked, view.balance.remaining) == (1, 1, 8)
    assert [r.status for r in view.sessions] == ["redeemed", "booked"]
    assert [c.action for c in view.history] == ["bought", "booked", "booked", "redeemed"]
    assert all(c.by == desk for c in view.history)


# -- discounts --------------------------------------------------------------------------------


def test_staff_give_a_discount_in_percent_with_a_reason_and_a_move_keeps_it(world, olivia, desk):
    visit = book(world, olivia, desk, discount_percent=D("10"), discount_reason="Loyalty")
    assert (visit.price, visit.discount, visit.discount_reason) == (
        D("95.00"),
        D("9.50"),
        "Loyalty",
    )
    world.treatment.price = D("120.00")
    world.treatment.save()
    moved = appointment_reschedule(appointment=visit, start=NEXT_WEEK_10, by=desk).appointment
    moved.refresh_from_db()
    assert (moved.price, moved.discount, moved.discount_reason) == (
        D("95.00"),
        D("9.50"),
        "Loyalty",
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"discount": D("10")},  # no reason
        {"discount": D("96"), "discount_reason": "Too much"},
        {"discount_percent": D("101"), "discount_reason": "Too much"},
        {"discount": D("-1"), "discount_reason": "Negative"},
    ],
)
def test_a_discount_without_a_reason_or_out_of_range_is_refused(world, olivia, desk, kwargs):
    with pytest.raises(DiscountRefused):
        book(world, olivia, desk, **kwargs)
    assert not Appointment.objects.exists()


def test_a_client_cannot_give_themself_a_discount(world, olivia):
    with pytest.raises(DiscountRefused):
        book(world, olivia, olivia.user, discount=D("10"), discount_reason="Because")
    assert not Appointment.objects.exists()
