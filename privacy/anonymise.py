"""Anonymising a client on request: their personal data removed, the diary kept as it was."""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from aftercare.services import messages_forget
from bookings.history import appointments_redact
from bookings.models import Appointment
from clinic.models import Client
from clinical.services import health_records_erase
from diary.errors import BookingError


class AnonymisationRefused(BookingError):
    code = "upcoming_appointments"
    status = 409
    detail = "Cancel the client's upcoming appointments before anonymising them."


def anonymised_email(client: Client) -> str:
    # Still unique in the organisation (the constraint on email), at a domain that never
    # delivers.
    return f"anonymised-{client.pk}@anonymised.invalid"


def client_anonymise(*, client: Client, now=None) -> Client:
    """Remove a client's personal data on their request, keeping the diary as it was.

    Name, email and phone are replaced, their login is emptied and disabled (unless it is
    also their login at another organisation: then this record only leaves it), their health
    records are deleted, what their appointments say in words is redacted and their
    outbox emptied of anything personal (pending messages cancelled); the
    appointments themselves stay (times, statuses, practitioners, history lines), so the
    diary's counts do not change. The audit trail stays: it names no health data. Refused
    while the client has upcoming confirmed appointments, which the desk cancels first.
    """
    now = now or timezone.now()
    with transaction.atomic():
        client = (
            Client.objects.select_for_update(of=("self",)).select_related("user").get(pk=client.pk)
        )
        if Appointment.objects.filter(
            client=client, status=Appointment.Status.CONFIRMED, start__gte=now
        ).exists():
            raise AnonymisationRefused()
        health_records_erase(client=client)
        appointments_redact(client=client)
        messages_forget(client=client)
        user = client.user
        elsewhere = user is not None and user.clients.exclude(pk=client.pk).exists()
        if user is not None and not elsewhere:
            Token.objects.filter(user=user).delete()
            EmailAddress.objects.filter(user=user).delete()
            user.username = f"anonymised-{user.pk}"
            user.first_name = user.last_name = user.email = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
        client.name = f"Anonymised client {client.pk}"
        client.email = anonymised_email(client)
        client.phone = ""
        client.notes = ""
        client.user = None
        client.save(update_fields=["name", "email", "phone", "notes", "user"])
    return client


def is_anonymised(client: Client) -> bool:
    return client.email == anonymised_email(client)
