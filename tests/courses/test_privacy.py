"""A client's courses in the privacy tools: the export lists each course with its sessions
and history; a merge moves the duplicate's courses (and the sessions hanging from them) to
the survivor; anonymisation keeps the courses (the clinic's books) and removes staff's words
for a discount, and the course emails planned for them go."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import time_machine
from django.core.serializers.json import DjangoJSONEncoder

from access.roles import MANAGER
from aftercare.models import Message
from bookings.history import REDACTED
from courses.models import ClientCourse
from courses.selectors import client_courses
from courses.services import course_buy
from diary.services import appointment_book, appointment_complete
from privacy.anonymise import client_anonymise
from privacy.export import client_export
from privacy.merge import client_merge
from tests import factories

TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def test_the_export_lists_courses_with_their_sessions_and_history(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=desk)
    visit = appointment_book(
        treatment=world.treatment, start=TUESDAY_10, client=olivia, by=desk, course=course
    ).appointment

    exported = client_export(olivia)
    json.dumps(exported, cls=DjangoJSONEncoder)  # it serialises as the download does

    [row] = exported["courses"]
    assert (row["name"], row["sessions_total"], row["price"]) == (
        "Ten facial massages",
        10,
        D("850.00"),
    )
    assert row["sessions"][0]["appointment"] == visit.reference
    assert row["sessions"][0]["status"] == "booked"
    assert [c["action"] for c in row["history"]] == ["bought", "booked"]


def test_a_merge_moves_the_duplicates_courses_to_the_survivor(world, offer, olivia, desk):
    duplicate = factories.ClientFactory(
        clinic=world.clinic, name="Olivia T", email="o2@example.com"
    )
    course = course_buy(client=duplicate, offer=offer, by=desk)
    visit = appointment_book(
        treatment=world.treatment, start=TUESDAY_10, client=duplicate, by=desk, course=course
    ).appointment
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])

    merged = client_merge(survivor=olivia, duplicate=duplicate, by=manager)

    assert merged.moved["clientcourse"] == 1
    assert ClientCourse.objects.get(pk=course.pk).client == olivia
    with time_machine.travel(TUESDAY_10 + timedelta(hours=1), tick=False):
        appointment_complete(appointment=visit, by=desk)  # the session still counts
        [view] = client_courses(olivia, now=datetime.now(UTC))
    assert (view.balance.used, view.balance.remaining) == (1, 9)


def test_anonymising_keeps_the_courses_and_removes_a_discounts_reason(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=desk)
    visit = appointment_book(
        treatment=world.treatment,
        start=TUESDAY_10,
        client=olivia,
        by=desk,
        discount=D("10"),
        discount_reason="Friend of the owner, Ms Turner",
    ).appointment
    with time_machine.travel(TUESDAY_10 + timedelta(hours=2), tick=False):
        appointment_complete(appointment=visit, by=desk)
        client_anonymise(client=olivia)

    visit.refresh_from_db()
    assert visit.discount == D("10.00") and visit.discount_reason == REDACTED
    assert ClientCourse.objects.get(pk=course.pk).price == D("850.00")
    pending = Message.objects.filter(
        client=olivia, kind=Message.Kind.COURSE_EXPIRING, status=Message.Status.PENDING
    )
    assert not pending.exists()
