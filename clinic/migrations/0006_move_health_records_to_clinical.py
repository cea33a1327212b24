"""The injectables, declarations and rules now belong to the clinical app (clinical/0001,
which keeps their rows and renames their tables): forget them here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_clinic_branding"),
        ("clinical", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="InjectableRecord"),
                migrations.DeleteModel(name="HealthDeclaration"),
                migrations.DeleteModel(name="WaitingRule"),
                migrations.DeleteModel(name="ContraindicationRule"),
            ],
        ),
    ]
