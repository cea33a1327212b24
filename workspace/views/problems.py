"""Payment problems: the calls to the card provider that need a person (money/problems.py),
for the clinic looked at. The desk reads them (they take in person what a card would not
give); managers try one again or settle it at the desk, with a reason. A role that records
no payments gets a 404, as does a call of a clinic where the user may not act."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

import access
from clinic import audit
from clinic.audit import Origin
from money import problems
from money.currency import shown
from money.errors import MoneyError
from money.models import ProviderCall
from workspace.views.base import role_required
from workspace.views.desk import _plain


class ResolveForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How it was settled (taken in cash, refunded on the terminal...). Audited.",
    )

    def clean_reason(self):
        return _plain(self.cleaned_data["reason"], multiline=True)


def _back():
    return redirect(reverse("workspace:payment-problems"))


def _actionable(request, call_id: int) -> ProviderCall:
    """A call of a clinic where the user acts on payment problems; 404 otherwise."""
    ids = access.clinic_ids(request.user, problems.ACT)
    calls = ProviderCall.objects.select_related("appointment", "client_course")
    return get_object_or_404(calls if ids is None else calls.filter(clinic_id__in=ids), pk=call_id)


@role_required()
def payment_problems(request):
    clinic = request.clinic
    if not problems.may_see(request.user, clinic):
        raise Http404("No such page.")
    calls = list(problems.problem_calls(clinic_ids={clinic.pk})[:200])
    may_act = problems.may_act(request.user, clinic)
    return render(
        request,
        "workspace/payment_problems.html",
        {
            "calls": [
                {
                    "call": call,
                    "appointment": call.appointment,
                    "course": call.client_course,
                    "local_start": call.appointment.start.astimezone(clinic.tzinfo)
                    if call.appointment_id
                    else None,
                    "amount": shown(call.amount, call.currency) if call.amount else "",
                    "refused": problems.is_refused(call),
                    "resolvable": call.status != ProviderCall.Status.SENDING,
                }
                for call in calls
            ],
            "may_act": may_act,
            "resolve_form": ResolveForm() if may_act else None,
        },
    )


@role_required()
@require_POST
def retry(request, call_id):
    call = _actionable(request, call_id)
    try:
        made = problems.call_retry(
            call=call,
            by=request.user,
            origin=Origin.of(request, via=audit.WORKSPACE, clinic=call.clinic_id),
        )
    except MoneyError as refusal:
        messages.error(request, f"{call.about}: {refusal.detail}")
    else:
        how = "as a new call" if made.pk != call.pk else "under its own key"
        what = f"{call.get_kind_display()} for {call.about}"
        messages.success(request, f"{what}: tried again {how}.")
    return _back()


@role_required()
@require_POST
def resolve(request, call_id):
    call = _actionable(request, call_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say how it was settled at the desk.")
        return _back()
    try:
        problems.call_resolve(
            call=call,
            by=request.user,
            reason=form.cleaned_data["reason"],
            origin=Origin.of(request, via=audit.WORKSPACE, clinic=call.clinic_id),
        )
    except MoneyError as refusal:
        messages.error(request, f"{call.about}: {refusal.detail}")
    else:
        messages.success(
            request,
            f"{call.get_kind_display()} for {call.about}: settled at the desk.",
        )
    return _back()
