"""The client's own space, /my/ (online/pages/mine.py): their appointments at every
organisation, the cancellation window told before they try, their health record (audited),
what the clinic asks of them next; who may see it (two clients at two organisations, staff,
anonymous); and the booking draft forgotten when someone signs in or out."""

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client as Browser
from django.urls import reverse

from aftercare.models import Message
from bookings.models import Appointment
from clinic.identity import client_login
from clinic.models import AuditEntry
from clinic.services import client_get_or_create
from diary import services
from tests import factories
from tests.conftest import open_every_day, works_every_day

LONDON = ZoneInfo("Europe/London")
MY = "/my/"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def book(treatment, start, client) -> Appointment:
    return services.appointment_book(treatment=treatment, start=start, client=client).appointment


def signed_in(email: str) -> Browser:
    browser = Browser()
    browser.force_login(client_login(email))
    return browser


def link(view: str, appointment: Appointment) -> str:
    return reverse(view, args=[appointment.reference, appointment.manage_token])


@pytest.fixture
def northside(world):
    """A second organisation with its own clinic, treatment and practitioner."""
    clinic = factories.ClinicFactory(
        slug="northside", name="Northside Skin Studio", phone="0161 496 0000"
    )
    open_every_day(clinic)
    factories.ResourceFactory(clinic=clinic, kind=world.room_kind, name="Studio")
    treatment = factories.TreatmentFactory(
        clinic=clinic, slug="northside-massage", name="Sculpting massage", kinds=[world.room_kind]
    )
    practitioner = factories.PractitionerFactory(
        clinic=clinic, name="Nina North", treatments=[treatment]
    )
    works_every_day(practitioner)
    return clinic, treatment


@pytest.fixture
def two_clients(world, northside):
    """Olivia books at both organisations (two client records, one login); Priya at the
    first only. Each has a record the other must never see."""
    _, north_treatment = northside
    olivia, _ = client_get_or_create(clinic=world.clinic, name="Olivia Turner", email="o@ex.com")
    olivia_north, _ = client_get_or_create(
        clinic=north_treatment.clinic, name="Olivia T", email="O@ex.com"
    )
    priya, _ = client_get_or_create(clinic=world.clinic, name="Priya Shah", email="p@ex.com")
    visits = {
        "olivia": book(world.treatment, at(date(2027, 3, 10), 10), olivia),
        "olivia_north": book(north_treatment, at(date(2027, 3, 11), 11), olivia_north),
        "priya": book(world.treatment, at(date(2027, 3, 12), 12), priya),
    }
    factories.InjectableRecordFactory(
        client=olivia, kind="botox", date=date(2026, 11, 2), areas=["forehead"], product="Azzalure"
    )
    factories.HealthDeclarationFactory(
        client=priya, condition="epilepsy", declared_on=date(2026, 12, 1)
    )
    return olivia, olivia_north, priya, visits


# --- Who may see it -----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_and_back(world):
    response = Browser().get(MY)

    assert response.status_code == 302
    assert response.url == "/account/sign-in/?next=/my/"


@pytest.mark.parametrize("kind", ["front desk", "no role", "superuser"])
def test_a_staff_account_has_no_client_space(world, kind):
    if kind == "superuser":
        user = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    else:
        user = factories.StaffFactory(username="dee", roles=None if kind == "front desk" else [])
    browser = Browser()
    browser.force_login(user)

    assert browser.get(MY).status_code == 404


def test_each_client_sees_their_own_and_nothing_of_anyone_else(two_clients):
    olivia, olivia_north, priya, visits = two_clients

    mine = text(signed_in("o@ex.com").get(MY))
    theirs = text(signed_in("p@ex.com").get(MY))

    # Olivia: both organisations, each appointment named by its clinic, her record.
    assert visits["olivia"].reference in mine and visits["olivia_north"].reference in mine
    assert "Lumière" in mine and "Northside Skin Studio" in mine
    assert "Botulinum toxin (Botox)" in mine and "Azzalure" in mine
    assert visits["priya"].reference not in mine and "Epilepsy" not in mine
    # Priya: hers alone.
    assert visits["priya"].reference in theirs and "Epilepsy" in theirs
    for other in (visits["olivia"], visits["olivia_north"]):
        assert other.reference not in theirs and other.manage_token not in theirs
    assert "Azzalure" not in theirs and "Northside" not in theirs


def test_nothing_in_the_request_chooses_whose_space_it_is(two_clients):
    _, _, priya, visits = two_clients
    browser = signed_in("o@ex.com")

    response = browser.get(f"{MY}?client={priya.pk}&user={priya.user_id}")

    assert visits["priya"].reference not in text(response)


