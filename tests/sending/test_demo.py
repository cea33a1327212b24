"""The demo: seed_demo's bookings have their messages planned, and sending them with the
development (console) backend prints them, as the worker does under `make run`."""

from io import StringIO

import pytest
from django.core.management import call_command

from aftercare.models import Message
from aftercare.outbox import claim_due
from bookings.models import Appointment
from clinic.models import Treatment
from tests.helpers import send_one


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_bookings_are_confirmed_on_the_console(db, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    call_command("seed_demo", stdout=StringIO())
    appointments = Appointment.objects.all()
    assert appointments.exists()
    for appointment in appointments:
        assert appointment.messages.filter(kind=Message.Kind.CONFIRMATION).exists()
    assert Treatment.objects.get(slug="microcurrent-toning").course_sessions == 10

    for pk in claim_due(send=lambda ids: None):
        send_one(pk)

    printed = capsys.readouterr().out
    assert printed.count("Subject: Booked:") == appointments.count()
    assert "BEGIN:VCALENDAR" in printed or "appointment.ics" in printed
    assert (
        not Message.objects.filter(kind=Message.Kind.CONFIRMATION)
        .exclude(status=Message.Status.SENT)
        .exists()
    )
