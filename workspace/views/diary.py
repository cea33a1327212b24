"""The day sheet (one day or a week, the whole clinic or one practitioner) and marking an
appointment completed or a no-show from it."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

import access
from clinic import audit
from clinic.models import AuditEntry, Practitioner
from diary import services
from diary.errors import BookingError
from workspace.forms import SheetQueryForm
from workspace.selectors import clinic_today, day_sheet, span_days
from workspace.views.base import role_required, visible_appointment
from workspace.views.consent import forms_unsigned
from workspace.views.records import sheet_records


@role_required()
def sheet(request):
    """?date=YYYY-MM-DD&span=day|week&practitioner=<id>, for the clinic looked at. A
    practitioner always gets their own sheet; a week starts on the Monday of the date asked
    for.

    The week is one page, not paged by day: the front desk prints it to see the week's
    rooms and staff at once, and the day sheet is already there for a day. What keeps it
    cheap is its lines (workspace.templatetags.diary_grid sheet_row, one string per line)
    and reads that do not grow with the appointments shown (issue 16)."""
    clinic = request.clinic
    query = SheetQueryForm(request.GET, clinic=clinic)
    query.is_valid()
    data = query.cleaned_data
    allowed, practitioner_id = access.sheet_practitioner(
        request.user, clinic, data["practitioner"].pk if data.get("practitioner") else None
    )
    if not allowed:
        raise PermissionDenied
    day = data.get("date") or clinic_today(clinic)
    span = data.get("span") or "day"
    first_day, last_day = span_days(day, span)
    days = day_sheet(
        clinic=clinic,
        first_day=first_day,
        last_day=last_day,
        visible=access.diary_of(request.user),
        practitioner_id=practitioner_id,
    )
    # A practitioner's sheet holds all their appointments, but a client shows on it only if
    # their role shows them the client (access.practitioner_clients: the clinic's diary, not
    # a booking they asked for as the public); the others are a time and a treatment.
    shown = access.visible_among(
        request.user, (e.appointment.client for d in days for _, group in d.groups for e in group)
    )
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=audit.DAY_SHEET,
        clients=sorted(shown),
        clinic=clinic,
        first_day=first_day.isoformat(),
        last_day=last_day.isoformat(),
    )
    records = sheet_records(request, days=days, shown=shown, clinic=clinic)
    step = timedelta(days=7 if span == "week" else 1)
    return render(
        request,
        "workspace/day_sheet.html",
        {
            "days": days,
            "shown": shown,
            "day": day,
            "span": span,
            "first_day": first_day,
            "last_day": last_day,
            "previous": day - step,
            "next": day + step,
            "practitioner": _practitioner_shown(practitioner_id, data.get("practitioner"), days),
            "practitioners": (
                Practitioner.objects.filter(clinic=clinic, active=True)
                if access.can(request.user, access.SEE_WHOLE_DIARY, clinic)
                else []
            ),
            "may_book": access.can(request.user, access.BOOK, clinic),
            "may_sign_off": access.can(request.user, access.SIGN_OFF, clinic),
            "unsigned": forms_unsigned(
                line.appointment for d in days for _, group in d.groups for line in group
            ),
            "records": records,
        },
    )


def _practitioner_shown(practitioner_id, requested, days) -> Practitioner | None:
    """The practitioner whose sheet it is (None: the whole clinic's), read only when neither
    the query's form nor the sheet's own lines already hold them."""
    if practitioner_id is None:
        return None
    if requested is not None and requested.pk == practitioner_id:
        return requested
    for d in days:
        for practitioner, _ in d.groups:
            if practitioner.pk == practitioner_id:
                return practitioner
    return Practitioner.objects.filter(pk=practitioner_id).first()


@role_required()
@require_POST
def attendance(request, reference, outcome):
    """Mark completed or no-show, through the services (which refuse it before the start)."""
    appointment = visible_appointment(request, reference)
    transition = {
        "complete": services.appointment_complete,
        "no-show": services.appointment_mark_no_show,
    }[outcome]
    try:
        done = transition(appointment=appointment, by=request.user)
    except BookingError as refusal:
        messages.error(request, f"{appointment.reference}: {refusal.detail}")
    else:
        messages.success(
            request, f"{done.reference} ({done.client.name}): {done.get_status_display()}."
        )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("workspace:sheet")
