"""The audit trail moves here from the workspace app (workspace/0004 drops it from its
state): the audit writer is a lower layer than any front end. The same rows, in a table
renamed after this app; its content type moves too, so the staff capabilities defined on it
(use_workspace, see_all_clients...) stay granted to the roles that hold them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="clinic", model="auditentry").exists():
        ContentType.objects.filter(app_label="workspace", model="auditentry").update(
            app_label="clinic"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="clinic", model="auditentry").update(
        app_label="workspace"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_move_health_records_to_clinical"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("workspace", "0003_client_search_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("username", models.CharField(max_length=150)),
                        ("action", models.CharField(choices=[("view", "Viewed"), ("record", "Recorded"), ("override", "Booked past a clinical rule"), ("export", "Exported"), ("anonymise", "Anonymised")], max_length=12)),
                        ("what", models.CharField(help_text="Which data: client page, injectables...", max_length=80)),
                        ("via", models.CharField(help_text="workspace or api", max_length=12)),
                        ("path", models.CharField(max_length=300)),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=300)),
                        ("details", models.JSONField(blank=True, default=dict)),
                        ("client", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="audit_entries", to="clinic.client")),
                        ("user", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "workspace_auditentry",
                        "verbose_name_plural": "audit entries",
                        "ordering": ["-at", "-pk"],
                        "permissions": [("use_workspace", "Can use the staff workspace"), ("see_all_clients", "Can look up any client and see their health record"), ("see_whole_diary", "Can see every practitioner's day sheet"), ("book_for_clients", "Can book, move and cancel on a client's behalf"), ("record_health", "Can record injectables and conditions"), ("handle_personal_data", "Can export or anonymise a client's data")],
                        "default_permissions": ("view",),
                        "indexes": [models.Index(fields=["client", "-at"], name="workspace_a_client__6bd312_idx")],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="auditentry", table=None),
        migrations.RenameIndex(
            model_name="auditentry",
            new_name="audit_client_at",
            old_name="workspace_a_client__6bd312_idx",
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="via",
            field=models.CharField(help_text="workspace, api, admin or pages", max_length=12),
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
