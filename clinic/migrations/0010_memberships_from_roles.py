"""Roles become per clinic. Every member of a role group (workspace/0002) gets that role at
every clinic, as the groups gave them before (a practitioner: at the clinics whose diary has
them, or at every clinic if none does); a member of several groups keeps the widest role
(manager, then front desk, then practitioner). The groups go: what a role may do is now
access/roles.py, read through the access backend, so a group's permissions can no longer
reach across clinics."""

from django.db import migrations

ROLE_OF_GROUP = {"Clinic manager": "manager", "Front desk": "front_desk", "Practitioner": "practitioner"}


def memberships_from_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Clinic = apps.get_model("clinic", "Clinic")
    Membership = apps.get_model("clinic", "Membership")
    Practitioner = apps.get_model("clinic", "Practitioner")
    every_clinic = list(Clinic.objects.values_list("pk", flat=True))
    for name, role in ROLE_OF_GROUP.items():  # widest first: get_or_create keeps it
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for user in group.user_set.all():
            clinics = every_clinic
            if role == "practitioner":
                own = list(Practitioner.objects.filter(user=user).values_list("clinic_id", flat=True))
                clinics = own or every_clinic
            for clinic_id in clinics:
                Membership.objects.get_or_create(
                    user=user, clinic_id=clinic_id, defaults={"role": role}
                )
    Group.objects.filter(name__in=ROLE_OF_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0009_clients_per_organisation"),
        ("workspace", "0004_move_auditentry_to_clinic"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(memberships_from_groups, migrations.RunPython.noop)]
