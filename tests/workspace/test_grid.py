"""The diary at /staff/: the front desk's home, a day or a week as a time grid (one column
per practitioner, or per room and device) with appointments, cautions and flags as icons,
hours, time off, closures and free time; booking a free time, a walk-in, moving an
appointment (the Move form is the drag's and the keyboard's way) and blocking time, each
through its service; its reads in a fixed number of queries; each client shown audited."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.template import Context
from django.test.utils import CaptureQueriesContext

from bookings.models import Appointment
from clinic.models import AuditEntry, Client, Closure, TimeOff
from diary.services import appointment_book
from diary.time_off import TimeOffOverlaps, time_off_block
from tests import factories
from tests.conftest import works_every_day
from tests.workspace.conftest import TODAY, london
from workspace.templatetags.diary_grid import free_cells

DIARY = "/staff/"


def diary(browser, **params):
    response = browser.get(DIARY, {"date": TODAY.isoformat(), **params})
    assert response.status_code == 200, response.content[:300]
    return response


def column_labels(response) -> list[str]:
    return [c.label for c in response.context["grid"].columns]


def free_times(response, practitioner) -> list[str]:
    """The free times the page offers to book with `practitioner`, as HH:MM."""
    return re.findall(
        rf'class="cell free"[^>]*href="[^"]*&amp;time=(\d\d:\d\d)'
        rf'&amp;practitioner={practitioner.pk}"',
        response.content.decode(),
    )


def test_the_diary_is_the_workspace_home_and_the_lookup_moved_to_clients(cast):
    browser = cast.browser("desk")

    html = diary(browser).content.decode()
    lookup = browser.get("/staff/clients/", {"q": "olivia"}).content.decode()

    assert "<h1>Diary · Monday 1 Mar 2027</h1>" in html
    assert 'href="/staff/clients/"' in html  # the nav's Clients
    assert "Olivia Turner" in lookup and 'action="/staff/clients/"' in lookup


def test_a_day_has_a_column_per_practitioner_with_appointments_and_free_time(cast):
    response = diary(cast.browser("desk"))
    html = response.content.decode()

    assert column_labels(response) == ["Alice Practitioner", "Ben Practitioner"]
    assert "Olivia Turner" in html and "Bruno Costa" in html
    assert "10:00–11:00" in html
    alice_free = free_times(response, cast.world.practitioner)
    assert alice_free[0] == "09:00" and "10:00" not in alice_free and "10:45" not in alice_free
    assert "11:00" in alice_free and "17:45" in alice_free
    assert "11:00" not in free_times(response, cast.ben)
    # A free time leads to the "who is it for?" step, prefilled.
    assert (
        f'href="/staff/diary/book/?date=2027-03-01&amp;time=09:00&amp;practitioner={cast.world.practitioner.pk}"'
        in html
    )


def test_free_time_is_one_item_a_stretch_and_a_cell_a_row(cast):
    """A stretch of free rows is one item of its column (a busy week had ~1,200 one-row
    items, each an object the page built and the garbage collector walked), and the page
    still writes a cell a row, each booking that row's time."""
    response = diary(cast.browser("desk"))

    grid = response.context["grid"]
    (alice,) = [c for c in grid.columns if c.practitioner == cast.world.practitioner]
    free = [item for item in alice.items if item.kind == "free"]
    assert any(item.row_end - item.row_start > 1 for item in free)
    assert not {item.row_start for item in free} & {item.row_end for item in free}  # maximal
    rows = [row for item in free for row in range(item.row_start, item.row_end)]
    times = [f"{grid.rows[row - 1]:%H:%M}" for row in rows]
    assert free_times(response, cast.world.practitioner) == times
    assert [f"{alice.edges[row - 1]:%H:%M}" for row in rows] == times
    # For a role that may not book: a plain cell a free row.
    cells = free_cells(Context({"may_book": False}), alice, 2)
    assert re.findall(
        r'<div class="cell free" style="grid-row: (\d+); grid-column: 2">', cells
    ) == [str(row + 1) for row in rows]


