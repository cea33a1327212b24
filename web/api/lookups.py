"""The catalogue's records an API request names (a treatment by its slug, a practitioner by
id), or a 400 that says which field named nothing bookable."""

from clinic.models import Practitioner, Treatment
from web.api.errors import field_error


def treatment_by_slug(slug: str, *, organisation_id: int | None = None) -> Treatment:
    """The active treatment with this slug (of that organisation's clinics when given)."""
    treatments = Treatment.objects.select_related("clinic").filter(slug=slug, active=True)
    if organisation_id is not None:
        treatments = treatments.filter(clinic__organisation_id=organisation_id)
    treatment = treatments.first()
    if treatment is None:
        raise field_error("treatment", f"No bookable treatment is called {slug!r}.")
    return treatment


def practitioner_for(treatment: Treatment, practitioner_id: int | None) -> Practitioner | None:
    """The practitioner with this id if they offer `treatment`; None when none was asked for."""
    if practitioner_id is None:
        return None
    practitioner = Practitioner.objects.filter(
        pk=practitioner_id, clinic=treatment.clinic, active=True, treatments=treatment
    ).first()
    if practitioner is None:
        raise field_error("practitioner", "No practitioner with this id offers this treatment.")
    return practitioner
