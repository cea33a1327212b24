"""Reads of the clinic's records that more than one caller needs."""

from django.db.models import QuerySet, Value
from django.db.models.functions import Lower

from clinic.models import Client, Treatment


def client_by_email(*, organisation_id: int, email: str) -> Client | None:
    """The organisation's client with this email address in any case, or None. Compared as
    `lower(email) = lower(%s)`, the expression of the (organisation, lower(email)) unique
    index, so PostgreSQL answers from the index; `email__iexact` (UPPER(...) LIKE UPPER(...))
    cannot use it and read the whole clients table on every online booking. With their home
    clinic (a join by primary key), which the booking's answer shows."""
    return (
        Client.objects.select_related("home_clinic")
        .alias(email_lower=Lower("email"))
        .filter(organisation_id=organisation_id, email_lower=Lower(Value(email.strip())))
        .order_by()
        .first()
    )


def bookable_treatments() -> QuerySet[Treatment]:
    """Every active treatment with its clinic, clinic by clinic in menu order."""
    return (
        Treatment.objects.filter(active=True)
        .select_related("clinic")
        .order_by("clinic__name", "clinic_id", "position", "name")
    )
