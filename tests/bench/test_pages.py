"""The page benchmark and the floor (issue 16), run on a tiny clinic group: a test of the
benchmark, not of any timing. Every listed page must answer as it says, with its queries
counted; a URL pattern the benchmark neither measures nor explains stops it; the floor books
with its rows and refuses a taken time."""

import json
import os

import pytest
from django.db import connection
from django.test import Client, override_settings

from aftercare.models import Message
from bench import floor, group, pages
from bookings.models import Appointment, AppointmentChange, AppointmentResource

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the clinic group is written with COPY"
)


@pytest.fixture
def world(db):
    group.seed("tiny")
    return pages.seeded()  # as the benchmark reads it back


def test_the_tiny_group_has_its_history(world):
    counts = world["counts"]
    assert counts["bookings_appointment"] == group.SIZES["tiny"].appointments
    assert counts["bookings_appointmentchange"] > counts["bookings_appointment"]
    assert counts["aftercare_message"] > 0 and counts["clinic_auditentry"] > 0
    long_visits = Appointment.objects.filter(client_id=world["long_client"]["id"]).count()
    assert long_visits >= group.LONG_CLIENT_VISITS


def test_every_listed_page_answers_with_its_queries_counted(world):
    rows, collections = pages.measure(world, passes=1, warmup=0, freeze=False)

    listed = pages.page_list(world)
    assert [row["label"] for row in rows] == [page.label for page in listed]
    assert all(row["queries"] >= 0 and row["median"] > 0 for row in rows)
    by_label = {row["label"]: row for row in rows}
    # The pages reading the database are seen to: the long client's page runs queries.
    assert by_label["client page (520+ visits)"]["queries"] > 0
    assert by_label["export (520+ visits)"]["bytes"] > by_label["export (a few visits)"]["bytes"]
    roles = {row["who"] for row in rows}
    assert {"public", "client", "front desk", "practitioner", "manager", "admin"} <= roles
    assert all(row["cpu"] >= 0 for row in rows)
    assert set(collections) == {"count", "median_ms", "max_ms", "objects", "young", "young_ms"}
    assert collections["young"] > 0  # one pass over every page meets young collections


def test_a_few_pages_are_measured_by_label_or_route(world):
    listed = pages.page_list(world)

    chosen = pages.chosen(listed, ["diary, a busy week", "workspace:export"])
    rows, _ = pages.measure(world, passes=1, warmup=0, only=["week sheet*"], freeze=False)

    assert [page.label for page in chosen] == [
        "diary, a busy week",
        "export (520+ visits)",
        "export (a few visits)",
    ]
    assert [row["label"] for row in rows] == ["week sheet", "week sheet, last week"]
    assert pages.chosen(listed, []) == listed
    with pytest.raises(ValueError, match="no page matches"):
        pages.chosen(listed, ["no such page"])


def test_a_url_pattern_in_neither_list_stops_the_benchmark():
    site = {
        "online:treatments": "",
        "admin:clinic_client_change": "admin/clinic/client/<path:object_id>/change/",
        "workspace:new-page": "staff/new-page/",
    }
    listed = [pages.Page("online:treatments", "treatment list", "public", "/")]

    with pytest.raises(pages.Unlisted, match="workspace:new-page") as stopped:
        pages.check_coverage(listed, site)
    assert "admin:clinic_client_change" not in str(stopped.value)  # NOT_MEASURED says why

    gone = [*listed, pages.Page("online:old-page", "old", "public", "/old/")]
    with pytest.raises(pages.Unlisted, match="online:old-page"):
        pages.check_coverage(gone, {"online:treatments": ""})


def test_the_real_site_is_fully_listed(world):
    pages.check_coverage(pages.page_list(world))  # raises Unlisted otherwise


def test_the_floor_books_its_rows_and_refuses_a_taken_time(world):
    slug, start, practitioner = floor.free_starts(world, 1)[0]
    body = {
        "treatment": slug,
        "start": start,
        "practitioner": practitioner,
        "name": "Floor Client",
        "email": "floor.client@example.com",
    }
    browser = Client()
    with override_settings(ROOT_URLCONF="bench.floor"):
        booked = browser.post(floor.FLOOR_PATH, json.dumps(body), content_type="application/json")
        again = browser.post(floor.FLOOR_PATH, json.dumps(body), content_type="application/json")

    assert booked.status_code == 201
    assert again.status_code == 409
    appointment = Appointment.objects.get(reference=booked.json()["reference"])
    assert appointment.client.email == "floor.client@example.com"
    assert AppointmentChange.objects.filter(appointment=appointment, action="booked").count() == 1
    assert AppointmentResource.objects.filter(appointment=appointment, active=True).count() == 1
    kinds = set(Message.objects.filter(appointment=appointment).values_list("kind", flat=True))
    assert kinds == {"confirmation", "reminder"}


def test_the_floor_benchmark_books_with_every_side(world):
    sides = floor.measure(world, bookings=2)

    assert len(sides) == 3
    for figures in sides.values():
        assert figures["bookings"] + figures["conflicts"] == 2
        assert figures["bookings"] >= 1 and figures["web_cpu_ms"] > 0
        # Nanoseconds from schedstat: one booking's backend CPU, read in clock ticks, was
        # most often 0.
        assert figures["postgres_cpu_ms"] > 0


def test_a_process_runtime_is_read_in_nanoseconds():
    from bench import cpu

    spent = cpu.runtime(os.getpid())
    sum(range(200_000))
    assert spent is not None and 0 < spent < cpu.runtime(os.getpid())
    assert cpu.runtime(2**22 + 12345) is None  # no such process