# --- Appointments and the cancellation window ------------------------------------------------


def test_upcoming_appointments_say_until_when_they_can_be_changed(two_clients):
    _, _, _, visits = two_clients
    appointment = visits["olivia"]  # Wednesday 10 March, 10:00; the window is 24 hours

    response = signed_in("o@ex.com").get(MY)
    page = response.content.decode()

    assert "Free to move or cancel online until Tuesday 9 March at 10:00" in text(response)
    assert f'href="{link("online:reschedule", appointment)}"' in page
    assert f'href="{link("online:cancel", appointment)}"' in page
    # Each in its own clinic's time: Northside's at 11:00 on Thursday 11 March.
    assert "Thursday 11 March 2027 at 11:00" in text(response)


def test_inside_the_window_the_page_says_so_and_offers_no_change(world):
    client, _ = client_get_or_create(clinic=world.clinic, name="Rae", email="rae@ex.com")
    soon = book(world.treatment, at(date(2027, 3, 1), 15), client)  # in seven hours

    response = signed_in("rae@ex.com").get(MY)
    words = text(response)

    assert "Inside the 24-hour cancellation window" in words
    assert "can no longer be moved or cancelled online" in words
    assert "020 7946 0000" in words  # the clinic's phone, to call instead
    assert link("online:cancel", soon) not in response.content.decode()
    assert link("online:reschedule", soon) not in response.content.decode()


def test_past_and_cancelled_appointments_are_listed_apart(world):
    client, _ = client_get_or_create(clinic=world.clinic, name="Sam", email="sam@ex.com")
    with time_machine.travel(datetime(2027, 2, 1, 8, tzinfo=UTC), tick=False):
        before = book(world.treatment, at(date(2027, 2, 8), 10), client)
    Appointment.objects.filter(pk=before.pk).update(status=Appointment.Status.COMPLETED)
    dropped = book(world.treatment, at(date(2027, 3, 20), 10), client)
    services.appointment_cancel(appointment=dropped)

    words = text(signed_in("sam@ex.com").get(MY))
    upcoming, past = words.split("Past and cancelled", 1)

    assert "Nothing booked at the moment" in upcoming
    assert "8 Feb 2027" in past and "Completed" in past
    assert "20 Mar 2027" in past and "Cancelled" in past


# --- The health record, audited ---------------------------------------------------------------


def test_seeing_the_record_writes_one_audit_entry_naming_each_record(two_clients):
    olivia, olivia_north, _, _ = two_clients

    signed_in("o@ex.com").get(MY, HTTP_USER_AGENT="Phone browser")

    [entry] = AuditEntry.objects.filter(what="own record")
    assert entry.client_ids() == sorted([olivia.pk, olivia_north.pk])
    assert entry.action == AuditEntry.Action.VIEW and entry.via == "pages"
    assert entry.user_id == olivia.user_id and entry.path == MY
    assert entry.user_agent == "Phone browser" and entry.clinic_id is None


def test_the_record_shows_injectables_and_conditions_with_their_dates(two_clients):
    _, _, priya, _ = two_clients
    factories.InjectableRecordFactory(
        client=priya, kind="filler", date=date(2027, 1, 4), areas=["cheeks", "jawline"]
    )

    words = text(signed_in("p@ex.com").get(MY))

    assert "Dermal filler , 4 January 2027: Cheeks, Jawline (Juvederm Voluma)" in words
    assert "Epilepsy , since 1 December 2026" in words


# --- What the clinic asks next ----------------------------------------------------------------


def test_a_record_that_now_refuses_the_date_asks_to_move_it_from_the_earliest_date(world):
    client, _ = client_get_or_create(clinic=world.clinic, name="Ann", email="ann@ex.com")
    appointment = book(world.treatment, at(date(2027, 3, 10), 10), client)
    factories.InjectableRecordFactory(client=client, kind="filler", date=date(2027, 3, 1))

    response = signed_in("ann@ex.com").get(MY)
    words = text(response)
    asks = words.split("What the clinic asks of you next", 1)[1].split("Coming up", 1)[0]

    assert "Please wait at least two weeks after filler" in asks
    assert "The earliest date for this treatment is Monday 15 March" in asks
    move = f"{link('online:reschedule', appointment)}?day=2027-03-15"
    assert f'href="{move}"' in response.content.decode()


def test_warnings_and_the_health_questions_are_asked_before_the_visit(world):
    client, _ = client_get_or_create(clinic=world.clinic, name="Bea", email="bea@ex.com")
    book(world.treatment, at(date(2027, 3, 10), 10), client)
    factories.InjectableRecordFactory(client=client, kind="botox", date=date(2027, 2, 20))

    words = text(signed_in("bea@ex.com").get(MY))

    assert "Your practitioner will go through this with you" in words
    assert "ideally four" in words
    assert "tell Lumière if anything has changed since you booked" in words
    assert "dermal filler" in words and "botulinum toxin (botox)" in words


