"""The clinical record and its rules move here from the clinic app (clinic/0006 drops them
from its state): the same rows, in tables renamed after this app. Their content types move
too, so permissions granted on them (the managers' rules) stay granted."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import clinical.models

MOVED = ("injectablerecord", "healthdeclaration", "waitingrule", "contraindicationrule")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="clinical", model=model).exists():
            ContentType.objects.filter(app_label="clinic", model=model).update(
                app_label="clinical"
            )


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="clinical", model__in=MOVED).update(app_label="clinic")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("clinic", "0005_clinic_branding"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HealthDeclaration',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('condition', models.CharField(choices=[('pacemaker', 'Pacemaker'), ('implanted_device', 'Other implanted electronic device'), ('pregnancy', 'Pregnancy'), ('epilepsy', 'Epilepsy')], max_length=30)),
                        ('declared_on', models.DateField()),
                        ('ended_on', models.DateField(blank=True, help_text='When it no longer applies (e.g. after a pregnancy).', null=True)),
                        ('source', models.CharField(choices=[('staff', 'Recorded by staff'), ('client_declared', 'Declared by the client')], max_length=20)),
                        ('recorded_at', models.DateTimeField(auto_now_add=True)),
                        ('notes', models.TextField(blank=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='declarations', to='clinic.client')),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'clinic_healthdeclaration',
                        'ordering': ['-declared_on', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ContraindicationRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('condition', models.CharField(choices=[('pacemaker', 'Pacemaker'), ('implanted_device', 'Other implanted electronic device'), ('pregnancy', 'Pregnancy'), ('epilepsy', 'Epilepsy')], max_length=30)),
                        ('treatment_category', models.CharField(blank=True, choices=[('facial_massage', 'Facial massage'), ('microcurrent', 'Microcurrent'), ('light_therapy', 'LED light therapy')], max_length=32)),
                        ('action', models.CharField(choices=[('refuse', 'Refuse'), ('needs_approval', 'Needs practitioner approval')], max_length=20)),
                        ('message', models.TextField()),
                        ('clinic', models.ForeignKey(blank=True, help_text='Empty: the default for every clinic.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='contraindication_rules', to='clinic.clinic')),
                        ('resource_kind', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinic.resourcekind')),
                    ],
                    options={
                        'db_table': 'clinic_contraindicationrule',
                        'ordering': ['clinic', 'condition'],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('resource_kind__isnull', False), ('treatment_category', '')), models.Q(models.Q(('treatment_category', ''), _negated=True), ('resource_kind__isnull', True)), _connector='OR'), name='contraindication_one_target')],
                    },
                ),
                migrations.CreateModel(
                    name='InjectableRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('filler', 'Dermal filler'), ('botox', 'Botulinum toxin (Botox)'), ('skin_booster', 'Skin booster'), ('thread_lift', 'Thread lift')], max_length=20)),
                        ('date', models.DateField(help_text="The day of the injection, in the clinic's calendar.")),
                        ('areas', models.JSONField(blank=True, default=list, validators=[clinical.models.validate_areas])),
                        ('product', models.CharField(blank=True, max_length=120)),
                        ('lot_number', models.CharField(blank=True, max_length=60, verbose_name='lot / batch number')),
                        ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                        ('amount_unit', models.CharField(blank=True, choices=[('ml', 'mL'), ('units', 'units')], max_length=8)),
                        ('given_here', models.BooleanField(default=False)),
                        ('given_at', models.CharField(blank=True, help_text='Where, if it was given elsewhere.', max_length=200)),
                        ('source', models.CharField(choices=[('staff', 'Recorded by staff'), ('client_declared', 'Declared by the client')], max_length=20)),
                        ('recorded_at', models.DateTimeField(auto_now_add=True)),
                        ('notes', models.TextField(blank=True)),
                        ('superseded_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='injectables', to='clinic.client')),
                        ('corrects', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='corrections', to='clinical.injectablerecord')),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'clinic_injectablerecord',
                        'ordering': ['-date', '-pk'],
                        'indexes': [models.Index(fields=['client', 'date'], name='clinic_inje_client__9e2e8e_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='WaitingRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('injectable_kind', models.CharField(choices=[('filler', 'Dermal filler'), ('botox', 'Botulinum toxin (Botox)'), ('skin_booster', 'Skin booster'), ('thread_lift', 'Thread lift')], max_length=20)),
                        ('treatment_category', models.CharField(choices=[('facial_massage', 'Facial massage'), ('microcurrent', 'Microcurrent'), ('light_therapy', 'LED light therapy')], max_length=32)),
                        ('min_days', models.PositiveSmallIntegerField(help_text='Refused before this many days (day 0 is the injection).')),
                        ('recommended_days', models.PositiveSmallIntegerField(help_text='From min_days until this day, allowed with a warning to acknowledge.')),
                        ('message', models.TextField(help_text='Shown to the client with the warning or refusal.')),
                        ('clinic', models.ForeignKey(blank=True, help_text='Empty: the default for every clinic.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='waiting_rules', to='clinic.clinic')),
                    ],
                    options={
                        'db_table': 'clinic_waitingrule',
                        'ordering': ['clinic', 'injectable_kind', 'treatment_category'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('recommended_days__gte', models.F('min_days'))), name='waiting_rule_order'), models.UniqueConstraint(condition=models.Q(('clinic__isnull', True)), fields=('injectable_kind', 'treatment_category'), name='waiting_rule_default_once'), models.UniqueConstraint(condition=models.Q(('clinic__isnull', False)), fields=('clinic', 'injectable_kind', 'treatment_category'), name='waiting_rule_clinic_once')],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="injectablerecord", table=None),
        migrations.AlterModelTable(name="healthdeclaration", table=None),
        migrations.AlterModelTable(name="waitingrule", table=None),
        migrations.AlterModelTable(name="contraindicationrule", table=None),
        migrations.RenameIndex(
            model_name="injectablerecord",
            new_name="injectable_client_date",
            old_name="clinic_inje_client__9e2e8e_idx",
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
