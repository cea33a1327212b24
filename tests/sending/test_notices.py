"""The words of the rules in the emails (issue 18): the "you can book again" notice is checked
against the client's record when it is sent, says the day the rule allows and the day it
recommends (never "safe"), and course wording appears only for a treatment sold as a course.

The notice is planned as the refusal page plans it (aftercare.services) and delivered as the
worker delivers it (sending.delivery.messages_send) to the loopback SMTP server.
"""

import importlib
from datetime import date, timedelta

import pytest
import time_machine
from django.apps import apps as django_apps

from aftercare.models import Message, MessageTemplate
from aftercare.services import eligibility_notice_request
from diary.services import appointment_book, appointment_complete
from sending.content import DEFAULTS
from sending.delivery import render
from tests import factories
from tests.conftest import NOW, add_microcurrent
from tests.helpers import send_one

FILLER_DAY = date(2027, 2, 25)  # four days before NOW: massage refused until day 14
ALLOWED_ON = FILLER_DAY + timedelta(days=14)  # 11 March: allowed, with a warning
RECOMMENDED_ON = FILLER_DAY + timedelta(days=28)  # 25 March: no warning


@pytest.fixture
def olivia(world):
    client = factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")
    factories.InjectableRecordFactory(client=client, kind="filler", date=FILLER_DAY)
    return client


def notice(client, treatment, on: date) -> Message:
    eligibility_notice_request(client=client, treatment=treatment, eligible_on=on)
    return client.messages.get(kind=Message.Kind.ELIGIBLE, data__eligible_on=on.isoformat())


def deliver(message: Message, on: date) -> str:
    """Claim the notice and send it on the morning of `on`, as the beat and worker would."""
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=NOW, due_at=NOW
    )
    with time_machine.travel(f"{on.isoformat()} 08:00Z", tick=False):
        return send_one(message.pk)


def test_the_notice_says_the_day_allowed_and_the_day_recommended_never_safe(world, olivia, inbox):
    message = notice(olivia, world.treatment, ALLOWED_ON)

    assert deliver(message, ALLOWED_ON) == Message.Status.SENT

    [sent] = inbox.for_outbox(message.pk)
    text = sent.get_body(preferencelist=("plain",)).get_content()
    assert "From Thursday 11 March 2027, the wait after your recent injections allows" in text
    assert "We recommend waiting until Thursday 25 March 2027" in text
    assert "safe" not in text.lower()


def test_a_notice_for_the_recommended_day_itself_gives_no_second_day(world, olivia, inbox):
    message = notice(olivia, world.treatment, RECOMMENDED_ON)

    assert deliver(message, RECOMMENDED_ON) == Message.Status.SENT

    [sent] = inbox.for_outbox(message.pk)
    text = sent.get_body(preferencelist=("plain",)).get_content()
    assert "From Thursday 25 March 2027" in text and "recommend" not in text


def test_a_stale_notice_is_not_sent_and_one_is_planned_for_the_new_day(world, olivia, inbox):
    message = notice(olivia, world.treatment, ALLOWED_ON)
    # Ten days after the first, more filler, recorded by staff: the wait starts again.
    factories.InjectableRecordFactory(client=olivia, kind="filler", date=date(2027, 3, 7))

    assert deliver(message, ALLOWED_ON) == Message.Status.CANCELLED

    assert inbox.for_outbox(message.pk) == []
    dropped = Message.objects.get(pk=message.pk)
    assert "health record changed" in dropped.last_error
    assert "filler" not in dropped.last_error.lower()  # staff read it in the outbox
    later = olivia.messages.get(kind=Message.Kind.ELIGIBLE, status=Message.Status.PENDING)
    assert later.data == {"eligible_on": "2027-03-21"}  # 7 March + 14 days
    assert later.due_at.date() == date(2027, 3, 21)


def test_a_notice_made_stale_by_a_condition_is_dropped_with_none_planned(world, inbox):
    microcurrent = add_microcurrent(world)
    client = factories.ClientFactory(clinic=world.clinic, name="Hannah Price")
    factories.InjectableRecordFactory(client=client, kind="filler", date=FILLER_DAY)
    message = notice(client, microcurrent, ALLOWED_ON)
    factories.HealthDeclarationFactory(client=client, condition="pacemaker", declared_on=NOW)

    assert deliver(message, ALLOWED_ON) == Message.Status.CANCELLED

    assert inbox.for_outbox(message.pk) == []
    assert not client.messages.filter(status=Message.Status.PENDING).exists()


def test_a_notice_delivered_late_is_checked_for_the_day_it_is_sent(world, olivia, inbox):
    """Delivered after the record changed but once the new wait is over too: it goes."""
    message = notice(olivia, world.treatment, ALLOWED_ON)
    factories.InjectableRecordFactory(client=olivia, kind="filler", date=date(2027, 3, 7))

    assert deliver(message, date(2027, 4, 20)) == Message.Status.SENT
    assert not olivia.messages.filter(status=Message.Status.PENDING).exists()


# -- course wording only for courses ---------------------------------------------------------------


def aftercare_text(world, treatment) -> str:
    client = factories.ClientFactory(clinic=world.clinic)
    start = NOW.replace(day=4, hour=10)
    appointment = appointment_book(treatment=treatment, start=start, client=client).appointment
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        appointment_complete(appointment=appointment, by=None)
    return render(appointment.messages.get(kind=Message.Kind.AFTERCARE)).text


def test_a_single_session_treatment_s_aftercare_says_nothing_about_a_course(world):
    world.treatment.course_sessions, world.treatment.rebook_after_days = 1, 28
    world.treatment.save()

    text = aftercare_text(world, world.treatment)

    assert "course" not in text and "10 sessions" not in text
    assert "\n\n\n" not in text  # no empty paragraph where the sentence would have been


def test_a_course_s_aftercare_gives_its_own_count_and_cadence(world):
    world.treatment.course_sessions, world.treatment.rebook_after_days = 6, 14
    world.treatment.save()

    text = aftercare_text(world, world.treatment)

    assert "over a course of 6 sessions, about one every 2 weeks." in text
    assert "10 sessions" not in text


# -- the stored default templates follow -----------------------------------------------------------


def test_stored_templates_still_in_the_old_words_take_the_new_ones_and_edited_ones_stay(db):
    migration = importlib.import_module("aftercare.migrations.0009_notice_and_course_words")
    MessageTemplate.objects.filter(treatment=None).delete()
    MessageTemplate.objects.create(
        kind="eligible", subject="s", text=migration.OLD["eligible"], treatment=None
    )
    MessageTemplate.objects.create(
        kind="aftercare", subject="s", text="Our own words.", treatment=None
    )

    migration.forwards(django_apps, None)

    assert MessageTemplate.objects.get(kind="eligible").text == DEFAULTS["eligible"][1]
    assert "safe" not in MessageTemplate.objects.get(kind="eligible").text
    assert MessageTemplate.objects.get(kind="aftercare").text == "Our own words."
    assert migration.NEW["aftercare"] == DEFAULTS["aftercare"][1]
