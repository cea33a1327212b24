"""The catalogue's records an API request names (a treatment by its slug, a practitioner by
id), or a 400 that says which field named nothing bookable."""

from clinic import sql
from clinic.models import Practitioner, Treatment
from web.api.errors import field_error


def treatment_by_slug(slug: str, *, organisation_id: int | None = None) -> Treatment:
    """The active treatment with this slug (of that organisation's clinics when given)."""
    return treatment_and_practitioner(slug, None, organisation_id=organisation_id)[0]


def treatment_and_practitioner(
    slug: str, practitioner_id: int | None, *, organisation_id: int | None = None
) -> tuple[Treatment, Practitioner | None]:
    """The active treatment with this slug, with its clinic, and the practitioner with this
    id if they offer it (None when none was asked for), read in one query (clinic/sql.py)."""
    treatment, practitioner = sql.treatment_and_practitioner(
        slug=slug, practitioner_id=practitioner_id, organisation_id=organisation_id
    )
    if treatment is None:
        raise field_error("treatment", f"No bookable treatment is called {slug!r}.")
    if practitioner_id is not None and practitioner is None:
        raise field_error("practitioner", "No practitioner with this id offers this treatment.")
    return treatment, practitioner
