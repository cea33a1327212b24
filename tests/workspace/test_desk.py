"""The front desk's actions from the client page (workspace/views/desk.py): cancel with a
reason, no-show, add a client, edit the client's and an appointment's notes; the hint when
the same treatment is booked on the day before or after another; and who may do each
(the permission matrix of test_permissions.py, for these pages).
"""

from datetime import timedelta

import pytest
import time_machine

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from clinic.models import AuditEntry, Client
from diary.services import appointment_book, appointment_cancel
from tests import factories
from tests.workspace.conftest import PERSONAS, TODAY, london
from tests.workspace.test_permissions import PAGE_OUTSIDERS, Row, call

TOMORROW = TODAY + timedelta(days=1)

DESK_PAGES = [
    Row(
        "cancel page",
        "get",
        lambda c: f"/staff/appointments/{c.olivia_visit.reference}/cancel/",
        200,
        403,
        200,
    ),
    Row(
        "cancel",
        "post",
        lambda c: f"/staff/appointments/{c.bruno_visit.reference}/cancel/",
        302,
        403,
        302,
        data=lambda c: {"reason": "Client phoned: unwell."},
    ),
    Row("new client page", "get", lambda c: "/staff/clients/new/", 200, 403, 200),
    Row(
        "add a client",
        "post",
        lambda c: "/staff/clients/new/",
        302,
        403,
        302,
        data=lambda c: {"name": "Hana Sato", "email": "hana@example.com"},
    ),
    Row(
        "client notes page",
        "get",
        lambda c: f"/staff/clients/{c.olivia.pk}/notes/",
        200,
        403,
        200,
    ),
    Row(
        "client notes",
        "post",
        lambda c: f"/staff/clients/{c.bruno.pk}/notes/",
        302,
        403,
        302,
        data=lambda c: {"notes": "Prefers mornings."},
    ),
    Row(
        "appointment notes",
        "post",
        lambda c: f"/staff/appointments/{c.olivia_visit.reference}/notes/",
        302,
        403,
        302,
        data=lambda c: {"notes": "Bring the consent form."},
    ),
    Row("merge page", "get", lambda c: f"/staff/clients/{c.olivia.pk}/merge/", 403, 403, 200),
    Row(
        "merge",
        "post",
        lambda c: f"/staff/clients/{c.olivia.pk}/merge/",
        403,
        403,
        302,
        data=lambda c: {"duplicate": c.bruno.pk},
    ),
    Row("outbox", "get", lambda c: "/staff/outbox/?show=sent", 200, 403, 200),
    Row(
        "retry a message",
        "post",
        lambda c: f"/staff/outbox/{c.olivia_visit.messages.first().pk}/retry/",
        302,
        403,
        302,
    ),
    # The admin the README promises managers: the diary, the clients, the messages.
    Row(
        "admin: appointments",
        "get",
        lambda c: "/admin/bookings/appointment/",
        403,
        403,
        200,
        others={"client": 302},
    ),
    Row(
        "admin: clients",
        "get",
        lambda c: "/admin/clinic/client/",
        403,
        403,
        200,
        others={"client": 302},
    ),
    Row(
        "admin: messages",
        "get",
        lambda c: "/admin/aftercare/message/",
        200,
        403,
        200,
        others={"client": 302},
    ),
]


@pytest.fixture
def noon(cast):
    with time_machine.travel(london(TODAY, 12), tick=False):
        yield cast


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", DESK_PAGES, ids=lambda r: r.name)
def test_pages(noon, row, persona):
    response = call(noon.browser(persona), row, noon)

    assert response.status_code == row.expected(persona, PAGE_OUTSIDERS), response.content[:300]
    if persona == "anonymous" and row.url(noon).startswith("/staff/"):
        assert response["Location"].startswith("/staff/login/?next=")


@pytest.fixture
def tomorrow_visit(cast):
    return appointment_book(
        treatment=cast.world.treatment,
        start=london(TOMORROW, 14),
        client=cast.bruno,
        practitioner=cast.ben,
        by=cast.users["desk"],
    ).appointment


# -- cancel and no-show ------------------------------------------------------------------------


