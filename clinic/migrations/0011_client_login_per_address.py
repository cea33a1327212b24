"""Clients sign in with a code sent to their email (django-allauth), so every client needs a
login: one per email address (any case), shared by their records at every organisation, a
User with no password and no staff status, with an allauth EmailAddress row that allauth
finds them by (clinic/identity.py does the same for new clients).

A client who already had a login keeps it, and it gets the address row; the address's
other clients (at other organisations) join that login. Where clients of one address had
different logins, the oldest client's becomes the address's and the others' records move to
it, so one code reaches them all (the other logins stay, no longer any client's). A staff
account is never made a client's login.
"""

import secrets

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import migrations, models


def logins_for_clients(apps, schema_editor):
    Client = apps.get_model("clinic", "Client")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    EmailAddress = apps.get_model("account", "EmailAddress")
    by_address = {}
    for client in Client.objects.order_by("pk"):
        by_address.setdefault(client.email.strip().lower(), []).append(client)
    for address, clients in by_address.items():
        if not address:
            continue
        row = EmailAddress.objects.filter(email__iexact=address).order_by("pk").first()
        user = row.user if row is not None else None
        if user is None:
            user = next((c.user for c in clients if c.user_id and not c.user.is_staff), None)
        if user is None:
            user = User.objects.create(
                username=f"client-{secrets.token_hex(6)}",
                email=address,
                password=make_password(None),
            )
        if row is None:
            EmailAddress.objects.create(user=user, email=address, primary=True, verified=False)
        Client.objects.filter(pk__in=[c.pk for c in clients]).update(user=user)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0010_memberships_from_roles"),
        ("account", "0009_emailaddress_unique_primary_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="client",
            name="user",
            field=models.ForeignKey(
                blank=True,
                help_text="Their login (clinic/identity.py): one per email address, shared by "
                "their records at every organisation they book with.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="clients",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(logins_for_clients, migrations.RunPython.noop),
    ]
