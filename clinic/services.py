"""Writes to the clinic's own records that more than one caller needs."""

from django.db import IntegrityError, transaction

from clinic.identity import client_login_link
from clinic.models import Client, Clinic
from clinic.selectors import client_by_email


def client_get_or_create(
    *, clinic: Clinic, name: str, email: str, phone: str = ""
) -> tuple[Client, bool]:
    """The client with this email (any case) of `clinic`'s organisation, created if new with
    `clinic` as their home clinic and linked to the login of their address
    (clinic/identity.py); and whether it was created.

    An existing record is never changed from here: whoever types an email address into the
    booking form must not be able to rename or re-number that client. Two first bookings
    with one new email at once make one client: the second finds the first's row.
    """
    email = email.strip()
    organisation_id = clinic.organisation_id
    existing = client_by_email(organisation_id=organisation_id, email=email)
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            client = Client.objects.create(
                organisation_id=organisation_id,
                home_clinic=clinic,
                name=name.strip(),
                email=email,
                phone=phone.strip(),
            )
            client_login_link(client)
    except IntegrityError:  # the other one created it a moment ago
        return client_by_email(organisation_id=organisation_id, email=email), False
    return client, True
