"""The acceptance tests of issue 4, end to end: a real Celery worker (with its beat, so also a
dispatcher) in a subprocess, a private redis-server and an SMTP server on loopback, all on the
test database. Due times are in the real present; a test that needs "later" moves a row's due
time to now, as the passing of time would."""

import time
from datetime import datetime, timedelta
from datetime import time as clock

import icalendar
import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from aftercare.models import Message
from aftercare.outbox import claim_due
from aftercare.services import unsubscribe_token
from config.celery import app as celery_app
from diary.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_reschedule,
)
from sending.tasks import send_messages
from tests import factories
from tests.aftercare.test_outbox import make_messages
from tests.conftest import open_every_day, works_every_day
from tests.helpers import as_owner
from tests.loopback import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

SETTLE_SECONDS = 1.5  # a dispatcher tick and a send: time for a duplicate to show up


class Live:
    """A clinic in the present: open 07:00-21:00 every day, one practitioner, a microcurrent
    treatment sold as a course, and front-desk staff."""

    def __init__(self):
        self.clinic = factories.ClinicFactory(
            slug="lumiere-live", name="Lumière", email="frontdesk@lumiere.example.com"
        )
        open_every_day(self.clinic, opens=clock(7), closes=clock(21))
        self.treatment = factories.TreatmentFactory(
            clinic=self.clinic,
            slug="microcurrent-toning",
            name="Microcurrent toning facial",
            category="microcurrent",
            rebook_after_days=14,
            course_sessions=10,
        )
        practitioner = factories.PractitionerFactory(
            clinic=self.clinic, name="Priya Shah", treatments=[self.treatment]
        )
        works_every_day(practitioner, starts=clock(7), ends=clock(21))
        self.desk = factories.StaffFactory(username="desk")

    def at(self, days: int, hour: int) -> datetime:
        """`hour` o'clock local, `days` days from today: days=2 is always over 24 hours ahead."""
        today = timezone.localdate(timezone=self.clinic.tzinfo)
        return datetime.combine(today + timedelta(days=days), clock(hour), self.clinic.tzinfo)

    def book(self, client, start):
        return appointment_book(
            treatment=self.treatment, start=start, client=client, by=self.desk
        ).appointment

    def client(self, name):
        first = name.split()[0].lower()
        return factories.ClientFactory(clinic=self.clinic, name=name, email=f"{first}@example.com")


@pytest.fixture
def live(worker, smtp_server):
    smtp_server.clear()
    yield Live()
    smtp_server.clear()
    # The worker must be done with this test's rows before the database is emptied.
    wait_until(
        lambda: not Message.objects.filter(status=Message.Status.SENDING).exists(),
        timeout=30,
        what="in-flight sends to finish",
    )


def delivered(smtp_server, message: Message) -> list:
    return smtp_server.for_outbox(message.pk)


def wait_delivered(smtp_server, message: Message, timeout: float = 30):
    return wait_until(
        lambda: delivered(smtp_server, message),
        timeout=timeout,
        what=f"{message.kind} {message.pk}",
    )


def settle(private_redis):
    """Wait until nothing is claimed or queued, then a little longer: a duplicate send
    would arrive in that time."""
    wait_until(
        lambda: (
            not Message.objects.filter(status=Message.Status.SENDING).exists()
            and private_redis.queue_length() == 0
        ),
        timeout=30,
        what="the outbox and the queue to be idle",
    )
    time.sleep(SETTLE_SECONDS)


def text_of(received) -> str:
    return received.get_body(("plain",)).get_content()


def due_now(messages) -> None:
    """Time passes: these messages are due."""
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(due_at=timezone.now())


