"""One calendar event per booking, wherever its .ics comes from: the booking page's download,
the confirmation email, the "moved" email after a move, the cancellation email. The files
share one UID and count their revisions in SEQUENCE, so a calendar that took the event from
the page is moved and then emptied by the emails, and the other way round."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from aftercare.models import Message
from diary.services import appointment_book, appointment_cancel, appointment_reschedule
from sending.delivery import compose
from tests import factories

LONDON = ZoneInfo("Europe/London")


def london(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def event_of(ics: bytes) -> tuple[str, str, int, str]:
    """(METHOD, UID, SEQUENCE, STATUS) of a one-event calendar file."""
    calendar = icalendar.Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return (
        str(calendar["method"]),
        str(event["uid"]),
        int(event["sequence"]),
        str(event["status"]),
    )


def from_the_page(client, appointment) -> bytes:
    response = client.get(
        f"/booking/{appointment.reference}/{appointment.manage_token}/calendar.ics"
    )
    assert response.status_code == 200
    return response.content


def from_the_email(appointment, kind) -> bytes:
    message = appointment.messages.filter(kind=kind, status=Message.Status.PENDING).get()
    [(filename, content, mimetype)] = compose(message).attachments
    assert (filename, mimetype) == ("appointment.ics", "text/calendar")
    return content.encode() if isinstance(content, str) else content


@pytest.fixture
def booking(world):
    client = factories.ClientFactory(clinic=world.clinic, email="erin@example.com")
    return appointment_book(
        treatment=world.treatment, start=london(date(2027, 3, 4), 10), client=client
    ).appointment


def test_the_page_and_the_emails_describe_one_event(world, client, booking):
    desk = factories.StaffFactory(username="desk")
    page = from_the_page(client, booking)
    confirmation = from_the_email(booking, Message.Kind.CONFIRMATION)
    uid = f"{booking.reference}@127.0.0.1"  # the site's host (SITE_URL)
    assert event_of(page) == ("PUBLISH", uid, 0, "CONFIRMED")
    assert event_of(confirmation) == ("PUBLISH", uid, 0, "CONFIRMED")

    appointment_reschedule(appointment=booking, start=london(date(2027, 3, 5), 11), by=desk)
    booking.refresh_from_db()
    moved_page = from_the_page(client, booking)
    moved_email = from_the_email(booking, Message.Kind.MOVED)
    assert event_of(moved_page) == ("PUBLISH", uid, 1, "CONFIRMED")
    assert event_of(moved_email) == ("PUBLISH", uid, 1, "CONFIRMED")

    appointment_cancel(appointment=booking, by=desk)
    booking.refresh_from_db()
    cancellation = from_the_email(booking, Message.Kind.CANCELLATION)
    cancelled_page = from_the_page(client, booking)
    # Above every revision sent before, with the same UID: whichever file a calendar took
    # the event from, this one removes it.
    assert event_of(cancellation) == ("CANCEL", uid, 2, "CANCELLED")
    assert event_of(cancelled_page) == ("CANCEL", uid, 2, "CANCELLED")


def test_the_uid_does_not_depend_on_the_host_the_page_was_asked_on(world, client, booking):
    asked_as_localhost = client.get(
        f"/booking/{booking.reference}/{booking.manage_token}/calendar.ics",
        HTTP_HOST="localhost",
    ).content

    assert event_of(asked_as_localhost)[1] == event_of(from_the_page(client, booking))[1]
