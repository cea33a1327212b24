"""The client's forms for a booking: the list still to sign and the signing page, behind the
booking's own signed link (the confirmation email, the reminder, the client space)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from bookings.models import Appointment
from clinic.audit import PAGES
from consent.models import Submission
from consent.selectors import versions_to_sign
from online.pages.branding import render_page
from online.pages.ratelimit import page_rate_limit
from online.pages.views import _link_page, _linked
from web.api.throttles import BookingThrottle
from web.signing import SignForm, sign_from_page


def _open(reference: str, token: str) -> Appointment:
    appointment = _linked(reference, token)
    if appointment.status != Appointment.Status.CONFIRMED:
        raise Http404("Forms are signed for a confirmed booking.")
    return appointment


@_link_page
@require_GET
def forms(request, reference, token):
    appointment = _open(reference, token)
    signed = (
        Submission.objects.filter(appointment=appointment)
        .select_related("version__template")
        .order_by("signed_at")
    )
    return render_page(
        request,
        "online/consent_forms.html",
        clinic=appointment.clinic,
        appointment=appointment,
        to_sign=versions_to_sign(appointment),
        signed=signed,
    )


@_link_page
@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def form_sign(request, reference, token, version_id):
    appointment = _open(reference, token)
    version = next((v for v in versions_to_sign(appointment) if v.pk == version_id), None)
    if version is None:
        messages.info(request, "That form is signed already, or this booking does not need it.")
        return redirect("online:forms", appointment.reference, token)
    form = SignForm(request.POST if request.method == "POST" else None, version=version)
    if request.method == "POST":
        submission = sign_from_page(
            request, form, appointment=appointment, channel=Submission.Channel.ONLINE, via=PAGES
        )
        if submission is not None:
            messages.success(
                request, f"Thank you: “{version.title}” is signed. We have emailed you a copy."
            )
            return redirect("online:forms", appointment.reference, token)
    return render_page(
        request,
        "online/consent_sign.html",
        clinic=appointment.clinic,
        appointment=appointment,
        version=version,
        form=form,
        action="",
    )