def test_a_course_asks_for_the_next_session(world):
    world.treatment.course_sessions = 6
    world.treatment.rebook_after_days = 14
    world.treatment.save()
    client, _ = client_get_or_create(clinic=world.clinic, name="Cy", email="cy@ex.com")
    with time_machine.travel(datetime(2027, 2, 1, 8, tzinfo=UTC), tick=False):
        first = book(world.treatment, at(date(2027, 2, 22), 10), client)
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.COMPLETED)

    response = signed_in("cy@ex.com").get(MY)

    assert "You have had 1 of the 6 sessions of the course (5 to go)" in text(response)
    assert "booking the next one from Monday 8 March" in text(response)
    assert "manual-facial-massage/?day=2027-03-08" in response.content.decode()


# --- The booking draft ends with the person ----------------------------------------------------


def test_a_refused_booking_s_draft_is_gone_when_another_person_signs_in(world):
    start = at(date(2027, 3, 3), 10)
    browser = Browser()
    answers = {
        "start": start.isoformat(),
        "name": "Dana Previous",
        "email": "dana@example.com",
        "phone": "07911 123123",
        "had_injectable": "yes",
        "injectable-TOTAL_FORMS": "2",
        "injectable-INITIAL_FORMS": "0",
        "injectable-MIN_NUM_FORMS": "0",
        "injectable-MAX_NUM_FORMS": "2",
        "injectable-0-kind": "botox",
        "injectable-0-date": "2027-02-25",
    }
    slug = world.treatment.slug
    browser.post(reverse("online:details", args=[slug]), answers)
    refused = browser.post(reverse("online:confirm", args=[slug]), {"start": start.isoformat()})
    assert refused.url == reverse("online:sorry", args=[slug])  # refused: too soon after Botox
    assert browser.session.get("booking_draft")  # still there for Dana to fix her answers

    # Someone else signs in on the same browser, by the code sent to them.
    client_get_or_create(clinic=world.clinic, name="Eve Next", email="eve@example.com")
    browser.post("/account/sign-in/", {"email": "eve@example.com"})
    code = Message.objects.get(to="eve@example.com", kind=Message.Kind.SIGN_IN_CODE).data["code"]
    browser.post("/account/sign-in/code/", {"code": code})
    assert SESSION_KEY in browser.session

    assert "booking_draft" not in browser.session and "booking_outcome" not in browser.session
    page = browser.get(f"{reverse('online:details', args=[slug])}?start={start.isoformat()}")
    words = text(page)
    assert "Dana" not in words and "07700 900123" not in words and "2027-02-25" not in words


def test_signing_out_forgets_the_draft_too(world):
    browser = signed_in("someone@example.com")
    session = browser.session
    session["booking_draft"] = {"treatment": world.treatment.slug, "answers": {"name": ["X"]}}
    session.save()

    browser.post("/account/sign-out/")

    assert "booking_draft" not in browser.session and SESSION_KEY not in browser.session


def test_the_sign_in_pages_read_the_same_for_a_client_and_an_unknown_address(world):
    client_get_or_create(clinic=world.clinic, name="Kim", email="kim@example.com")

    def pages(email):
        browser = Browser()
        asked = browser.post("/account/sign-in/", {"email": email}, follow=True)
        return text(asked).replace(email, "<address>")

    known, unknown = pages("kim@example.com"), pages("nobody@example.com")

    assert known == unknown
    assert "Check your email" in known and "If you have booked with that address" in known


def test_the_pages_queries_do_not_grow_with_the_bookings_to_come(world):
    """Each booking to come asks the rules what the clinic wants to know before the visit;
    the answer is the treatment's, read once per treatment, not once per booking."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few, _ = client_get_or_create(clinic=world.clinic, name="Few", email="few@ex.com")
    many, _ = client_get_or_create(clinic=world.clinic, name="Many", email="many@ex.com")
    for day in range(2, 4):
        book(world.treatment, at(date(2027, 3, day), 10), few)
    for day in range(2, 14):
        book(world.treatment, at(date(2027, 3, day), 14), many)

    counts = {}
    for email in ("few@ex.com", "many@ex.com"):
        browser = signed_in(email)
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(MY)
        assert response.status_code == 200
        counts[email] = len(queries)

    assert counts["many@ex.com"] == counts["few@ex.com"], counts
    assert text(response).count("tell Lumière if anything has changed") == 12
