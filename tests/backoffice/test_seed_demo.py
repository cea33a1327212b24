"""seed_demo: a complete demo clinic, consistent with its own opening hours, and a second run
that changes nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from bookings.models import Appointment
from clinic.models import Clinic, Practitioner, Treatment

EXPECTED_KINDS = {
    "manual-facial-massage": {"treatment-room"},
    "lymphatic-drainage": {"treatment-room"},
    "gua-sha": {"treatment-room"},
    "sculpting-massage": {"treatment-room"},
    "tmj-release": {"treatment-room"},
    "microcurrent-toning": {"treatment-room", "microcurrent-device"},
    "led-light-therapy": {"treatment-room", "led-panel"},
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo admin's password is hashed and checked on every run; the real hasher is slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_it_changes_nothing_the_second_time(db):
    seed()
    first = row_counts()

    output = seed()

    assert row_counts() == first
    assert "Created: nothing." in output
    assert "Updated: nothing." in output


def test_it_creates_the_clinic(db):
    seed()

    clinic = Clinic.objects.get(slug="lumiere")
    assert clinic.name == "Lumière Skin Clinic"
    assert clinic.timezone == "Europe/London"
    assert clinic.currency == "GBP"
    assert clinic.closures.filter(date__year=2026).count() == 8
    assert clinic.closures.get(date="2027-12-27").reason == "Christmas Day (substitute day)"
    assert not clinic.opening_hours.filter(weekday=6).exists()  # closed on Sunday


def test_it_creates_the_seven_treatments_with_their_resource_kinds(db):
    seed()

    treatments = Treatment.objects.filter(clinic__slug="lumiere").prefetch_related(
        "required_resource_kinds"
    )
    kinds = {t.slug: {k.slug for k in t.required_resource_kinds.all()} for t in treatments}
    assert kinds == EXPECTED_KINDS


def test_it_creates_four_practitioners_with_working_hours(db):
    seed()

    practitioners = Practitioner.objects.filter(clinic__slug="lumiere")
    assert practitioners.count() == 4
    for practitioner in practitioners:
        assert practitioner.working_hours.exists(), practitioner
        assert practitioner.treatments.exists(), practitioner
    # Between them, every treatment has someone to give it.
    assert not Treatment.objects.filter(clinic__slug="lumiere", practitioners=None).exists()


def test_no_practitioner_works_outside_opening_hours(db):
    seed()

    clinic = Clinic.objects.get(slug="lumiere")
    opening = {}
    for period in clinic.opening_hours.all():
        opening.setdefault(period.weekday, []).append((period.opens, period.closes))
    for practitioner in clinic.practitioners.all():
        for shift in practitioner.working_hours.all():
            assert any(
                opens <= shift.starts and shift.ends <= closes
                for opens, closes in opening.get(shift.weekday, [])
            ), f"{practitioner} {shift}"


def test_it_books_a_few_upcoming_appointments_once(db):
    seed()
    upcoming = Appointment.objects.filter(
        clinic__slug="lumiere", status=Appointment.Status.CONFIRMED, start__gte=timezone.now()
    )
    booked = upcoming.count()

    seed()

    assert booked >= 3
    assert upcoming.count() == booked


def test_it_creates_the_admin_but_keeps_a_changed_password(db):
    seed()
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("clinic-demo-2026")
    admin.set_password("something-else-entirely")
    admin.save()

    output = seed()

    admin.refresh_from_db()
    assert admin.check_password("something-else-entirely")
    assert "clinic-demo-2026" not in output.split("Password:")[1].splitlines()[0]

    seed("--reset-admin-password")

    admin.refresh_from_db()
    assert admin.check_password("clinic-demo-2026")


def test_its_clients_show_each_outcome_of_the_clinical_rules(db):
    from clinic.models import Client
    from clinical.rules import client_decision

    seed()
    massage = Treatment.objects.get(slug="manual-facial-massage")
    microcurrent = Treatment.objects.get(slug="microcurrent-toning")
    today = massage.clinic.local_date(timezone.now())

    def decision(email, treatment=massage):
        client = Client.objects.get(email=email)
        return client_decision(client=client, treatment=treatment, on=today)

    assert decision("aisha.rahman@example.com").decision == "refused"
    assert decision("james.whitfield@example.com").decision == "warn"
    olivia = decision("olivia.turner@example.com")
    assert olivia.decision == "allowed"
    assert olivia.cautions[0].startswith("avoid deep pressure: lips (filler ")
    assert decision("hannah.okafor@example.com", microcurrent).code == "contraindicated"


def test_it_creates_one_staff_account_per_role(db):
    seed()

    users = get_user_model().objects
    roles = {
        u.username: [(m.clinic.slug, m.role) for m in u.memberships.all()]
        for u in users.filter(is_staff=True)
    }
    assert roles["desk"] == [("lumiere", "front_desk")]
    assert roles["amelia"] == [("lumiere", "practitioner")]
    assert roles["manager"] == [("lumiere", "manager")]
    assert Practitioner.objects.get(name="Amelia Hart").user.username == "amelia"
    assert users.get(username="desk").check_password("clinic-demo-2026")
