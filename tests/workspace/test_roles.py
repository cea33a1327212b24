"""The roles and what each holds (access/roles.py), held at a clinic through a membership."""

from django.contrib.auth.models import Group

import access
from access.roles import FRONT_DESK, MANAGER, PRACTITIONER, ROLES
from clinic.models import Membership
from tests import factories


def test_no_group_grants_a_role_any_more(db):
    """The migrations turned the role groups into memberships and removed them: a group's
    permissions would reach across every clinic."""
    assert not Group.objects.filter(
        name__in=["Front desk", "Practitioner", "Clinic manager"]
    ).exists()


def test_only_managers_edit_rules_override_and_read_the_audit_trail():
    manager_only = {
        "clinical.change_waitingrule",
        "clinical.change_contraindicationrule",
        "bookings.override_eligibility",
        "clinic.view_auditentry",
        "clinic.handle_personal_data",
        "clinic.change_clinic",
    }
    assert manager_only <= ROLES[MANAGER]
    assert not manager_only & ROLES[FRONT_DESK]
    assert not manager_only & ROLES[PRACTITIONER]


def test_practitioners_neither_book_nor_see_every_client():
    assert ROLES[PRACTITIONER] == {
        "clinic.use_workspace",
        "clinic.record_health",
        "bookings.sign_off_appointment",
    }


def test_practitioners_and_managers_sign_off_and_the_front_desk_does_not():
    assert "bookings.sign_off_appointment" in ROLES[PRACTITIONER] & ROLES[MANAGER]
    assert "bookings.sign_off_appointment" not in ROLES[FRONT_DESK]


def test_only_the_installation_adds_clinics_and_kinds_of_resource():
    for role in ROLES.values():
        assert not {"clinic.add_clinic", "clinic.delete_clinic"} & role
        assert not {"clinic.add_resourcekind", "clinic.change_resourcekind"} & role


def test_a_role_holds_at_its_clinic_only(db):
    north = factories.ClinicFactory(slug="north")
    south = factories.ClinicFactory(slug="south", organisation=north.organisation)
    user = factories.StaffFactory(username="mixed", roles=[MANAGER], clinics=[north])
    Membership.objects.create(user=user, clinic=south, role=FRONT_DESK)

    assert access.can(user, access.OVERRIDE, north)
    assert not access.can(user, access.OVERRIDE, south)
    assert access.can(user, access.BOOK, south)
    # Django's has_perm (the admin's) answers for any clinic; the admin scopes the rows.
    assert user.has_perm(access.OVERRIDE)
    assert access.clinic_ids(user, access.OVERRIDE) == {north.pk}


def test_a_staff_account_without_a_membership_holds_nothing(db):
    factories.ClinicFactory()
    user = factories.StaffFactory(username="nobody", roles=[])

    assert not access.is_staff(user)
    assert not user.has_perm(access.USE)
    assert user.get_all_permissions() == set()
