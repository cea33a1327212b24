"""An appointment's money at the desk: its price as booked, what is due now, paid and
outstanding or to refund, the ledger; recording a payment or refund taken at the desk and
(managers) waiving a fee, each a POST that redirects back. The services (money/services.py)
decide who may; an appointment the user may not see is a 404 (visible_appointment)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

import access
from aftercare.models import Message
from clinic import audit
from clinic.audit import Origin
from money import services
from money.currency import shown
from money.due import Owed
from money.errors import MoneyError
from money.models import Payment
from money.selectors import appointment_account
from workspace.views.base import role_required, visible_appointment
from workspace.views.desk import _plain

OWED_WORDS = {
    Owed.DEPOSIT: "deposit",
    Owed.BALANCE: "balance",
    Owed.LATE_CANCELLATION_FEE: "late-cancellation fee",
    Owed.NO_SHOW_FEE: "no-show fee",
}
SUGGESTED_KIND = {
    Owed.DEPOSIT: Payment.Kind.DEPOSIT,
    Owed.LATE_CANCELLATION_FEE: Payment.Kind.FEE,
    Owed.NO_SHOW_FEE: Payment.Kind.FEE,
}


class PaymentForm(forms.Form):
    amount = forms.DecimalField(min_value=0, max_digits=10, decimal_places=3)
    kind = forms.ChoiceField(choices=Payment.Kind.choices, label="For")
    method = forms.ChoiceField(choices=Payment.Method.choices, label="Taken by")
    note = forms.CharField(max_length=200, required=False)

    def clean_note(self):
        return _plain(self.cleaned_data["note"])


class WaiveForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the fee; the audit trail records who waived it and when.",
    )

    def clean_reason(self):
        return _plain(self.cleaned_data["reason"], multiline=True)


def _page(request, appointment):
    return reverse("workspace:payments", args=[appointment.reference])


@role_required()
@require_http_methods(["GET", "POST"])
def payments(request, reference):
    appointment = visible_appointment(request, reference)
    may_record = services.may_record(request.user, appointment.clinic_id)
    form = PaymentForm(request.POST or None)
    if request.method == "POST":
        if not may_record:
            messages.error(request, "Your role does not record payments.")
            return redirect(_page(request, appointment))
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = services.payment_record(
                    appointment=appointment,
                    amount=data["amount"],
                    kind=data["kind"],
                    method=data["method"],
                    note=data["note"],
                    by=request.user,
                )
            except MoneyError as refusal:
                form.add_error("amount", refusal.detail)
            else:
                messages.success(
                    request,
                    f"Recorded {payment.get_kind_display().lower()} of "
                    f"{shown(payment.amount, payment.currency)} for "
                    f"{appointment.reference}. A receipt is emailed to the client.",
                )
                return redirect(_page(request, appointment))
    account = appointment_account(appointment)
    if request.method == "GET":
        form = PaymentForm(
            initial={
                "amount": account.outstanding or account.balance_at_visit or None,
                "kind": SUGGESTED_KIND.get(account.outstanding_is, Payment.Kind.BALANCE),
            }
        )
    charge = account.charge
    # A deposit staff asked by card: the client was emailed a link to pay it (diary/deposits.py).
    link = appointment.messages.filter(kind=Message.Kind.DEPOSIT_DUE).first()
    return render(
        request,
        "workspace/payments.html",
        {
            "appointment": appointment,
            "local_start": appointment.start.astimezone(appointment.clinic.tzinfo),
            "client_shown": access.may_see_client(request.user, appointment.client),
            "account": account,
            "outstanding_is": OWED_WORDS.get(account.outstanding_is, ""),
            "deposit_link": link,
            "form": form if may_record and appointment.client_id else None,
            "waive_form": (
                WaiveForm()
                if charge is not None
                and not charge.is_waived
                and services.may_waive(request.user, appointment.clinic_id)
                else None
            ),
        },
    )


@role_required()
@require_POST
def waive(request, reference):
    appointment = visible_appointment(request, reference)
    charge = getattr(appointment, "charge", None)
    form = WaiveForm(request.POST)
    if charge is None:
        messages.error(request, f"{appointment.reference} has no fee to waive.")
    elif not form.is_valid():
        messages.error(request, "Say why the fee is waived.")
    else:
        try:
            services.fee_waive(
                charge=charge,
                by=request.user,
                reason=form.cleaned_data["reason"],
                origin=Origin.of(request, via=audit.WORKSPACE, clinic=appointment.clinic_id),
            )
        except MoneyError as refusal:
            messages.error(request, f"{appointment.reference}: {refusal.detail}")
        else:
            messages.success(request, f"Waived the {charge.get_kind_display().lower()}.")
    return redirect(_page(request, appointment))
