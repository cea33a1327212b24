"""Indexes for the admin at a clinic group's size (backoffice/admin/lists.py): audit entries
newest first and by address, clients by name. Index-only."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0013_client_notes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["at", "id"], name="audit_at_id"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["ip", "at"], name="audit_ip_at"),
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["name", "id"], name="client_name_id"),
        ),
    ]
