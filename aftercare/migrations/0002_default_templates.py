"""Seed the default message templates (treatment empty: every treatment) from
aftercare/content.py, the same words the code falls back to. Staff edit them in the admin."""

from django.db import migrations


def seed(apps, schema_editor):
    from aftercare.content import DEFAULTS

    MessageTemplate = apps.get_model("aftercare", "MessageTemplate")
    for kind, (subject, text) in DEFAULTS.items():
        MessageTemplate.objects.get_or_create(
            kind=str(kind), treatment=None, defaults={"subject": subject, "text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
