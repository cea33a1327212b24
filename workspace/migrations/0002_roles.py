"""Create the staff role groups (Front desk, Practitioner, Clinic manager) with their
permissions, as they were defined when this migration was written (access/roles.py is the
live table). The data is written out here, not imported: a later change to the roles is a
migration of its own.

Permissions are created here if missing: on a fresh database Django only creates them after
all migrations have run. Their content types carry the app labels of the time; the models
of clinic/0007 and clinical/0001 moved later, and those migrations move the content types.
"""

from django.db import migrations

CAPABILITIES = {
    "use_workspace": "Can use the staff workspace",
    "see_all_clients": "Can look up any client and see their health record",
    "see_whole_diary": "Can see every practitioner's day sheet",
    "book_for_clients": "Can book, move and cancel on a client's behalf",
    "record_health": "Can record injectables and conditions",
    "handle_personal_data": "Can export or anonymise a client's data",
}
VERBOSE_NAMES = {  # model -> its verbose name, for the default permissions' names
    "clinic": "clinic",
    "openinghours": "opening hours",
    "closure": "closure",
    "resourcekind": "resource kind",
    "resource": "resource",
    "treatment": "treatment",
    "practitioner": "practitioner",
    "workinghours": "working hours",
    "timeoff": "time off",
    "waitingrule": "waiting rule",
    "contraindicationrule": "contraindication rule",
    "auditentry": "audit entry",
}
ACTIONS = ("view", "add", "change", "delete")


def _workspace(*codenames):
    return [("workspace", "auditentry", codename) for codename in codenames]


def _model_permissions(app_label, models, actions=ACTIONS):
    return [(app_label, model, f"{action}_{model}") for model in models for action in actions]


DESK = _workspace(
    "use_workspace", "see_all_clients", "see_whole_diary", "book_for_clients", "record_health"
)
RULES = _model_permissions("clinic", ("waitingrule", "contraindicationrule"))
CATALOGUE = _model_permissions(
    "clinic",
    (
        "clinic",
        "openinghours",
        "closure",
        "resourcekind",
        "resource",
        "treatment",
        "practitioner",
        "workinghours",
        "timeoff",
    ),
)
ROLES = {
    "Front desk": [*DESK, *_model_permissions("clinic", ("timeoff",), ("view", "add", "change"))],
    "Practitioner": _workspace("use_workspace", "record_health"),
    "Clinic manager": [
        *DESK,
        *_workspace("handle_personal_data", "view_auditentry"),
        ("bookings", "appointment", "override_eligibility"),
        *RULES,
        *CATALOGUE,
    ],
}


def _name(model: str, codename: str) -> str:
    if codename in CAPABILITIES:
        return CAPABILITIES[codename]
    if codename == "override_eligibility":
        return "Can book past a clinical rule, giving a reason"
    action = codename.split("_", 1)[0]
    return f"Can {action} {VERBOSE_NAMES[model]}"


def create_roles(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for name, wanted in ROLES.items():
        permissions = []
        for app_label, model, codename in wanted:
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=codename,
                defaults={"name": _name(model, codename)},
            )
            permissions.append(permission)
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("bookings", "0003_eligibility_fields"),
        ("workspace", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
