"""The staff roles: Django groups and the permissions each one holds.

A staff account is a user with `is_staff` in one of these groups (the services then treat
their bookings as the clinic's own; access.is_staff). A staff user in no group is not staff:
they book as any member of the public would and can do nothing in the workspace or the
staff API; a superuser can do everything.

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
practitioner linked to the user through Practitioner.user; see access/__init__.py.

The migration workspace/0002 created the groups with these permissions, written out as they
were then. Changing ROLES needs a new migration that writes the new table out the same way;
`roles_sync` sets the groups of a running database (and the tests') to exactly ROLES.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

FRONT_DESK = "Front desk"
PRACTITIONER = "Practitioner"
MANAGER = "Clinic manager"

_WORKSPACE = ["clinic.use_workspace"]
_DESK = [
    *_WORKSPACE,
    "clinic.see_all_clients",
    "clinic.see_whole_diary",
    "clinic.book_for_clients",
    "clinic.record_health",
]
_RULES = [
    f"clinical.{action}_{model}"
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
    PRACTITIONER: [*_WORKSPACE, "clinic.record_health"],
    MANAGER: [
        *_DESK,
        "clinic.handle_personal_data",
        "clinic.view_auditentry",
        "bookings.override_eligibility",
        *_RULES,
        *_CATALOGUE,
    ],
}


def roles_sync() -> None:
    """Create the role groups and give each exactly the permissions of ROLES (creating the
    permissions first: on a freshly flushed test database they do not exist yet)."""
    for label in ("clinic", "bookings", "clinical"):
        create_permissions(apps.get_app_config(label), verbosity=0)
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
    if Group.objects.filter(name__in=ROLES).count() != len(ROLES):
        roles_sync()