def test_a_booking_sends_exactly_one_confirmation_with_a_matching_calendar_file(
    live, smtp_server, private_redis
):
    body = {
        "treatment": live.treatment.slug,
        "start": live.at(2, 10).isoformat(),
        "client": {"name": "Olivia Turner", "email": "olivia@example.com"},
    }
    response = as_owner(APIClient(), body).post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 201, response.content
    confirmation = Message.objects.get(kind=Message.Kind.CONFIRMATION)

    wait_delivered(smtp_server, confirmation)
    settle(private_redis)

    [received] = smtp_server.messages  # the reminder is not due for another day
    assert received["To"] == "olivia@example.com"
    [ics] = [p for p in received.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    appointment = confirmation.appointment
    assert event.decoded("dtstart") == appointment.start == live.at(2, 10)
    assert event.decoded("dtend") == appointment.end == live.at(2, 10) + timedelta(minutes=60)
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (Message.Status.SENT, 1)


def test_completing_an_appointment_sends_the_treatment_s_aftercare(
    live, smtp_server, private_redis
):
    appointment = live.book(live.client("Hannah Okafor"), live.at(2, 11))
    wait_delivered(smtp_server, appointment.messages.get(kind=Message.Kind.CONFIRMATION))

    appointment_complete(appointment=appointment, by=live.desk, now=appointment.end)

    aftercare = appointment.messages.get(kind=Message.Kind.AFTERCARE)
    [received] = wait_delivered(smtp_server, aftercare)
    assert received["Subject"] == "Caring for your skin after your Microcurrent toning facial"
    text = text_of(received)
    assert "oil-free" in text and "five minutes a day after moisturising" in text
    settle(private_redis)
    assert len(smtp_server.messages) == 2  # confirmation and aftercare
    assert appointment.messages.get(kind=Message.Kind.REMINDER).status == Message.Status.CANCELLED
    assert (
        appointment.messages.get(kind=Message.Kind.FOLLOW_UP).status == Message.Status.PENDING
    )  # in 2 days


def test_a_reminder_cancelled_before_it_is_due_is_never_sent(live, smtp_server, private_redis):
    kept = live.book(live.client("Olivia Turner"), live.at(2, 10))
    cancelled = live.book(live.client("James Whitfield"), live.at(2, 12))
    wait_until(lambda: len(smtp_server.messages) == 2, timeout=30, what="both confirmations")

    appointment_cancel(appointment=cancelled, by=live.desk)
    due_now(Message.objects.filter(kind=Message.Kind.REMINDER))  # the day before has come

    wait_delivered(smtp_server, kept.messages.get(kind=Message.Kind.REMINDER))
    settle(private_redis)
    reminder = cancelled.messages.get(kind=Message.Kind.REMINDER)
    assert delivered(smtp_server, reminder) == []
    assert reminder.status == Message.Status.CANCELLED
    # Two confirmations, one reminder, and the cancellation James must not miss.
    assert len(smtp_server.messages) == 4


def test_a_client_whose_appointment_the_clinic_cancels_is_told_and_their_calendar_updated(
    live, smtp_server, private_redis
):
    appointment = live.book(live.client("Amira Haddad"), live.at(2, 10))
    [confirmation] = wait_delivered(
        smtp_server, appointment.messages.get(kind=Message.Kind.CONFIRMATION)
    )

    appointment_cancel(appointment=appointment, by=live.desk)

    [received] = wait_delivered(
        smtp_server, appointment.messages.get(kind=Message.Kind.CANCELLATION)
    )
    assert received["Subject"].startswith("Cancelled: ")
    assert "has been cancelled by the clinic" in received.get_body(("plain",)).get_content()
    assert "List-Unsubscribe" not in received  # essential: about their own booking

    def event_of(email):
        [ics] = [p for p in email.iter_attachments() if p.get_content_type() == "text/calendar"]
        calendar = icalendar.Calendar.from_ical(ics.get_content())
        [event] = calendar.walk("VEVENT")
        return calendar, event

    _, booked_event = event_of(confirmation)
    calendar, event = event_of(received)
    assert (calendar["method"], event["status"]) == ("CANCEL", "CANCELLED")
    assert event["uid"] == booked_event["uid"]
    assert event["sequence"] > booked_event["sequence"]
    settle(private_redis)
    assert len(smtp_server.messages) == 2


def test_rescheduling_sends_the_reminder_for_the_new_time_only(live, smtp_server, private_redis):
    first, second = live.at(2, 10), live.at(3, 15)
    appointment = live.book(live.client("Charlotte Davies"), first)
    wait_delivered(smtp_server, appointment.messages.get(kind=Message.Kind.CONFIRMATION))

    appointment_reschedule(appointment=appointment, start=second, by=live.desk)

    [reminder] = appointment.messages.filter(
        kind=Message.Kind.REMINDER, status=Message.Status.PENDING
    )
    assert reminder.due_at == second - timedelta(hours=24)
    moved = appointment.messages.get(kind=Message.Kind.MOVED)
    [received] = wait_delivered(smtp_server, moved)
    assert received["Subject"].startswith("Moved: ")  # never a second "Booked"
    [ics] = [p for p in received.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert (event.decoded("dtstart"), event["sequence"]) == (second, 1)

    due_now([reminder])

    [received] = wait_delivered(smtp_server, reminder)
    settle(private_redis)
    reminders = [m for m in smtp_server.messages if m["Subject"].startswith("Reminder")]
    assert reminders == [received]
    local = second.astimezone(live.clinic.tzinfo)
    assert f"{local:%A} {local.day} {local:%B %Y} at 15:00" in text_of(received)
    assert appointment.messages.get(key__endswith=":reminder").status == Message.Status.CANCELLED


def test_unsubscribed_clients_get_booking_emails_but_no_aftercare_or_nudges(
    live, smtp_server, private_redis
):
    olivia, hannah = live.client("Olivia Turner"), live.client("Hannah Okafor")  # hannah: control
    response = Browser().post(
        reverse("aftercare:unsubscribe", kwargs={"token": unsubscribe_token(olivia)})
    )
    assert response.status_code == 200
    visits = [live.book(olivia, live.at(2, 10)), live.book(hannah, live.at(2, 12))]
    due_now(Message.objects.filter(kind=Message.Kind.REMINDER))
    wait_until(lambda: len(smtp_server.messages) == 4, timeout=30, what="confirmations, reminders")

    for visit in visits:
        appointment_complete(appointment=visit, by=live.desk, now=visit.end)
    # A nudge that raced the unsubscribe and was planned anyway: dropped when due.
    [raced] = Message.objects.bulk_create(
        [
            Message(
                key="raced",
                clinic=live.clinic,
                client=olivia,
                appointment=visits[0],
                treatment=live.treatment,
                kind=Message.Kind.REBOOK,
                due_at=timezone.now(),
                data={"days_since": 14},
            )
        ]
    )
    due_now(
        Message.objects.filter(kind__in=[Message.Kind.FOLLOW_UP, Message.Kind.REBOOK])
    )  # days later

    def hannah_has_all():
        kinds = [m["Subject"] for m in smtp_server.messages if m["To"] == "hannah@example.com"]
        return len(kinds) == 5  # confirmation, reminder, aftercare, follow-up, nudge

    wait_until(hannah_has_all, timeout=30, what="the control client's five emails")
    wait_until(
        lambda: Message.objects.get(pk=raced.pk).status == Message.Status.CANCELLED,
        timeout=30,
        what="the raced nudge to be dropped",
    )
    settle(private_redis)
    to_olivia = [m["Subject"] for m in smtp_server.messages if m["To"] == "olivia@example.com"]
    assert sorted(subject.split(":")[0] for subject in to_olivia) == ["Booked", "Reminder"]
    assert not Message.objects.filter(
        client=olivia, kind__in=[Message.Kind.AFTERCARE, Message.Kind.FOLLOW_UP]
    ).exists()


def test_a_refusing_smtp_server_means_retries_then_delivery(live, smtp_server, private_redis):
    smtp_server.refuse = "451 4.3.0 Mailbox busy, try again later"
    appointment = live.book(live.client("Aisha Rahman"), live.at(2, 10))
    confirmation = appointment.messages.get(kind=Message.Kind.CONFIRMATION)

    def retried():
        confirmation.refresh_from_db()
        return confirmation.attempts >= 2 and confirmation.status == Message.Status.PENDING

    wait_until(retried, timeout=30, what="two refused attempts")
    assert "451" in confirmation.last_error
    smtp_server.refuse = None

    wait_delivered(smtp_server, confirmation)
    settle(private_redis)
    assert len(smtp_server.messages) == 1
    confirmation.refresh_from_db()
    assert confirmation.status == Message.Status.SENT


def test_after_n_failures_a_message_is_failed_shown_to_staff_and_can_be_retried(
    live, smtp_server, private_redis
):
    smtp_server.refuse = "451 4.3.0 Mailbox busy, try again later"
    appointment = live.book(live.client("James Whitfield"), live.at(2, 10))
    confirmation = appointment.messages.get(kind=Message.Kind.CONFIRMATION)

    wait_until(
        lambda: Message.objects.get(pk=confirmation.pk).status == Message.Status.FAILED,
        timeout=40,
        what="the message to fail",
    )
    confirmation.refresh_from_db()
    assert confirmation.attempts == 3  # AFTERCARE_MAX_ATTEMPTS for the worker
    staff = Browser()
    staff.force_login(factories.UserFactory(username="manager", is_staff=True, is_superuser=True))
    page = staff.get(reverse("admin:aftercare_message_changelist"), {"status": "failed"})
    assert b"Mailbox busy" in page.content
    assert b"James Whitfield" in page.content

    smtp_server.refuse = None
    staff.post(
        reverse("admin:aftercare_message_changelist"),
        {"action": "retry", "_selected_action": [confirmation.pk]},
    )

    wait_delivered(smtp_server, confirmation)
    settle(private_redis)
    assert len(smtp_server.messages) == 1


def test_two_dispatchers_and_two_workers_deliver_500_messages_once_each(
    live, smtp_server, private_redis, start_worker, worker
):
    since = worker.mark()
    second = start_worker("w2")  # with its own beat: a second dispatcher
    messages = make_messages(500, due_at=timezone.now())

    wait_until(
        lambda: Message.objects.filter(status=Message.Status.SENT).count() == 500,
        timeout=150,
        what="500 messages sent",
        interval=0.5,
    )
    settle(private_redis)

    assert smtp_server.outbox_counts() == {m.pk: 1 for m in messages}
    # Both dispatchers claimed and both workers sent: they really competed for the rows.
    assert worker.claims(since) > 0 and second.claims() > 0
    assert worker.claims(since) + second.claims() >= 500
    assert worker.sends(since) > 0 and second.sends() > 0
    second.stop()


def test_with_redis_stopped_bookings_succeed_and_every_due_message_goes_once_it_is_back(
    live, smtp_server, private_redis, settings
):
    private_redis.stop()
    for hour in (9, 10, 11, 12, 13):
        body = {
            "treatment": live.treatment.slug,
            "start": live.at(2, hour).isoformat(),
            "client": {"name": f"Client {hour}", "email": f"client{hour}@example.com"},
        }
        response = as_owner(APIClient(), body).post("/api/v1/appointments/", body, format="json")
        assert response.status_code == 201, response.content
    # Two claimed by a dispatcher whose queued tasks died with Redis's memory...
    settings.AFTERCARE_MAX_IN_FLIGHT = 2
    lost = claim_due(send=lambda ids: None)
    # ...and one a dispatcher failed to queue at all: it goes straight back to pending.
    settings.AFTERCARE_MAX_IN_FLIGHT = 3
    with celery_app.connection_for_write(private_redis.url) as broker:  # ours, and down
        [refused] = claim_due(
            send=lambda ids: send_messages.apply_async((ids,), connection=broker, retry=False)
        )
    assert Message.objects.get(pk=refused).status == Message.Status.PENDING
    assert set(Message.objects.filter(pk__in=lost).values_list("status", flat=True)) == {
        Message.Status.SENDING
    }

    private_redis.start()

    # By id: the sweeper moves the due time of what it gives back.
    due = Message.objects.filter(
        pk__in=list(Message.objects.filter(due_at__lte=timezone.now()).values_list("pk", flat=True))
    )
    assert due.count() == 5
    wait_until(
        lambda: due.filter(status=Message.Status.SENT).count() == 5,
        timeout=90,
        what="every due message after Redis came back",
        interval=0.5,
    )
    settle(private_redis)
    assert smtp_server.outbox_counts() == {m.pk: 1 for m in due}
    # Their tasks died with Redis before they began: given back, no attempt counted.
    for message in due.filter(pk__in=lost):
        assert "never handed to the SMTP server" in message.last_error
        assert message.attempts == 1
