"""Indexes for the admin at a clinic group's size (backoffice/admin/lists.py): messages by
due time, and the failed ones staff retry. Index-only."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("aftercare", "0007_sending_started_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["due_at", "id"], name="message_due_id"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("status", "failed")),
                fields=["due_at", "id"],
                name="message_failed_due",
            ),
        ),
    ]