def test_free_time_already_past_is_not_offered(cast):
    with time_machine.travel(london(TODAY, 12, 10), tick=False):
        response = diary(cast.browser("desk"))

    alice_free = free_times(response, cast.world.practitioner)
    assert alice_free[0] == "12:15" and "11:00" not in alice_free
    assert [i.kind for c in response.context["grid"].columns for i in c.items][-1] == "free"


def test_cautions_and_flags_are_icons_whose_text_shows_on_focus(cast):
    Appointment.objects.filter(pk=cast.bruno_visit.pk).update(
        eligibility_flag="Filler recorded after booking"
    )
    html = diary(cast.browser("desk")).content.decode()

    caution = "Caution: avoid deep pressure: cheeks, lips (filler 2027-02-08)"
    assert f'tabindex="0" title="{caution}"' in html
    assert f'<span class="tip">{caution}</span>' in html
    assert '<span class="tip">Flagged: Filler recorded after booking</span>' in html


def test_a_clients_first_visit_has_its_star_and_their_later_ones_do_not(cast):
    later = appointment_book(
        treatment=cast.world.treatment,
        start=london(TODAY, 15),
        client=cast.bruno,
        practitioner=cast.ben,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    ).appointment
    earlier = appointment_book(  # cancelled: Olivia's visit today is still her first
        treatment=cast.world.treatment,
        start=london(TODAY, 16),
        client=cast.olivia,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    ).appointment
    Appointment.objects.filter(pk=earlier.pk).update(
        start=london(TODAY - timedelta(days=7), 10),
        end=london(TODAY - timedelta(days=7), 11),
        blocked_until=london(TODAY - timedelta(days=7), 11),
        status=Appointment.Status.CANCELLED,
    )

    response = diary(cast.browser("desk"))

    first = {
        item.appointment.reference: item.first_visit
        for column in response.context["grid"].columns
        for item in column.items
        if item.kind == "appointment"
    }
    assert first == {
        cast.olivia_visit.reference: True,
        cast.bruno_visit.reference: True,
        later.reference: False,
    }
    assert response.content.decode().count('<span class="tip">First visit</span>') == 2


def test_hours_time_off_and_closures_show(cast):
    alice = cast.world.practitioner
    TimeOff.objects.create(
        practitioner=alice, start=london(TODAY, 14), end=london(TODAY, 16), reason="Training"
    )
    Closure.objects.create(clinic=cast.world.clinic, date=TODAY.replace(day=3), reason="Refit")

    day = diary(cast.browser("desk"))
    week = diary(cast.browser("desk"), span="week")

    assert "14:00–16:00 Training" in day.content.decode()
    assert not {"14:00", "15:45"} & set(free_times(day, alice))
    assert "16:00" in free_times(day, alice)
    wednesday = [c for c in week.context["grid"].columns if c.day == TODAY.replace(day=3)]
    assert [item.kind for c in wednesday for item in c.items] == ["closed", "closed"]
    assert "Refit" in week.content.decode()
    assert len(week.context["grid"].columns) == 14  # 7 days x 2 practitioners


def test_by_room_or_device(cast):
    response = diary(cast.browser("desk"), by="resource")

    assert column_labels(response) == ["Room 1"]
    html = response.content.decode()
    assert "Olivia Turner" in html and "Bruno Costa" in html  # both are in Room 1
    # A room's free time books whoever is free: its link names no practitioner.
    assert re.search(r'class="cell free"[^>]*href="[^"]*&amp;time=\d\d:\d\d"', html)
    assert "practitioner=" not in "".join(re.findall(r'class="cell free"[^>]*>', html))


