"""Who a client is online: one login per email address, whatever organisations they book
with. Each client record points at the login of its email (`Client.user`), made when the
record is made, so anyone who has booked can sign in with a code sent to that address
(django-allauth's login by code, online/accounts.py) and find their bookings.

A login is a User with no password and no staff status, and an allauth EmailAddress row:
allauth finds users by those rows only (ACCOUNT_USER_MODEL_EMAIL_FIELD is None), so a staff
account, which has none, is never reached by a code. The row is unverified until the first
code is entered.
"""

import secrets

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from clinic.models import Client


def _serialised(email: str) -> None:
    """Two first bookings with one new address at two organisations at once make one login:
    on PostgreSQL the second waits for the first's transaction (SQLite writes one at a
    time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"login:{email}"])


def client_login(email: str):
    """The login of this email address (any case), made if there is none."""
    address = email.strip().lower()
    with transaction.atomic():
        _serialised(address)
        row = (
            EmailAddress.objects.filter(email__iexact=address, user__is_staff=False)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if row is not None:
            return row.user
        user = get_user_model()(
            username=f"client-{secrets.token_hex(6)}", email=address, is_staff=False
        )
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=address, primary=True, verified=False)
        return user


def client_login_link(client: Client) -> Client:
    """Point the client at the login of their email address (after it is set or changed)."""
    user = client_login(client.email)
    if client.user_id != user.pk:
        client.user = user
        client.save(update_fields=["user"])
    return client


def clients_of(user) -> "list[Client]":
    """The client records a signed-in login is, one per organisation."""
    if user is None or not user.is_authenticated or user.is_staff:
        return []
    return list(Client.objects.filter(user=user).select_related("organisation", "home_clinic"))
