"""What every workspace view shares: the clinic the staff member is looking at, the role
check there, and the client or appointment a user may see (anything else is a 404, as if it
did not exist).

The workspace shows one clinic at a time, `request.clinic`: the one asked for with
`?clinic=<slug>` (remembered in the session), else the one looked at last, else the first of
the user's clinics. Its time zone is active while the view runs and renders, so staff read
every time in that clinic's wall time; the clients they may open are those of its
organisation.
"""

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

SESSION_KEY = "workspace_clinic"


def current_clinic(request) -> Clinic | None:
    """The clinic this request looks at, among those where the user has a role."""
    clinics = access.clinics(request.user).order_by("name", "pk")
    asked = request.GET.get("clinic", "")
    clinic = None
    if asked:
        clinic = clinics.filter(slug=asked[:50]).first()
    if clinic is None and (remembered := request.session.get(SESSION_KEY)):
        clinic = clinics.filter(pk=remembered).first()
    clinic = clinic or clinics.first()
    if clinic is not None:
        request.session[SESSION_KEY] = clinic.pk
    return clinic


def role_required(permission: str = access.USE):
    """Anonymous users go to the staff login; users whose role at the clinic they look at
    lacks `permission` get 403. The view runs, and renders, in that clinic's time zone."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("workspace:login"))
            clinic = current_clinic(request) if access.is_staff(request.user) else None
            if clinic is None or not access.can(request.user, permission, clinic):
                raise PermissionDenied
            request.clinic = clinic
            request.clinics = list(access.clinics(request.user).order_by("name", "pk"))
            with timezone.override(clinic.tzinfo):
                return view(request, *args, **kwargs)

        return wrapped

    return decorator


def visible_client(request, client_id: int) -> Client:
    """A client of the current clinic's organisation whom the user may see; 404 otherwise."""
    clients = access.visible_clients(request.user).filter(
        organisation_id=request.clinic.organisation_id
    )
    return get_object_or_404(clients.select_related("home_clinic", "user"), pk=client_id)


def visible_appointment(request, reference: str) -> Appointment:
    appointment = get_object_or_404(
        Appointment.objects.select_related("clinic", "client", "treatment", "practitioner"),
        reference=reference.upper()[:12],
    )
    if not access.may_see_appointment(request.user, appointment):
        raise Http404("No such appointment.")
    return appointment
