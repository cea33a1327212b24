"""The staff roles: Django groups and the permissions each one holds.

A staff account is a user with `is_staff` (the services treat their bookings as the
clinic's own) in one of these groups. A staff user in no group can do nothing in the
workspace or the staff API; a superuser can do everything.

| What                                        | Front desk | Practitioner        | Clinic manager |
| ------------------------------------------- | ---------- | ------------------- | -------------- |
| Log in to the workspace                     | yes        | yes                 | yes            |
| Look up clients                             | all        | their own clients   | all            |
| See injectables, declarations, eligibility  | all        | their own clients   | all            |
| Record injectables and conditions           | all        | their own clients   | all            |
| Day sheet (day and week)                    | whole      | their own           | whole          |
| Mark completed / no-show                    | any        | their own           | any            |
| Book, move, cancel for a client; add client | yes        | no                  | yes            |
| Book past a clinical rule (override)        | no         | no                  | yes            |
| Rules (WaitingRule, ContraindicationRule)   | no         | no                  | view and edit  |
| Audit trail, client export, anonymisation   | no         | no                  | yes            |
| Admin (catalogue, hours, staff)             | time off   | nothing             | catalogue      |

"Their own clients" are the clients with an appointment (not cancelled) with the
practitioner linked to the user through Practitioner.user; see workspace/access.py.

The migration workspace/0002 creates the groups by calling `roles_sync`. Changing ROLES
needs a new migration that calls it again (it sets each group's permissions to exactly
these).
"""

FRONT_DESK = "Front desk"
PRACTITIONER = "Practitioner"
MANAGER = "Clinic manager"

_WORKSPACE = ["workspace.use_workspace"]
_DESK = [
    *_WORKSPACE,
    "workspace.see_all_clients",
    "workspace.see_whole_diary",
    "workspace.book_for_clients",
    "workspace.record_health",
]
_RULES = [
    f"clinic.{action}_{model}"
    for model in ("waitingrule", "contraindicationrule")
    for action in ("view", "add", "change", "delete")
]
_CATALOGUE = [
    f"clinic.{action}_{model}"
    for model in (
        "clinic",
        "openinghours",
        "closure",
        "resourcekind",
        "resource",
        "treatment",
        "practitioner",
        "workinghours",
        "timeoff",
    )
    for action in ("view", "add", "change", "delete")
]

ROLES: dict[str, list[str]] = {
    FRONT_DESK: [
        *_DESK,
        "clinic.view_timeoff",
        "clinic.add_timeoff",
        "clinic.change_timeoff",
    ],
    PRACTITIONER: [*_WORKSPACE, "workspace.record_health"],
    MANAGER: [
        *_DESK,
        "workspace.handle_personal_data",
        "workspace.view_auditentry",
        "bookings.override_eligibility",
        *_RULES,
        *_CATALOGUE,
    ],
}


def roles_sync(apps=None) -> None:
    """Create the role groups and give each exactly the permissions of ROLES.

    `apps` is the migration's app registry; the live one when called from code or tests
    (a transactional test's flush empties the groups the migration made). Permissions
    are created first: in a fresh database they only appear after all migrations ran.
    """
    from django.apps import apps as live_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or live_apps
    for label in ("clinic", "bookings", "workspace"):
        # The live app config (a migration's stand-in has no models module, which
        # create_permissions takes as "nothing to do"); the models come from `apps`.
        create_permissions(live_apps.get_app_config(label), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in wanted:
            app_label, codename = dotted.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


def roles_ensure() -> None:
    """roles_sync when a group is missing (after a test database flush)."""
    from django.contrib.auth.models import Group

    if Group.objects.filter(name__in=ROLES).count() != len(ROLES):
        roles_sync()
