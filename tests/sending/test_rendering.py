"""The sandbox staff templates render in, the subject/text/HTML triplet, and the content."""

from datetime import UTC, date, datetime

import pytest

from aftercare.models import Message, MessageTemplate
from backoffice.admin.messages import MessageTemplateForm
from sending.content import care_notes
from sending.delivery import render
from sending.rendering import TemplateRefused, plain, render_email
from tests import factories

CONTEXT = {
    "client": {"name": "Olivia <b>Turner</b>", "first_name": "Olivia"},
    "appointment": {"start": datetime(2027, 7, 1, 9, 30, tzinfo=UTC)},
}


def render_text(source: str, context=CONTEXT) -> str:
    return render_email(subject="s", text=source, html="", context=context).text.strip()


def test_a_template_cannot_reach_past_the_plain_data_it_is_given():
    assert render_text("[{{ client.user.password }}]") == "[]"
    with pytest.raises(TemplateRefused):
        render_text("[{{ client.name.__class__ }}]")
    assert render_text("[{% for k in client.keys %}{{ k }}{% endfor %}]") == "[namefirst_name]"


def test_model_instances_never_enter_the_context(db):
    user = factories.UserFactory(username="victim")
    with pytest.raises(TypeError):
        plain({"client": user})


def test_methods_that_change_data_cannot_be_called():
    context = {"client": {"name": "Olivia"}}
    assert render_text("{{ client.clear }}{{ client.name }}", context) == "Olivia"
    assert context == {"client": {"name": "Olivia"}}


@pytest.mark.parametrize(
    "source",
    [
        "{% load static %}",
        '{% include "admin/base.html" %}',
        '{% extends "admin/base.html" %}',
        "{% debug %}",
        "{{ client.name|safe }}",
        "{% autoescape off %}{{ client.name }}{% endautoescape %}",
        '{% url "admin:index" %}',
    ],
)
def test_tags_and_filters_outside_the_sandbox_are_refused(source):
    with pytest.raises(TemplateRefused):
        render_text(source)


def test_the_html_part_escapes_client_text_and_the_text_part_keeps_it():
    rendered = render_email(
        subject="For {{ client.name }}\nBcc: someone@example.com",
        text="Hello {{ client.name }}",
        html="<p>Hello {{ client.name }}</p>",
        context=CONTEXT,
    )
    assert rendered.subject == "For Olivia <b>Turner</b> Bcc: someone@example.com"  # one line
    assert "Hello Olivia <b>Turner</b>" in rendered.text
    assert "<p>Hello Olivia &lt;b&gt;Turner&lt;/b&gt;</p>" in rendered.html


def test_without_an_html_template_the_text_becomes_escaped_paragraphs():
    rendered = render_email(
        subject="s", text="Hi {{ client.name }}\n\nBye", html="", context=CONTEXT
    )
    assert "<p>Hi Olivia &lt;b&gt;Turner&lt;/b&gt;</p>" in rendered.html
    assert "<p>Bye</p>" in rendered.html


def test_the_unsubscribe_link_goes_in_both_parts_only_when_given():
    footer = {"unsubscribe_url": "http://x.test/aftercare/unsubscribe/t/", "clinic_name": "L"}
    with_link = render_email(subject="s", text="t", html="", context={}, footer=footer)
    assert "http://x.test/aftercare/unsubscribe/t/" in with_link.text
    assert 'href="http://x.test/aftercare/unsubscribe/t/"' in with_link.html
    without = render_email(subject="s", text="t", html="", context={})
    assert "unsubscribe" not in without.text + without.html.lower()


# -- content --------------------------------------------------------------------------------------


def test_care_notes_follow_the_domain_facts():
    microcurrent = care_notes(category="microcurrent", slug="microcurrent-toning")
    assert "oil-free" in microcurrent.after
    assert "five minutes a day after moisturising" in microcurrent.after
    assert "pacemaker" in microcurrent.before
    assert (
        "Drink plenty of water"
        in care_notes(category="facial_massage", slug="lymphatic-drainage").after
    )
    assert "two weeks" in care_notes(category="facial_massage", slug="manual-facial-massage").after


