"""What every workspace view shares: the role check and the client or appointment a user
may see (anything else is a 404, as if it did not exist)."""

import zoneinfo
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

import access
from bookings.models import Appointment
from clinic.models import Client, Clinic


def clinic_zone() -> zoneinfo.ZoneInfo | None:
    """The clinics' timezone when they share one (the usual single clinic), else None (UTC):
    staff read times in the clinic's wall time."""
    zones = list(Clinic.objects.order_by().values_list("timezone", flat=True).distinct()[:2])
    return zoneinfo.ZoneInfo(zones[0]) if len(zones) == 1 else None


def role_required(permission: str = access.USE):
    """Anonymous users go to the staff login; users whose role lacks `permission` get 403.
    The view runs, and renders, in the clinic's timezone."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("workspace:login"))
            if not access.can(request.user, permission):
                raise PermissionDenied
            with timezone.override(clinic_zone()):
                return view(request, *args, **kwargs)

        return wrapped

    return decorator


def visible_client(request, client_id: int) -> Client:
    clients = access.visible_clients(request.user).select_related("clinic", "user")
    return get_object_or_404(clients, pk=client_id)


def visible_appointment(request, reference: str) -> Appointment:
    appointment = get_object_or_404(
        Appointment.objects.select_related("clinic", "client", "treatment", "practitioner"),
        reference=reference.upper(),
    )
    if not access.may_see_appointment(request.user, appointment):
        raise Http404("No such appointment.")
    return appointment
