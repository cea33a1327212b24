"""seed_demo: a complete demo clinic, consistent with its own opening hours; a second
organisation whose staff see none of the first's clients; and a second run that changes
nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

import access
from bookings.models import Appointment, SignOff
from clinic.models import Client, Clinic, Membership, Practitioner, Treatment
from clinical.models import PrerequisiteRule

EXPECTED_KINDS = {
    "manual-facial-massage": {"treatment-room"},
    "lymphatic-drainage": {"treatment-room"},
    "gua-sha": {"treatment-room"},
    "sculpting-massage": {"treatment-room"},
    "tmj-release": {"treatment-room"},
    "microcurrent-toning": {"treatment-room", "microcurrent-device"},
    "patch-test": {"treatment-room"},
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


def test_it_creates_the_eight_treatments_with_their_resource_kinds(db):
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


@pytest.mark.parametrize("slug", ["lumiere", "northside-ancoats"])
def test_no_practitioner_works_outside_opening_hours(db, slug):
    seed()

    clinic = Clinic.objects.get(slug=slug)
    opening = {}
    for period in clinic.opening_hours.all():
        opening.setdefault(period.weekday, []).append((period.opens, period.closes))
    assert clinic.practitioners.exists()
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
    from clinical.rules import client_decision

    seed()
    massage = Treatment.objects.get(slug="manual-facial-massage")
    microcurrent = Treatment.objects.get(slug="microcurrent-toning")
    today = massage.clinic.local_date(timezone.now())

    def decision(email, treatment=massage):
        client = Client.objects.get(organisation__slug="lumiere", email=email)
        return client_decision(client=client, treatment=treatment, on=today)

    assert decision("aisha.rahman@example.com").decision == "refused"
    assert decision("james.whitfield@example.com").decision == "warn"
    olivia = decision("olivia.turner@example.com")
    assert olivia.decision == "allowed"
    assert olivia.cautions[0].startswith("avoid deep pressure: lips (filler ")
    assert decision("hannah.okafor@example.com", microcurrent).code == "contraindicated"


def test_its_sculpting_massage_has_its_own_four_weeks_and_its_words_are_data(db):
    from datetime import timedelta

    from clinical.rules import client_decision, health_questions
    from clinical.services import injectable_record

    seed()
    sculpting = Treatment.objects.get(slug="sculpting-massage")
    massage = Treatment.objects.get(slug="manual-facial-massage")
    today = massage.clinic.local_date(timezone.now())
    client = Client.objects.get(organisation__slug="lumiere", email="olivia.turner@example.com")
    injectable_record(client=client, kind="filler", date=today - timedelta(days=14))

    assert client_decision(client=client, treatment=massage, on=today).decision == "warn"
    refused = client_decision(client=client, treatment=sculpting, on=today)
    assert refused.decision == "refused" and "four weeks" in refused.reasons[0]
    questions = health_questions(massage)
    assert {"profound_rf", "sofwave", "chemical_peel", "laser"} <= set(questions.injectable_kinds)
    assert "skin_infection" in questions.conditions
    microcurrent = health_questions(Treatment.objects.get(slug="microcurrent-toning"))
    assert "metal_implants" in microcurrent.conditions
    charlotte = Client.objects.get(organisation__slug="lumiere", email__startswith="charlotte")
    assert any(
        "jawline (Profound RF" in c
        for c in client_decision(client=charlotte, treatment=massage, on=today).cautions
    )
    northside = health_questions(Treatment.objects.get(slug="sculpt-and-glow"))
    assert "profound_rf" not in northside.injectable_kinds  # Lumière's words, not theirs


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


# -- the second organisation ------------------------------------------------------------------


def test_it_creates_a_second_organisation_with_one_clinic(db):
    seed()

    northside = Clinic.objects.get(slug="northside-ancoats")
    assert northside.organisation.slug == "northside"
    assert northside.organisation.name == "Northside Skin Studio"
    assert list(northside.organisation.clinics.all()) == [northside]
    assert Clinic.objects.get(slug="lumiere").organisation.slug == "lumiere"
    assert northside.timezone == "Europe/London"
    assert not northside.opening_hours.filter(weekday__in=[0, 6]).exists()  # Monday, Sunday
    treatments = northside.treatments.prefetch_related("required_resource_kinds")
    assert {t.slug: {k.slug for k in t.required_resource_kinds.all()} for t in treatments} == {
        "sculpt-and-glow": {"treatment-room"},
        "buccal-facial-massage": {"treatment-room"},
        "microcurrent-express": {"treatment-room", "microcurrent-device"},
    }
    assert northside.resources.filter(kind__slug="treatment-room").exists()
    assert northside.practitioners.count() == 2
    for practitioner in northside.practitioners.all():
        assert practitioner.working_hours.exists(), practitioner
    assert not northside.treatments.filter(practitioners=None).exists()


def test_each_organisations_staff_are_members_of_its_clinic_only(db):
    seed()

    memberships = {
        username: sorted(
            Membership.objects.filter(user__username=username).values_list("clinic__slug", "role")
        )
        for username in ("desk", "amelia", "manager", "nina", "noah", "nadia")
    }
    assert memberships == {
        "desk": [("lumiere", "front_desk")],
        "amelia": [("lumiere", "practitioner")],
        "manager": [("lumiere", "manager")],
        "nina": [("northside-ancoats", "front_desk")],
        "noah": [("northside-ancoats", "practitioner")],
        "nadia": [("northside-ancoats", "manager")],
    }
    assert Practitioner.objects.get(name="Noah Clarke").user.username == "noah"
    nadia = get_user_model().objects.get(username="nadia")
    assert nadia.is_staff and not nadia.is_superuser
    assert nadia.check_password("clinic-demo-2026")


def test_a_client_of_both_organisations_is_two_records(db):
    seed()

    olivias = Client.objects.filter(email__iexact="olivia.turner@example.com").select_related(
        "organisation", "home_clinic"
    )
    assert sorted((c.organisation.slug, c.home_clinic.slug) for c in olivias) == [
        ("lumiere", "lumiere"),
        ("northside", "northside-ancoats"),
    ]
    lumiere = olivias.get(organisation__slug="lumiere")
    northside = olivias.get(organisation__slug="northside")
    # Lumière's record of her filler is Lumière's: Northside's record of her has none.
    assert lumiere.injectables.filter(kind="filler").exists()
    assert not northside.injectables.exists()
    grace = Client.objects.get(email="grace.mensah@example.com")
    assert grace.organisation.slug == "northside"
    assert grace.injectables.get().kind == "filler"


def test_the_second_organisation_has_its_own_upcoming_bookings(db):
    seed()

    upcoming = Appointment.objects.filter(
        clinic__slug="northside-ancoats",
        status=Appointment.Status.CONFIRMED,
        start__gte=timezone.now(),
    )
    assert upcoming.count() == 2
    assert {a.client.organisation.slug for a in upcoming} == {"northside"}
    assert {a.practitioner.clinic.slug for a in upcoming} == {"northside-ancoats"}


def test_the_second_organisations_staff_see_none_of_the_first_ones_clients(db):
    seed()
    users = get_user_model().objects
    lumiere = Clinic.objects.get(slug="lumiere")
    northside = Clinic.objects.get(slug="northside-ancoats")
    northside_clients = set(Client.objects.filter(organisation__slug="northside"))
    lumiere_olivia = Client.objects.get(organisation__slug="lumiere", email__startswith="olivia")

    for username in ("nina", "nadia"):
        user = users.get(username=username)
        assert set(access.visible_clients(user)) == northside_clients, username
        assert not access.may_see_client(user, lumiere_olivia), username
        assert not access.can(user, access.USE, lumiere), username
    # The practitioner sees their own clients, at Northside.
    noah = users.get(username="noah")
    assert set(access.visible_clients(noah)) == {
        Client.objects.get(organisation__slug="northside", email__startswith="olivia")
    }
    nadia = users.get(username="nadia")
    assert access.can(nadia, access.BOOK, northside)
    assert not access.can(nadia, access.BOOK, lumiere)
    # And the other way round.
    desk = users.get(username="desk")
    assert not set(access.visible_clients(desk)) & northside_clients
    assert not access.can(desk, access.USE, northside)


def test_the_logins_name_both_organisations_staff(db):
    output = seed()

    logins = output.split("Workspace:")[1]
    assert "desk, amelia or manager at Lumière Skin Clinic" in logins
    assert "nina, noah or nadia at Northside Skin Studio" in logins
    assert "as front desk, practitioner or clinic manager" in logins


def test_microcurrent_needs_a_patch_test_48_hours_before_and_charlotte_has_hers(db):
    seed()

    rule = PrerequisiteRule.objects.get(treatment__slug="microcurrent-toning")
    assert (rule.min_hours_before, rule.valid_months) == (48, 6)
    assert [t.slug for t in rule.required_treatments.all()] == ["patch-test"]
    charlotte = Appointment.objects.filter(client__email="charlotte.davies@example.com")
    patch = charlotte.get(treatment__slug="patch-test")
    micro = charlotte.get(treatment__slug="microcurrent-toning")
    assert micro.start - patch.start >= timedelta(hours=48)


def test_hannahs_lymphatic_drainage_waits_for_her_practitioners_sign_off(db):
    """Her untreated thyroid disease is a "needs approval" condition for lymphatic drainage:
    the demo shows an appointment waiting for a sign-off on the grid and the day sheet."""
    seed()

    drainage = Appointment.objects.get(
        client__email="hannah.okafor@example.com", treatment__slug="lymphatic-drainage"
    )
    assert drainage.sign_off.status == SignOff.Status.PENDING
    assert "thyroid" in " ".join(drainage.sign_off.reasons).lower()
