"""Indexes for the admin at a clinic group's size (backoffice/admin/lists.py): appointments
by start and their changes by time, newest first. Index-only."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_holds"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["start", "id"], name="appointment_start_id"),
        ),
        migrations.AddIndex(
            model_name="appointmentchange",
            index=models.Index(fields=["at", "id"], name="appointmentchange_at_id"),
        ),
    ]
