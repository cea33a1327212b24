"""Writes to the clinic's own records that more than one caller needs."""

from django.db import IntegrityError, transaction

from clinic.models import Client, Clinic


def client_get_or_create(
    *, clinic: Clinic, name: str, email: str, phone: str = ""
) -> tuple[Client, bool]:
    """The clinic's client with this email (any case), created if new; and whether it was.

    An existing record is never changed from here: whoever types an email address into the
    booking form must not be able to rename or re-number that client. Two first bookings
    with one new email at once make one client: the second finds the first's row.
    """
    email = email.strip()
    existing = Client.objects.filter(clinic=clinic, email__iexact=email).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            client = Client.objects.create(
                clinic=clinic, name=name.strip(), email=email, phone=phone.strip()
            )
    except IntegrityError:  # the other one created it a moment ago
        return Client.objects.get(clinic=clinic, email__iexact=email), False
    return client, True
