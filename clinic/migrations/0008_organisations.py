"""Organisations own clinics; staff get a role per clinic (Membership); a practitioner may be
in several clinics' diaries (one Practitioner row each, all linked to their user); the audit
trail says which clinic an entry was written in, and can record a merge or a change of a
clinic's settings.

Every clinic that exists already belongs to one organisation, named after the oldest: until
now one installation was one business, whose staff saw every clinic.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def one_organisation_for_existing_clinics(apps, schema_editor):
    Clinic = apps.get_model("clinic", "Clinic")
    Organisation = apps.get_model("clinic", "Organisation")
    first = Clinic.objects.order_by("pk").first()
    if first is None:
        return
    organisation = Organisation.objects.create(name=first.name, slug=first.slug)
    Clinic.objects.update(organisation=organisation)


def trail_written_at_the_only_clinic(apps, schema_editor):
    """The audit trail so far names no clinic; where there was only one, it was there."""
    Clinic = apps.get_model("clinic", "Clinic")
    if Clinic.objects.count() == 1:
        apps.get_model("clinic", "AuditEntry").objects.update(clinic=Clinic.objects.get())


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0007_auditentry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Organisation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(unique=True)),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.AddField(
            model_name="clinic",
            name="organisation",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="clinics", to="clinic.organisation"),
        ),
        migrations.RunPython(one_organisation_for_existing_clinics, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="clinic",
            name="organisation",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="clinics", to="clinic.organisation"),
        ),
        migrations.CreateModel(
            name="Membership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("role", models.CharField(choices=[("front_desk", "Front desk"), ("practitioner", "Practitioner"), ("manager", "Clinic manager")], max_length=16)),
                ("clinic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="clinic.clinic")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["clinic", "role"],
                "constraints": [models.UniqueConstraint(fields=("user", "clinic"), name="membership_once_per_clinic")],
            },
        ),
        migrations.AlterField(
            model_name="practitioner",
            name="user",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="practitioners", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="clinic",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinic.clinic"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="client",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="audit_entries", to="clinic.client"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(choices=[("view", "Viewed"), ("record", "Recorded"), ("override", "Booked past a clinical rule"), ("export", "Exported"), ("anonymise", "Anonymised"), ("merge", "Merged duplicate records"), ("setting", "Changed a clinic setting")], max_length=12),
        ),
        migrations.RunPython(trail_written_at_the_only_clinic, migrations.RunPython.noop),
    ]
