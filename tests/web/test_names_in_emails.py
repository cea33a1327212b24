"""A newline typed into a clinic's name (or a treatment's, a practitioner's...) is refused
with a clear message in the admin; a name stored before that rule, or written around it,
still gives every email a one-line From header, never a failure to compose."""

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory

from aftercare.models import Message
from clinic.models import Clinic, Practitioner, Treatment
from clinic.text import CONTROLS_MESSAGE, one_line
from diary.services import appointment_book
from sending.delivery import compose
from tests import factories
from tests.workspace.conftest import TODAY, london


def admin_form(model, instance, **changes):
    """The admin's change form for `instance`, as submitted with `changes`."""
    request = RequestFactory().post("/")
    request.user = factories.UserFactory(is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[model]
    form_class = model_admin.get_form(request, instance, change=True)
    data = {key: value for key, value in model_to_dict(instance).items() if value is not None}
    return form_class(data={**data, **changes}, instance=instance)


@pytest.mark.parametrize(
    "name", ["Lumière\nBcc: someone@example.com", "Lumière\rLondon", "Lumi\x1bère", "\u202eerèimuL"]
)
def test_the_admin_refuses_a_clinic_name_with_control_characters(world, name):
    form = admin_form(Clinic, world.clinic, name=name)

    assert not form.is_valid()
    assert form.errors["name"] == [CONTROLS_MESSAGE]


def test_the_admin_refuses_control_characters_in_the_other_names_emails_show(world):
    treatment = admin_form(Treatment, world.treatment, name="Facial\nmassage")
    practitioner = admin_form(Practitioner, world.practitioner, name="Alice\x07")
    phone = admin_form(Clinic, world.clinic, phone="020\n7946 0000")

    assert treatment.errors["name"] == [CONTROLS_MESSAGE]
    assert practitioner.errors["name"] == [CONTROLS_MESSAGE]
    assert phone.errors["phone"] == [CONTROLS_MESSAGE]


def test_the_admin_keeps_a_name_in_any_script(world):
    form = admin_form(Clinic, world.clinic, name="Lumière 李 محمد 🌸")

    assert form.errors.get("name") is None


def test_an_email_composes_with_a_name_stored_before_the_rule(world, settings):
    settings.DEFAULT_FROM_EMAIL = "Clinic <bookings@clinic.example>"
    Clinic.objects.filter(pk=world.clinic.pk).update(name="Lumiere\r\nBcc: x@example.com\x07")
    appointment = appointment_book(
        treatment=world.treatment,
        start=london(TODAY, 10),
        client=factories.ClientFactory(clinic=world.clinic, email="dana@example.com"),
        practitioner=world.practitioner,
        by=None,
    ).appointment
    message = appointment.messages.get(kind=Message.Kind.CONFIRMATION)

    sent = compose(message).message()  # Django refuses a header with a newline here

    assert sent["From"] == '"Lumiere Bcc: x@example.com" <bookings@clinic.example>'
    assert sent["Bcc"] is None


def test_one_line_leaves_ordinary_names_alone_and_flattens_the_rest():
    assert one_line("Zoë Ó Súilleabháin") == "Zoë Ó Súilleabháin"
    assert one_line("  Lumière\r\n\tLondon\x00 ") == "Lumière London"
