"""The audit trail now belongs to the clinic app (clinic/0007, which keeps its rows and
renames its table): forget it here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0003_client_search_index"),
        ("clinic", "0007_auditentry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
        ),
    ]
