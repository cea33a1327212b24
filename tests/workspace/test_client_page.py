"""Client lookup and the client's page: the injectable timeline, the next allowed and
recommended date per treatment category, declarations, appointments; and the audit entry
each view of it writes."""

from datetime import date

import pytest

from aftercare.models import Message
from clinic.models import AuditEntry, TreatmentCategory
from clinic.search import fold
from tests import factories


@pytest.fixture
def desk_browser(cast):
    return cast.browser("desk")


def page_of(browser, client) -> str:
    response = browser.get(f"/staff/clients/{client.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_says_a_facial_massage_is_not_allowed_until_day_14(cast, desk_browser):
    factories.InjectableRecordFactory(client=cast.bruno, date=date(2027, 2, 24))  # 5 days ago

    response = desk_browser.get(f"/staff/clients/{cast.bruno.pk}/")

    row = next(c for c in response.context["o"].categories if c.category == "facial_massage")
    assert not row.allowed_now
    assert row.allowed_from == date(2027, 3, 10)
    assert row.recommended_from == date(2027, 3, 24)
    html = response.content.decode()
    assert "Not allowed" in html
    assert "Wed 10 Mar 2027" in html
    assert "Wed 24 Mar 2027" in html


def test_a_category_with_nothing_in_the_way_is_allowed_now(cast, desk_browser):
    response = desk_browser.get(f"/staff/clients/{cast.bruno.pk}/")

    (row,) = response.context["o"].categories
    assert row.allowed_now and row.allowed_from == row.recommended_from == date(2027, 3, 1)
    assert "Now" in response.content.decode()


def test_a_contraindication_has_no_date(cast, desk_browser):
    device = factories.ResourceKindFactory(slug="microcurrent-device")
    factories.TreatmentFactory(
        clinic=cast.world.clinic,
        slug="microcurrent",
        category=TreatmentCategory.MICROCURRENT,
        kinds=[device],
    )
    factories.HealthDeclarationFactory(
        client=cast.bruno, condition="pacemaker", declared_on=date(2027, 1, 1)
    )

    response = desk_browser.get(f"/staff/clients/{cast.bruno.pk}/")

    row = next(c for c in response.context["o"].categories if c.category == "microcurrent")
    assert row.allowed_from is None
    html = response.content.decode()
    assert "Not while the condition applies" in html
    assert "Microcurrent cannot be used with a pacemaker." in html
    assert "Pacemaker" in html  # the declaration itself


def test_the_timeline_shows_areas_product_and_who_recorded_it(cast, desk_browser):
    html = page_of(desk_browser, cast.olivia)

    assert "Dermal filler" in html
    assert "Juvederm Voluma" in html
    assert "Areas: Cheeks, Lips" in html
    assert "Recorded by staff by Dee Desk" in html
    assert "8 Feb 2027" in html


def test_corrected_records_stay_on_the_timeline_marked_as_such(cast, desk_browser):
    from clinical.services import injectable_record

    old = cast.olivia.injectables.get()
    injectable_record(
        client=cast.olivia, kind="filler", date=date(2027, 2, 9), areas=["lips"], corrects=old
    )

    html = page_of(desk_browser, cast.olivia)

    assert html.count('class="superseded"') == 1
    assert "Corrected" in html


def test_it_lists_upcoming_and_past_appointments(cast, desk_browser):
    import time_machine

    from tests.workspace.conftest import TODAY, london

    with time_machine.travel(london(TODAY, 10, 30), tick=False):
        response = desk_browser.get(f"/staff/clients/{cast.olivia.pk}/")

    overview = response.context["o"]
    assert list(overview.past) == [cast.olivia_visit]
    assert overview.upcoming == []
    assert cast.olivia_visit.reference in response.content.decode()


def test_it_shows_the_messages_and_the_course_so_far(cast, desk_browser):
    treatment = cast.world.treatment
    treatment.course_sessions = 10
    treatment.save()
    cast.olivia_visit.status = "completed"  # as appointment_complete would leave it
    cast.olivia_visit.save()
    Message.objects.filter(client=cast.olivia, kind=Message.Kind.CONFIRMATION).update(
        status=Message.Status.SENT, sent_at=cast.olivia_visit.created_at
    )

    response = desk_browser.get(f"/staff/clients/{cast.olivia.pk}/")

    page = response.content.decode()
    assert "1 of 10 sessions done, 9 to go" in page
    overview = response.context["o"]
    # Booked today for 10:00 at 08:00: a confirmation, and no reminder (its time had passed).
    assert [(m.kind, m.status) for m in overview.messages] == [
        (Message.Kind.CONFIRMATION, Message.Status.SENT)
    ]
    assert "Booking confirmation" in page and "Sent" in page


def test_viewing_the_page_writes_an_audit_entry(cast, desk_browser):
    desk_browser.get(f"/staff/clients/{cast.olivia.pk}/", HTTP_USER_AGENT="Firefox at the desk")

    entry = AuditEntry.objects.get()
    assert entry.user == cast.users["desk"]
    assert entry.username == "desk"
    assert entry.action == AuditEntry.Action.VIEW
    assert entry.what == "client page"
    assert entry.client == cast.olivia
    assert entry.via == "workspace"
    assert entry.ip == "127.0.0.1"
    assert entry.user_agent == "Firefox at the desk"
    assert entry.path == f"/staff/clients/{cast.olivia.pk}/"


def test_a_refused_view_writes_no_audit_entry(cast):
    cast.browser("pat").get(f"/staff/clients/{cast.bruno.pk}/")

    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("q", ["olivia", "TURNER", "olivia.turner@", "900101", "07700900101"])
def test_lookup_by_name_email_or_phone(cast, desk_browser, q):
    response = desk_browser.get("/staff/clients/", {"q": q})

    assert list(response.context["clients"]) == [cast.olivia]


def test_lookup_answers_with_the_results_alone_for_the_live_search(cast, desk_browser):
    html = desk_browser.get("/staff/clients/", {"q": "bruno", "partial": "1"}).content.decode()

    assert "Bruno Costa" in html
    assert "<html" not in html


@pytest.mark.parametrize("q", ["zoe", "ZOË", "angstrom", "Ångström", "zoë å"])
def test_lookup_ignores_accents(cast, desk_browser, q):
    zoe = factories.ClientFactory(clinic=cast.world.clinic, name="Zoë Ångström")

    response = desk_browser.get("/staff/clients/", {"q": q})

    assert list(response.context["clients"]) == [zoe]


def test_folding_for_sqlite_drops_accents_and_case():
    assert fold("Zoë Ångström") == "zoe angstrom"
    assert fold("Straße") == fold("STRASSE") == "strasse"
    assert fold("Ｚｏｅ") == "zoe"  # full-width letters typed on a phone keyboard
    assert fold(None) is None


def visits(cast, client, count: int, *, hour: int = 10) -> list:
    """`count` completed visits of `client`, one a day at `hour` going back from yesterday
    (written as rows: the booking service books nothing in the past)."""
    from datetime import timedelta

    from bookings.models import Appointment
    from tests.workspace.conftest import TODAY, london

    world = cast.world
    rows = []
    for back in range(1, count + 1):
        start = london(TODAY - timedelta(days=back), hour)
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


def test_a_long_history_comes_a_page_at_a_time_newest_first(cast, desk_browser):
    made = visits(cast, cast.bruno, 45)

    first = desk_browser.get(f"/staff/clients/{cast.bruno.pk}/")
    third = desk_browser.get(f"/staff/clients/{cast.bruno.pk}/?past=3")

    assert [a.pk for a in first.context["o"].past] == [a.pk for a in made[:20]]
    assert [a.pk for a in third.context["o"].past] == [a.pk for a in made[40:]]
    page = first.content.decode()
    assert "1–20 of 45" in page and '?past=2#past-title" rel="next">Older' in page
    assert made[20].reference not in page
    assert "?past=2" in third.content.decode() and "Older" not in third.content.decode()


def test_the_pages_queries_do_not_grow_with_the_history(cast, desk_browser):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cast.world.treatment.course_sessions = 10
    cast.world.treatment.save()
    visits(cast, cast.bruno, 3)
    desk_browser.get("/staff/")  # both measured with the session known (web/sessions.py)
    with CaptureQueriesContext(connection) as short:
        desk_browser.get(f"/staff/clients/{cast.bruno.pk}/")
    more = visits(cast, cast.olivia, 30, hour=14)
    with CaptureQueriesContext(connection) as long:
        response = desk_browser.get(f"/staff/clients/{cast.olivia.pk}/")

    assert len(long) == len(short), [q["sql"] for q in long]
    (course,) = response.context["o"].courses
    assert (course["done"], course["treatment"]) == (len(more), cast.world.treatment)