def test_a_practitioner_sees_their_own_column_only(cast):
    response = diary(cast.browser("pat"), by="resource")
    html = response.content.decode()

    assert column_labels(response) == ["Alice Practitioner"]
    assert "Olivia Turner" in html
    assert "Bruno Costa" not in html and "Ben Practitioner" not in html
    assert "/staff/diary/book/" not in html  # their role does not book
    assert "data-move" not in html  # nothing to drag


def test_viewing_it_audits_each_client_shown(cast):
    diary(cast.browser("desk"))
    diary(cast.browser("pat"))

    entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.username, e.client_ids(), e.what) for e in entries] == [
        ("desk", sorted([cast.olivia.pk, cast.bruno.pk]), "day sheet cautions"),
        ("pat", [cast.olivia.pk], "day sheet cautions"),
    ]
    assert entries[0].details["view"] == "diary"


def test_who_is_shown_is_decided_as_before_without_a_query_for_a_whole_organisation(cast):
    """access.visible_among (the grid's and the sheets' "shown") answers as
    visible_client_ids does for every role, a client of another organisation included, and
    asks the database nothing for a role that shows the organisation's every client."""
    from access import visible_among, visible_client_ids

    stranger = factories.ClientFactory(name="Somebody Else")  # another organisation's
    clients = [cast.olivia, cast.bruno, stranger, None]
    ids = {c.pk for c in clients if c is not None}
    admin = factories.StaffFactory(username="root", is_superuser=True, roles=[])
    for user in [*cast.users.values(), admin]:
        assert visible_among(user, clients) == visible_client_ids(user, ids), user
    desk = cast.users["desk"]
    assert visible_among(desk, clients) == {cast.olivia.pk, cast.bruno.pk}
    with CaptureQueriesContext(connection) as captured:
        shown = visible_among(desk, [cast.olivia, cast.bruno])
    assert shown == {cast.olivia.pk, cast.bruno.pk}
    assert len(captured) == 0


# -- reads in a fixed number of queries ------------------------------------------------------


