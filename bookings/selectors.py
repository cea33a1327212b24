"""Finding one appointment: by its reference, or by the signed link a client holds."""

from bookings.models import REFERENCE_PATTERN, Appointment


def appointment_by_reference(reference: str) -> Appointment | None:
    """The appointment with this reference (in any case) and what its pages show; None for
    an unknown reference, or for anything that cannot be one."""
    reference = reference.upper()
    if not REFERENCE_PATTERN.fullmatch(reference):  # never send a NUL or a novel to the database
        return None
    return (
        Appointment.objects.select_related(
            "clinic", "treatment", "practitioner", "client", "client__home_clinic"
        )
        .filter(reference=reference)
        .first()
    )


def appointment_by_link(*, reference: str, token: str) -> Appointment | None:
    """The appointment a booking's signed link points at; None unless the token matches,
    so a wrong token and an unknown reference look alike."""
    appointment = appointment_by_reference(reference)
    if appointment is None or not appointment.manage_token_matches(token):
        return None
    return appointment
