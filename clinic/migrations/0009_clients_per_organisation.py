"""A client is now a person of the organisation: one record per email address, shared by the
organisation's clinics, so a filler recorded at one branch governs every branch's bookings.

Records of the same email (any case) at clinics of one organisation become one: the oldest
record survives, with its name and email as they are; it takes a phone number and a login from
the others if it has none, and keeps an opt-out from aftercare emails if any of them had one
(the earliest). Their appointments, health records, messages and audit entries move to it, and
an audit entry ("merge", via "system", at its clinic) lists the ids of the records merged
into it. A name or
phone that differed on a merged record is not kept. Where the client was first recorded becomes
their home clinic.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Lower

MOVED = [  # (app label, model) of the rows that point at a client
    ("bookings", "Appointment"),
    ("clinical", "InjectableRecord"),
    ("clinical", "HealthDeclaration"),
    ("aftercare", "Message"),
    ("clinic", "AuditEntry"),
]


def clients_per_organisation(apps, schema_editor):
    Client = apps.get_model("clinic", "Client")
    Clinic = apps.get_model("clinic", "Clinic")
    AuditEntry = apps.get_model("clinic", "AuditEntry")
    Client.objects.update(
        organisation=Subquery(
            Clinic.objects.filter(pk=OuterRef("clinic_id")).values("organisation_id")[:1]
        )
    )
    duplicates = (
        Client.objects.annotate(address=Lower("email"))
        .values("organisation_id", "address")
        .annotate(records=Count("pk"))
        .filter(records__gt=1)
    )
    for group in duplicates:
        survivor, *others = Client.objects.annotate(address=Lower("email")).filter(
            organisation_id=group["organisation_id"], address=group["address"]
        ).order_by("created_at", "pk")
        merged = [other.pk for other in others]
        for app_label, model in MOVED:
            apps.get_model(app_label, model).objects.filter(client_id__in=merged).update(
                client_id=survivor.pk
            )
        if not survivor.phone:
            survivor.phone = next((other.phone for other in others if other.phone), "")
        if survivor.user_id is None:
            survivor.user_id = next((o.user_id for o in others if o.user_id), None)
        opt_outs = [c.unsubscribed_at for c in (survivor, *others) if c.unsubscribed_at]
        survivor.unsubscribed_at = min(opt_outs) if opt_outs else None
        Client.objects.filter(pk__in=merged).update(user=None)  # the login may move
        survivor.save(update_fields=["phone", "user", "unsubscribed_at"])
        AuditEntry.objects.create(
            username="",
            action="merge",
            what="client record",
            client_id=survivor.pk,
            clinic_id=survivor.clinic_id,
            via="system",
            path="",
            details={"merged_client_ids": merged},
        )
        Client.objects.filter(pk__in=merged).delete()
    if schema_editor.connection.vendor == "postgresql":
        # The deletes leave deferred foreign-key checks pending on the clients' table, and
        # PostgreSQL refuses the ALTER TABLE below while any are: run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0008_organisations"),
        ("bookings", "0004_diary_search_indexes"),
        ("clinical", "0001_initial"),
        ("aftercare", "0003_cancellation_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="organisation",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="clients", to="clinic.organisation"),
        ),
        migrations.RunPython(clients_per_organisation, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="client",
            name="client_email_unique_per_clinic",
        ),
        migrations.AlterField(
            model_name="client",
            name="organisation",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="clients", to="clinic.organisation"),
        ),
        migrations.RenameField(model_name="client", old_name="clinic", new_name="home_clinic"),
        migrations.AlterField(
            model_name="client",
            name="home_clinic",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="clinic.clinic"),
        ),
        migrations.AddConstraint(
            model_name="client",
            constraint=models.UniqueConstraint(models.F("organisation"), Lower("email"), name="client_email_unique_per_organisation"),
        ),
    ]