@pytest.fixture
def appointment_message(world):
    """A confirmation for an appointment in New York, rendered with the stored templates."""
    world.clinic.timezone = "America/New_York"
    world.clinic.name = "Lumière NYC"
    world.clinic.save()
    client = factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")
    from bookings.models import Appointment

    start = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)  # 10:00 in New York
    appointment = Appointment.objects.create(
        clinic=world.clinic,
        client=client,
        treatment=world.treatment,
        practitioner=world.practitioner,
        start=start,
        end=start.replace(hour=16),
        blocked_until=start.replace(hour=16),
    )
    return Message.objects.create(
        key="k",
        clinic=world.clinic,
        client=client,
        appointment=appointment,
        treatment=world.treatment,
        kind=Message.Kind.CONFIRMATION,
        due_at=start,
    )


def test_times_are_shown_in_the_clinic_s_timezone(appointment_message):
    rendered = render(appointment_message)
    assert rendered.subject == "Booked: Manual facial massage on Wed 10 Mar at 10:00"
    assert "Wednesday 10 March 2027 at 10:00" in rendered.text
    assert "Dear Olivia," in rendered.text


def test_a_treatment_s_own_template_wins_over_the_default(appointment_message):
    MessageTemplate.objects.create(
        kind=Message.Kind.CONFIRMATION,
        treatment=appointment_message.treatment,
        subject="See you {{ appointment.start|date:'D' }}",
        text="Ref {{ appointment.reference }}",
    )
    rendered = render(appointment_message)
    assert rendered.subject == "See you Wed"
    assert rendered.text.startswith(f"Ref {appointment_message.appointment.reference}")


def test_a_stored_template_that_no_longer_compiles_falls_back_to_the_default(appointment_message):
    # Saved around the admin's check, e.g. by a data import.
    MessageTemplate.objects.update_or_create(
        kind=Message.Kind.CONFIRMATION,
        treatment=None,
        defaults={"subject": "{% load static %}", "text": "{% include 'x' %}"},
    )
    rendered = render(appointment_message)
    assert rendered.subject.startswith("Booked: Manual facial massage")


def test_the_admin_form_refuses_a_template_outside_the_sandbox(db):
    form = MessageTemplateForm(
        data={
            "kind": Message.Kind.AFTERCARE,
            "subject": "Hi",
            "text": "{% load static %}",
            "html": "",
        }
    )
    assert not form.is_valid()
    assert "cannot be used" in form.errors["text"][0]


def test_eligibility_dates_render_as_dates(world):
    client = factories.ClientFactory(clinic=world.clinic, name="Aisha Rahman")
    message = Message.objects.create(
        key="e",
        clinic=world.clinic,
        client=client,
        treatment=world.treatment,
        kind=Message.Kind.ELIGIBLE,
        due_at=datetime(2027, 3, 29, 8, tzinfo=UTC),
        data={"eligible_on": date(2027, 3, 29).isoformat()},
    )
    rendered = render(message)
    assert rendered.subject == "You can book your Manual facial massage from 29 March"
    assert "From Monday 29 March 2027" in rendered.text


@pytest.mark.parametrize(
    ("by_clinic", "words"),
    [
        (False, "As you asked, your Manual facial massage"),
        (True, "has been cancelled by the clinic"),
    ],
)
def test_a_cancellation_says_who_cancelled(appointment_message, by_clinic, words):
    appointment_message.kind = Message.Kind.CANCELLATION
    appointment_message.data = {"by_clinic": by_clinic}
    rendered = render(appointment_message)
    assert rendered.subject == "Cancelled: Manual facial massage on Wed 10 Mar at 10:00"
    assert words in " ".join(rendered.text.split())
    assert "Wednesday 10 March 2027 at 10:00" in " ".join(rendered.text.split())
