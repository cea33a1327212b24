"""A practitioner's sign-off from the diary and the day sheet: approve or decline, with a
note, an appointment a clinic rule says "needs practitioner approval" for. The decision is
diary/signoff.py's (it checks the role, records, audits and, on a decline, cancels)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

import access
from clinic import audit
from diary.errors import BookingError
from diary.signoff import APPROVE, DECLINE, NOTE_MAX_LENGTH, appointment_sign_off
from workspace.views.base import role_required, visible_appointment
from workspace.views.desk import _plain
from workspace.views.grid import _back


class SignOffForm(forms.Form):
    decision = forms.ChoiceField(choices=[(APPROVE, "Approve"), (DECLINE, "Decline")])
    note = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_note(self):
        return _plain(self.cleaned_data["note"], multiline=True)


@role_required()
@require_POST
def sign_off(request, reference):
    """POST decision=approve|decline, note, next: an appointment not on the user's day sheet
    is a 404, a role that does not sign off (the front desk) a 403; then back to `next` (the
    diary or the day sheet) with what happened or why not."""
    appointment = visible_appointment(request, reference)
    if not access.may_sign_off(request.user, appointment):
        raise PermissionDenied
    form = SignOffForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, f"{appointment.reference} not signed off: {problems}")
    else:
        try:
            done = appointment_sign_off(
                appointment=appointment,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                by=request.user,
                origin=audit.Origin.of(request, via=audit.WORKSPACE, clinic=appointment.clinic_id),
            )
        except BookingError as refusal:
            messages.error(request, f"{appointment.reference}: {refusal.detail}")
        else:
            if done.status == done.Status.APPROVED:
                messages.success(request, f"{appointment.reference}: approved.")
            else:
                messages.success(
                    request,
                    f"{appointment.reference}: declined and cancelled; the client is told.",
                )
    day = timezone.localtime(appointment.start).date()
    return redirect(_back(request, f"{reverse('workspace:sheet')}?date={day.isoformat()}"))
