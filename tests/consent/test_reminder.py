"""The reminder to sign, 48 hours before the visit: planned once with the booking, moved
with it, and dropped when it is due if the forms were signed by then."""

from datetime import timedelta

import time_machine
from django.test import Client as Browser

from access.roles import MANAGER
from aftercare.models import Message
from consent.models import FormRule, FormTemplate
from consent.planning import plan_forms_reminder
from consent.services import form_version_publish
from diary.services import appointment_book, appointment_reschedule
from tests import factories
from tests.consent.conftest import FRIDAY, at
from tests.helpers import send_one


def reminders(visit):
    return Message.objects.filter(appointment=visit, kind=Message.Kind.FORMS_DUE)


def due_now(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)


def test_a_booking_with_forms_to_sign_plans_one_reminder_48_hours_before(visit):
    plan_forms_reminder(visit)  # planning the same thing again adds nothing

    [reminder] = reminders(visit)
    assert reminder.due_at == visit.start - timedelta(hours=48)
    assert reminder.status == Message.Status.PENDING


def test_a_booking_with_nothing_to_sign_plans_none(world, olivia):
    visit = appointment_book(treatment=world.treatment, start=at(FRIDAY, 10), client=olivia)

    assert not reminders(visit.appointment).exists()


def test_the_reminder_goes_if_still_unsigned_with_the_forms_link(visit, inbox):
    [reminder] = reminders(visit)
    with time_machine.travel(reminder.due_at, tick=False):
        due_now(reminder)
        assert send_one(reminder.pk) == Message.Status.SENT

    [received] = inbox.for_outbox(reminder.pk)
    body = received.get_body(("plain",)).get_content()
    assert f"/booking/{visit.reference}/{visit.manage_token}/forms/" in body


def test_the_reminder_is_dropped_if_the_forms_are_signed_by_then(visit, inbox):
    [reminder] = reminders(visit)
    factories.form_signed(visit)

    with time_machine.travel(reminder.due_at, tick=False):
        due_now(reminder)
        assert send_one(reminder.pk) == Message.Status.CANCELLED

    reminder.refresh_from_db()
    assert reminder.last_error == "The forms were signed before the reminder was due."
    assert inbox.for_outbox(reminder.pk) == []


def test_a_move_cancels_the_old_reminder_and_plans_one_for_the_new_time(visit):
    moved = appointment_reschedule(appointment=visit, start=at(FRIDAY + timedelta(days=1), 11))

    old, new = reminders(visit).order_by("pk")
    assert old.status == Message.Status.CANCELLED
    assert new.due_at == moved.appointment.start - timedelta(hours=48)
    assert new.status == Message.Status.PENDING


def test_a_booking_closer_than_48_hours_gets_no_reminder(world, form, olivia):
    visit = appointment_book(
        treatment=world.treatment, start=at(FRIDAY - timedelta(days=3), 15), client=olivia
    ).appointment

    assert visit.start - timedelta(hours=48) < at(FRIDAY - timedelta(days=4), 9)
    assert not reminders(visit).exists()


def test_a_rule_added_after_the_booking_plans_the_reminder_it_would_have(world, olivia):
    """Booked before the clinic asked for a form: completing it will be refused until it is
    signed, so the client is reminded as a booking made today would be (admin and code)."""
    visit = appointment_book(
        treatment=world.treatment, start=at(FRIDAY, 10), client=olivia
    ).appointment
    assert not reminders(visit).exists()
    mia = Browser()
    mia.force_login(factories.StaffFactory(username="mia", roles=[MANAGER]))
    template = FormTemplate.objects.create(
        organisation=world.clinic.organisation, name="Massage consent"
    )
    form_version_publish(template=template, title="Massage consent", text="I agree.", questions=[])

    mia.post(
        "/admin/consent/formrule/add/",
        {
            "organisation": world.clinic.organisation_id,
            "template": template.pk,
            "treatment": world.treatment.pk,
            "category": "",
            "valid_days": "",
            "new_version_needs_signature": "on",
        },
    )

    [reminder] = reminders(visit)
    assert reminder.due_at == visit.start - timedelta(hours=48)


def test_a_new_version_to_sign_again_reminds_those_who_signed_the_old_one(visit):
    factories.form_signed(visit)
    Message.objects.filter(kind=Message.Kind.FORMS_DUE).delete()
    template = FormRule.objects.get().template

    form_version_publish(template=template, title="Massage consent", text="New.", questions=[])

    assert reminders(visit).count() == 1