def _queries(browser, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        diary(browser, **params)
    return len(captured)


def _busy_clinic(cast, practitioners=10, appointments=300):
    """`practitioners` more practitioners (each with their own client's record to check)
    and `appointments` appointments over the week, written straight in."""
    world = cast.world
    staff = []
    for n in range(practitioners):
        p = factories.PractitionerFactory(
            clinic=world.clinic, name=f"Practitioner {n:02d}", treatments=[world.treatment]
        )
        works_every_day(p)
        staff.append(p)
    TimeOff.objects.create(
        practitioner=staff[0], start=london(TODAY, 12), end=london(TODAY, 13), reason="Lunch"
    )
    first_day = TODAY  # a Monday
    rows = []
    for n in range(appointments):
        practitioner = staff[n % practitioners]
        day = first_day + timedelta(days=(n // practitioners) % 7)
        hour = 13 + (n // (practitioners * 7))  # 13:00 to 17:00: clear of the cast's
        client = factories.ClientFactory(clinic=world.clinic, name=f"Client {n:03d}")
        start = datetime.combine(day, time(hour), tzinfo=world.clinic.tzinfo)
        rows.append(
            Appointment(
                clinic=world.clinic,
                client=client,
                treatment=world.treatment,
                practitioner=practitioner,
                start=start,
                end=start + timedelta(minutes=60),
                blocked_until=start + timedelta(minutes=60),
                channel=Appointment.Channel.STAFF,
            )
        )
    Appointment.objects.bulk_create(rows)


@pytest.mark.parametrize(
    "params",
    [{}, {"span": "week"}, {"by": "resource"}, {"span": "week", "by": "resource"}],
    ids=["day", "week", "day by room", "week by room"],
)
def test_the_grid_reads_in_a_fixed_number_of_queries(cast, params):
    browser = cast.browser("desk")
    diary(browser)  # the session and the user's roles, as on any later page
    small = _queries(browser, **params)

    _busy_clinic(cast)
    busy_response = diary(browser, **params)
    busy = _queries(browser, **params)

    assert Appointment.objects.count() == 302
    if "by" not in params:
        assert len(busy_response.context["grid"].columns) == 12 * (7 if params else 1)
    assert len(busy_response.context["grid"].entries) == (302 if params.get("span") else 2 + 50)
    assert busy == small


# -- booking a free time and walk-ins ---------------------------------------------------------


def test_a_free_time_asks_who_it_is_for_then_opens_the_booking_page_prefilled(cast):
    browser = cast.browser("desk")
    alice = cast.world.practitioner
    where = {"date": "2027-03-01", "time": "14:00", "practitioner": alice.pk}

    page = browser.get("/staff/diary/book/", {**where, "q": "bruno"}).content.decode()
    link = (
        re.search(r'href="(/staff/clients/\d+/book/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    )
    booking = browser.get(link).content.decode()

    assert "Who is it for?" in page and "with <strong>Alice Practitioner</strong>" in page
    assert link == (
        f"/staff/clients/{cast.bruno.pk}/book/?treatment=manual-facial-massage"
        f"&date=2027-03-01&time=14%3A00&practitioner={alice.pk}"
    )
    assert re.search(r'value="2027-03-01T14:00:00\+00:00" required checked', booking)


def test_a_walk_in_is_a_new_client_then_the_booking_page(cast):
    browser = cast.browser("desk")

    response = browser.post(
        "/staff/diary/book/",
        {
            "walk_in": "1",
            "date": "2027-03-01",
            "time": "12:00",
            "treatment": "manual-facial-massage",
            "name": "Wanda Walkin",
            "email": "wanda@example.com",
            "phone": "07911 123555",
        },
    )

    wanda = Client.objects.get(email="wanda@example.com")
    assert (wanda.name, wanda.phone, wanda.home_clinic) == (
        "Wanda Walkin",
        "+447911123555",
        cast.world.clinic,
    )
    assert response["Location"] == (
        f"/staff/clients/{wanda.pk}/book/?treatment=manual-facial-massage"
        "&date=2027-03-01&time=12%3A00&practitioner="
    )


def test_a_new_client_without_an_email_is_told_so(cast):
    response = cast.browser("desk").post(
        "/staff/diary/book/", {"date": "2027-03-01", "time": "12:00", "name": "No Email"}
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Client.objects.filter(name="No Email").exists()


def test_another_clinics_practitioner_is_not_found(cast):
    elsewhere = factories.PractitionerFactory(clinic=factories.ClinicFactory())
    browser = cast.browser("desk")

    assert browser.get("/staff/diary/book/", {"practitioner": cast.ben.pk}).status_code == 200
    assert browser.get("/staff/diary/book/", {"practitioner": elsewhere.pk}).status_code == 404
    assert browser.get("/staff/diary/block/", {"practitioner": elsewhere.pk}).status_code == 404


# -- moving -----------------------------------------------------------------------------------


def move(browser, appointment, **data):
    return browser.post(f"/staff/appointments/{appointment.reference}/move/", data)


def test_the_move_form_moves_through_the_reschedule_service(cast):
    visit = cast.bruno_visit
    form = cast.browser("desk").get(f"/staff/appointments/{visit.reference}/move/")

    response = move(
        cast.browser("desk"),
        visit,
        date="2027-03-01",
        time="14:00",
        practitioner=cast.world.practitioner.pk,
        next="/staff/?date=2027-03-01",
    )

    visit.refresh_from_db()
    assert 'value="11:00"' in form.content.decode()
    assert response["Location"] == "/staff/?date=2027-03-01"
    assert (visit.start, visit.practitioner) == (london(TODAY, 14), cast.world.practitioner)
    assert visit.changes.filter(action="rescheduled").count() == 1


def test_a_move_the_rules_refuse_shows_why_and_changes_nothing(cast):
    visit = cast.olivia_visit  # filler 21 days ago: a massage needs the warnings gone through

    response = move(cast.browser("desk"), visit, date="2027-03-01", time="15:00")

    visit.refresh_from_db()
    assert response.status_code == 409
    assert "Not moved:" in response.content.decode()
    assert "filler" in response.content.decode().lower()
    assert visit.start == london(TODAY, 10)


def test_a_move_onto_taken_time_shows_why_and_changes_nothing(cast):
    visit = cast.olivia_visit

    response = move(
        cast.browser("desk"),
        visit,
        date="2027-03-01",
        time="11:00",
        practitioner=cast.ben.pk,
        acknowledge_warnings="on",
    )

    visit.refresh_from_db()
    assert response.status_code == 409
    assert "That time is no longer available" in response.content.decode()
    assert (visit.start, visit.practitioner) == (london(TODAY, 10), cast.world.practitioner)


def test_a_refused_drag_goes_back_to_the_diary_with_the_services_words(cast):
    visit = cast.bruno_visit
    browser = cast.browser("desk")

    response = move(
        browser,
        visit,
        date="2027-03-01",
        time="10:00",
        practitioner=cast.world.practitioner.pk,
        dragged="1",
        next="/staff/?date=2027-03-01",
    )
    page = browser.get(response["Location"]).content.decode()

    visit.refresh_from_db()
    assert response["Location"] == "/staff/?date=2027-03-01"
    assert f"{visit.reference} was not moved: That time is no longer available" in page
    assert (visit.start, visit.practitioner) == (london(TODAY, 11), cast.ben)


# -- blocking time ---------------------------------------------------------------------------


def block(browser, **data):
    return browser.post("/staff/diary/block/", data)


def test_blocking_time_adds_time_off(cast):
    alice = cast.world.practitioner
    response = block(
        cast.browser("desk"),
        practitioner=alice.pk,
        date="2027-03-01",
        start="14:00",
        end="15:30",
        reason="Training",
    )

    off = TimeOff.objects.get(practitioner=alice)
    assert response["Location"] == "/staff/?date=2027-03-01"
    assert (off.start, off.end, off.reason) == (
        london(TODAY, 14),
        london(TODAY, 15, 30),
        "Training",
    )


def test_time_that_holds_an_appointment_cannot_be_blocked(cast):
    response = block(
        cast.browser("mia"),
        practitioner=cast.world.practitioner.pk,
        date="2027-03-01",
        start="09:30",
        end="10:30",
    )

    assert response.status_code == 409
    assert (
        "Alice Practitioner has an appointment in that time (Mon 1 Mar 10:00)"
        in response.content.decode()
    )
    assert not TimeOff.objects.exists()


def test_the_service_refuses_a_role_that_does_not_book(cast):
    from diary.errors import RoleDoesNotChange

    with pytest.raises(RoleDoesNotChange):
        time_off_block(
            practitioner=cast.world.practitioner,
            start=london(TODAY, 14),
            end=london(TODAY, 15),
            by=cast.users["pat"],
        )
    with pytest.raises(TimeOffOverlaps):
        time_off_block(
            practitioner=cast.world.practitioner,
            start=london(TODAY, 10, 30),
            end=london(TODAY, 10, 45),
            by=cast.users["desk"],
        )
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [{"date": "２０２７-03-01"}, {"time": "１４:00"}],
    ids=["full-width date", "full-width time"],
)
def test_the_move_form_takes_the_digits_0_to_9_only(cast, typed):
    visit = cast.bruno_visit

    response = move(
        cast.browser("desk"),
        visit,
        **{"date": "2027-03-01", "time": "14:00", **typed},
        practitioner=cast.world.practitioner.pk,
    )

    visit.refresh_from_db()
    assert response.status_code == 409  # the form again, saying what to give
    assert "Enter a valid" in response.content.decode()
    assert visit.start == london(TODAY, 11)