def test_the_desk_cancels_from_the_client_page_with_a_reason(cast, tomorrow_visit):
    desk = cast.browser("desk")
    page = desk.get(f"/staff/clients/{cast.bruno.pk}/").content.decode()
    cancel_url = f"/staff/appointments/{tomorrow_visit.reference}/cancel/"
    assert cancel_url in page

    form = desk.get(cancel_url).content.decode()
    assert 'name="reason"' in form and "Cancel this appointment" in form

    response = desk.post(
        cancel_url, {"reason": "Client phoned: unwell.", "next": f"/staff/clients/{cast.bruno.pk}/"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/staff/clients/{cast.bruno.pk}/"
    tomorrow_visit.refresh_from_db()
    assert tomorrow_visit.status == Appointment.Status.CANCELLED
    change = tomorrow_visit.changes.get(action=AppointmentChange.Action.CANCELLED)
    assert change.reason == "Client phoned: unwell."
    assert change.by == cast.users["desk"]
    # The client is told, through the outbox, that the clinic cancelled.
    notice = tomorrow_visit.messages.get(kind=Message.Kind.CANCELLATION)
    assert notice.status == Message.Status.PENDING and notice.data["by_clinic"] is True
    after = desk.get(f"/staff/clients/{cast.bruno.pk}/").content.decode()
    assert f"Cancelled {tomorrow_visit.reference}" in after


def test_a_cancel_needs_a_reason_and_a_plain_one(cast, tomorrow_visit):
    desk = cast.browser("desk")
    url = f"/staff/appointments/{tomorrow_visit.reference}/cancel/"

    empty = desk.post(url, {"reason": "  "})
    hidden = desk.post(url, {"reason": "unwell\u202e"})

    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    assert hidden.status_code == 200 and "control or formatting" in hidden.content.decode()
    tomorrow_visit.refresh_from_db()
    assert tomorrow_visit.status == Appointment.Status.CONFIRMED


def test_a_cancelled_appointment_is_not_cancelled_twice(cast, tomorrow_visit):
    desk = cast.browser("desk")
    url = f"/staff/appointments/{tomorrow_visit.reference}/cancel/"
    desk.post(url, {"reason": "Unwell."})

    again = desk.post(url, {"reason": "Unwell."}, follow=True)

    assert "is cancelled and cannot be cancelled" in again.content.decode()
    assert tomorrow_visit.changes.filter(action=AppointmentChange.Action.CANCELLED).count() == 1


def test_a_practitioner_cannot_cancel_even_their_own_appointment(cast):
    pat = cast.browser("pat")
    url = f"/staff/appointments/{cast.olivia_visit.reference}/cancel/"

    assert pat.post(url, {"reason": "Mine."}).status_code == 403
    assert Appointment.objects.get(pk=cast.olivia_visit.pk).status == "confirmed"


def test_no_show_from_the_client_page_comes_back_to_it(noon):
    desk = noon.browser("desk")
    client_page = f"/staff/clients/{noon.olivia.pk}/"
    page = desk.get(client_page).content.decode()
    no_show = f"/staff/appointments/{noon.olivia_visit.reference}/no-show/"
    assert no_show in page  # the 10:00 visit has started: completed or no-show

    response = desk.post(no_show, {"next": client_page})

    assert response.status_code == 302 and response["Location"] == client_page
    assert Appointment.objects.get(pk=noon.olivia_visit.pk).status == "no_show"


# -- a new client ------------------------------------------------------------------------------


def test_the_desk_adds_a_client_and_the_audit_trail_says_so(cast):
    desk = cast.browser("desk")
    assert "/staff/clients/new/" in desk.get("/staff/clients/").content.decode()

    response = desk.post(
        "/staff/clients/new/",
        {
            "name": "Hana Sato",
            "email": "Hana@Example.com",
            "phone": "07911 123555",
            "notes": "Prefers Ben.",
        },
    )

    hana = Client.objects.get(email="Hana@Example.com")
    assert response["Location"] == f"/staff/clients/{hana.pk}/"
    assert (hana.name, hana.phone, hana.notes) == ("Hana Sato", "+447911123555", "Prefers Ben.")
    assert hana.home_clinic == cast.world.clinic and hana.user is not None  # their login
    entry = AuditEntry.objects.get(client=hana, action=AuditEntry.Action.CHANGE)
    assert entry.what == "client details" and entry.username == "desk"
    assert entry.details["fields"] == ["name", "email", "phone", "notes"]
    assert "Prefers Ben." not in str(entry.details)  # names the fields, not what they say


def test_an_email_on_record_is_not_a_second_client(cast):
    desk = cast.browser("desk")
    before = Client.objects.count()

    response = desk.post(
        "/staff/clients/new/", {"name": "Liv T", "email": "OLIVIA.TURNER@example.com"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This email already belongs to a client" in page
    assert f'href="/staff/clients/{cast.olivia.pk}/"' in page and "Olivia Turner" in page
    assert Client.objects.count() == before


# -- notes -------------------------------------------------------------------------------------


def test_client_notes_are_edited_shown_and_audited(cast):
    desk = cast.browser("desk")
    url = f"/staff/clients/{cast.olivia.pk}/notes/"
    assert url in desk.get(f"/staff/clients/{cast.olivia.pk}/").content.decode()

    desk.post(url, {"notes": "Prefers mornings.\nCall, don't text."})

    cast.olivia.refresh_from_db()
    assert cast.olivia.notes == "Prefers mornings.\nCall, don't text."
    page = desk.get(f"/staff/clients/{cast.olivia.pk}/").content.decode()
    assert "Prefers mornings.<br>Call, don&#x27;t text." in page
    entry = AuditEntry.objects.get(client=cast.olivia, what="client notes")
    assert entry.action == AuditEntry.Action.CHANGE and entry.details["fields"] == ["notes"]


def test_appointment_notes_are_edited_and_audited(cast, tomorrow_visit):
    desk = cast.browser("desk")
    url = f"/staff/appointments/{tomorrow_visit.reference}/notes/"
    assert url in desk.get(f"/staff/clients/{cast.bruno.pk}/").content.decode()

    response = desk.post(url, {"notes": "Bring the consent form."})

    assert response["Location"] == f"/staff/clients/{cast.bruno.pk}/"
    tomorrow_visit.refresh_from_db()
    assert tomorrow_visit.notes == "Bring the consent form."
    assert tomorrow_visit.status == Appointment.Status.CONFIRMED
    entry = AuditEntry.objects.get(client=cast.bruno, what="appointment notes")
    assert entry.details["reference"] == tomorrow_visit.reference
    assert (
        "Bring the consent form." in desk.get(f"/staff/clients/{cast.bruno.pk}/").content.decode()
    )


# -- the same treatment one day after another --------------------------------------------------


def test_booking_the_same_treatment_the_day_after_another_gets_a_hint(cast, tomorrow_visit):
    desk = cast.browser("desk")
    slug = cast.world.treatment.slug
    day_after = TOMORROW + timedelta(days=1)

    next_day = desk.get(
        f"/staff/clients/{cast.bruno.pk}/book/?treatment={slug}&date={day_after}"
    ).content.decode()
    week_later = desk.get(
        f"/staff/clients/{cast.bruno.pk}/book/?treatment={slug}&date={TOMORROW + timedelta(days=7)}"
    ).content.decode()

    assert f"booked for the same treatment on {TOMORROW:%a %-d %b %Y}" in next_day
    assert "booked for the same treatment" not in week_later


def test_a_cancelled_booking_gives_no_hint(cast, tomorrow_visit):
    appointment_cancel(appointment=tomorrow_visit, by=cast.users["desk"])
    page = (
        cast.browser("desk")
        .get(
            f"/staff/clients/{cast.bruno.pk}/book/?treatment={cast.world.treatment.slug}"
            f"&date={TOMORROW + timedelta(days=1)}"
        )
        .content.decode()
    )

    assert "booked for the same treatment" not in page


def test_anonymising_a_client_clears_their_notes(cast):
    hana = factories.ClientFactory(clinic=cast.world.clinic, name="Hana Sato")
    Client.objects.filter(pk=hana.pk).update(notes="Lives at 3 Elm Row; prefers Ben.")

    cast.browser("mia").post(f"/staff/clients/{hana.pk}/anonymise/")

    hana.refresh_from_db()
    assert hana.notes == "" and hana.name.startswith("Anonymised client")
