"""Reads of the clinic's records that more than one caller needs."""

from django.db.models import QuerySet

from clinic import sql
from clinic.models import Client, Treatment


def client_by_email(*, organisation_id: int, email: str) -> Client | None:
    """The organisation's client with this email address in any case, with their home
    clinic, or None. Compared as `lower(email) = lower(%s)`, the expression of the
    (organisation, lower(email)) unique index, so PostgreSQL answers from the index;
    `email__iexact` (UPPER(...) LIKE UPPER(...)) cannot use it and read the whole clients
    table on every online booking. Written out in clinic/sql.py (every booking asks)."""
    return sql.client_by_email(organisation_id=organisation_id, email=email.strip())


def bookable_treatments() -> QuerySet[Treatment]:
    """Every active treatment with its clinic, clinic by clinic in menu order."""
    return (
        Treatment.objects.filter(active=True)
        .select_related("clinic")
        .order_by("clinic__name", "clinic_id", "position", "name")
    )
