"""Create the staff role groups (Front desk, Practitioner, Clinic manager) with their
permissions, as workspace/roles.py defines them."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from workspace.roles import roles_sync

    roles_sync(apps)


def remove_roles(apps, schema_editor):
    from workspace.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("bookings", "0003_eligibility_fields"),
        ("workspace", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
