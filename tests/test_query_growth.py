"""Issue 16: a page's query count does not grow with a client's or a clinic's history. Each
test reads a page twice, over a short history and a long one, and asks for the same number
of SQL statements (bench/README.md, "Query counts that grow with history", has the figures
at the benchmark's sizes)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from bookings.models import Appointment
from clinic.identity import client_login
from clinic.services import client_get_or_create
from diary import services
from tests import factories

LONDON = ZoneInfo("Europe/London")
TODAY = date(2027, 3, 1)  # tests/conftest.py's frozen clock


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def queries(browser: Browser, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured), [q["sql"] for q in captured]


def past_visits(world, client, count: int, *, hour: int = 10) -> list[Appointment]:
    """`count` completed visits, one a day going back from yesterday (rows: the booking
    service books nothing in the past)."""
    rows = []
    for back in range(1, count + 1):
        start = at(TODAY - timedelta(days=back), hour)
        rows.append(
            Appointment(
                clinic=world.clinic,
                client=client,
                treatment=world.treatment,
                practitioner=world.practitioner,
                start=start,
                end=start + timedelta(hours=1),
                blocked_until=start + timedelta(hours=1),
                status=Appointment.Status.COMPLETED,
            )
        )
    return Appointment.objects.bulk_create(rows)


def coming(treatments, client, count: int, *, hour: int = 10) -> list[Appointment]:
    """`count` bookings from the day after tomorrow, one a day, going round `treatments`."""
    return [
        services.appointment_book(
            treatment=treatments[day % len(treatments)],
            start=at(TODAY + timedelta(days=day), hour),
            client=client,
        ).appointment
        for day in range(2, count + 2)
    ]


def more_treatments(world, count: int) -> list:
    """The world's treatment and `count` more that its practitioner gives."""
    extra = [
        factories.TreatmentFactory(clinic=world.clinic, kinds=[world.room_kind])
        for _ in range(count)
    ]
    world.practitioner.treatments.add(*extra)
    return [world.treatment, *extra]


# --- /my/, the signed-in client's space -------------------------------------------------------


def test_my_space_reads_the_same_for_1_or_10_bookings_to_come_and_1_or_30_past_visits(world):
    """Ten bookings to come of five treatments: each treatment's health questions come from
    the clinic's rules read once (they were read once per treatment), and each booking's
    decision from the same read."""
    world.treatment.course_sessions = 40  # the past visits are a course: "book the next one"
    world.treatment.save()
    treatments = more_treatments(world, 4)
    shapes = {"short": (1, 1), "coming": (10, 1), "past": (1, 30)}
    counts, statements = {}, {}
    for hour, (name, (to_come, past)) in zip((9, 12, 15), shapes.items(), strict=True):
        client, _ = client_get_or_create(
            clinic=world.clinic, name=name.title(), email=f"{name}@ex.com"
        )
        factories.InjectableRecordFactory(client=client, kind="botox", date=date(2026, 11, 2))
        coming(treatments, client, to_come, hour=hour)
        past_visits(world, client, past, hour=hour)
        browser = Browser()
        browser.force_login(client_login(f"{name}@ex.com"))
        counts[name], statements[name] = queries(browser, "/my/")

    assert counts["coming"] == counts["short"], statements["coming"]
    assert counts["past"] == counts["short"], statements["past"]


# --- The admin's page of one appointment ---------------------------------------------------------


def test_the_admins_appointment_page_reads_the_same_for_1_or_5_changes(world):
    """Its history and holds are inlines whose rows are titled by their appointment: joined,
    not read once per row (a rescheduled appointment has a change and a hold per move)."""
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Browser()
    browser.force_login(root)
    client, _ = client_get_or_create(clinic=world.clinic, name="Moved", email="moved@ex.com")
    still, moved = coming([world.treatment], client, 2)
    for day in range(10, 14):
        services.appointment_reschedule(appointment=moved, start=at(TODAY + timedelta(days=day), 9))
    assert moved.changes.count() == 5 and still.changes.count() == 1

    queries(browser, f"/admin/bookings/appointment/{still.pk}/change/")  # the first, warm-up
    once, _ = queries(browser, f"/admin/bookings/appointment/{still.pk}/change/")
    often, statements = queries(browser, f"/admin/bookings/appointment/{moved.pk}/change/")

    assert often == once, "\n".join(s[:300] for s in statements)
