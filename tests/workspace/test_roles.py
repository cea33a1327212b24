"""The role groups the migration creates, and what each one holds."""

from django.contrib.auth.models import Group

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER, ROLES, roles_sync


def perms(name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_migration_creates_the_three_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {
        FRONT_DESK,
        PRACTITIONER,
        MANAGER,
    }
    for name, wanted in ROLES.items():
        assert perms(name) == set(wanted)


def test_only_managers_edit_rules_override_and_read_the_audit_trail(db):
    manager_only = {
        "clinical.change_waitingrule",
        "clinical.change_contraindicationrule",
        "bookings.override_eligibility",
        "clinic.view_auditentry",
        "clinic.handle_personal_data",
    }
    assert manager_only <= perms(MANAGER)
    assert not manager_only & perms(FRONT_DESK)
    assert not manager_only & perms(PRACTITIONER)


def test_practitioners_neither_book_nor_see_every_client(db):
    assert perms(PRACTITIONER) == {"clinic.use_workspace", "clinic.record_health"}


def test_a_second_sync_changes_nothing(db):
    before = {name: perms(name) for name in ROLES}

    roles_sync()

    assert {name: perms(name) for name in ROLES} == before
    assert Group.objects.filter(name__in=ROLES).count() == 3
