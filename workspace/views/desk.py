"""The front desk's actions on a client and their appointments: cancel with a reason, add a
client, edit the client's and an appointment's notes, and (managers) merge a duplicate
record into the client. Cancelling and merging go through their services
(diary/services.py, privacy/merge.py); every change of a client's details or notes joins
the audit trail, naming the fields changed, never what they say."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

import access
from bookings.models import Appointment
from clinic import audit
from clinic.audit import Origin, acting_user, audit_write
from clinic.models import AuditEntry, Client
from clinic.search import client_search
from clinic.services import client_get_or_create
from diary import services
from diary.errors import BookingError
from privacy.merge import MergeRefused, client_merge
from web.forms import PhoneField
from web.text import LINE_CONTROLS, TEXT_CONTROLS
from workspace.views.base import role_required, visible_appointment, visible_client

# What the audit trail names for each change (AuditEntry.what).
CLIENT_DETAILS = "client details"
CLIENT_NOTES = "client notes"
APPOINTMENT_NOTES = "appointment notes"

NOTES_LENGTH = 2000


def _plain(value: str, *, multiline: bool = False) -> str:
    """What a person typed, refused when it holds control characters or text-direction
    overrides (web/text.py), as the API's PlainTextField does."""
    pattern = TEXT_CONTROLS if multiline else LINE_CONTROLS
    if pattern.search(value) or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise forms.ValidationError("Remove the control or formatting characters from this text.")
    return value.strip()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the appointment's history; the client is told it was cancelled.",
    )
    client_asked = forms.BooleanField(
        label="The client asked to cancel",
        required=False,
        help_text="Then the clinic's late-cancellation fee applies, as if they had cancelled "
        "themselves; otherwise the clinic cancels, and what they paid is theirs to refund.",
    )

    def clean_reason(self):
        return _plain(self.cleaned_data["reason"], multiline=True)


class ClientForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    phone = PhoneField()
    notes = forms.CharField(
        max_length=NOTES_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_name(self):
        return _plain(self.cleaned_data["name"])

    def clean_notes(self):
        return _plain(self.cleaned_data["notes"], multiline=True)


class NotesForm(forms.Form):
    notes = forms.CharField(
        max_length=NOTES_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def clean_notes(self):
        return _plain(self.cleaned_data["notes"], multiline=True)


def _back(request, default: str) -> str:
    """The page to return to: `next` when it is one of ours, else `default`."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def _origin(request) -> Origin:
    return Origin.of(request, via=audit.WORKSPACE, clinic=request.clinic)


def _may_change(request, appointment: Appointment) -> None:
    """They see it (their own appointment, say), but only a role that books changes it."""
    if not access.can(request.user, access.BOOK, appointment.clinic_id):
        raise PermissionDenied


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def cancel(request, reference):
    """A confirmation page with the reason, then the cancellation through the service, which
    frees the time and emails the client (through the outbox)."""
    appointment = visible_appointment(request, reference)
    _may_change(request, appointment)
    client_page = reverse("workspace:client", args=[appointment.client_id])
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment,
                by=request.user,
                reason=form.cleaned_data["reason"],
                client_asked=form.cleaned_data["client_asked"],
            )
        except BookingError as refusal:
            messages.error(request, f"{appointment.reference}: {refusal.detail}")
        else:
            messages.success(
                request,
                f"Cancelled {appointment.reference} ({appointment.client.name}, "
                f"{appointment.treatment.name}). The client is emailed.",
            )
        return redirect(_back(request, client_page))
    return render(
        request,
        "workspace/desk_cancel.html",
        {
            "appointment": appointment,
            "local_start": appointment.start.astimezone(appointment.clinic.tzinfo),
            "form": form,
            "next": _back(request, client_page),
        },
    )


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def client_new(request):
    """Add a client to the organisation of the clinic looked at (its home clinic). An email
    already on record is not a second client: the form says whose it is, with a link."""
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            client, created = client_get_or_create(
                clinic=request.clinic, name=data["name"], email=data["email"], phone=data["phone"]
            )
            if created and data["notes"]:
                client.notes = data["notes"]
                client.save(update_fields=["notes"])
            if created:
                _changed(
                    request,
                    what=CLIENT_DETAILS,
                    client=client,
                    fields=[f for f in ("name", "email", "phone", "notes") if data[f]],
                    added=True,
                )
        if created:
            messages.success(request, f"Added {client.name}.")
            return redirect("workspace:client", client.pk)
        shown = access.may_see_client(request.user, client)
        form.add_error(
            "email",
            format_html(
                'This email already belongs to a client: <a href="{}">{}</a>.',
                reverse("workspace:client", args=[client.pk]),
                client.name,
            )
            if shown
            else "This email already belongs to a client of the organisation.",
        )
    return render(request, "workspace/desk_client_new.html", {"form": form})


def _changed(request, *, what: str, client: Client, fields: list[str], **details) -> None:
    """The audit entry for a change of a client's personal data: which fields, not what
    they now say (notes may hold what a client confided)."""
    audit_write(
        user=request.user,
        origin=_origin(request),
        action=AuditEntry.Action.CHANGE,
        what=what,
        clients=[client],
        fields=fields,
        **details,
    )


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def client_notes(request, client_id):
    client = visible_client(request, client_id)
    form = NotesForm(request.POST or None, initial={"notes": client.notes})
    if request.method == "POST" and form.is_valid():
        notes = form.cleaned_data["notes"]
        with transaction.atomic():
            Client.objects.filter(pk=client.pk).update(notes=notes)
            _changed(request, what=CLIENT_NOTES, client=client, fields=["notes"])
        messages.success(request, "Notes saved.")
        return redirect("workspace:client", client.pk)
    return render(
        request,
        "workspace/desk_notes.html",
        {"client": client, "form": form, "about": f"{client.name}"},
    )


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def appointment_notes(request, reference):
    appointment = visible_appointment(request, reference)
    _may_change(request, appointment)
    client = appointment.client
    form = NotesForm(request.POST or None, initial={"notes": appointment.notes})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Only the notes: the diary's fields change through diary/services.py alone.
            Appointment.objects.filter(pk=appointment.pk).update(
                notes=form.cleaned_data["notes"],
                changed_by=acting_user(request.user),
                updated_at=timezone.now(),
            )
            _changed(
                request,
                what=APPOINTMENT_NOTES,
                client=client,
                fields=["notes"],
                reference=appointment.reference,
            )
        messages.success(request, f"Notes of {appointment.reference} saved.")
        return redirect("workspace:client", client.pk)
    local_start = appointment.start.astimezone(appointment.clinic.tzinfo)
    return render(
        request,
        "workspace/desk_notes.html",
        {
            "client": client,
            "appointment": appointment,
            "form": form,
            "about": f"{appointment.treatment.name}, {local_start:%a %-d %b %Y %H:%M}",
        },
    )


@role_required(access.PERSONAL_DATA)
@require_http_methods(["GET", "POST"])
def merge(request, client_id):
    """Find the duplicate (?q=), confirm (?duplicate=<id>), merge (POST). The client whose
    page this is survives; both must be of the organisation of the clinic looked at, so a
    record of another organisation is a 404 like any other."""
    survivor = visible_client(request, client_id)
    duplicate_id = request.POST.get("duplicate") or request.GET.get("duplicate") or ""
    duplicate = (
        visible_client(request, int(duplicate_id))
        if duplicate_id.isdigit() and len(duplicate_id) < 10
        else None
    )
    if request.method == "POST":
        if duplicate is None:
            messages.error(request, "Pick the duplicate record to merge.")
            return redirect("workspace:merge", survivor.pk)
        try:
            merged = client_merge(
                survivor=survivor, duplicate=duplicate, by=request.user, origin=_origin(request)
            )
        except MergeRefused as refusal:
            messages.error(request, refusal.detail)
            return redirect("workspace:merge", survivor.pk)
        moved = merged.moved
        messages.success(
            request,
            f"Merged {duplicate.name} <{duplicate.email}> into {survivor.name}: "
            f"{moved['appointment']} appointment(s), "
            f"{moved['injectablerecord'] + moved['healthdeclaration']} health record(s) and "
            f"{moved['message']} message(s) moved.",
        )
        if merged.flagged:
            messages.warning(
                request,
                f"{len(merged.flagged)} upcoming appointment(s) now conflict with the merged "
                "health record: reschedule or contact the client below.",
            )
        return redirect("workspace:client", survivor.pk)
    q = request.GET.get("q", "")[:200]
    candidates = []
    if q.strip() and duplicate is None:
        among = (
            access.visible_clients(request.user)
            .filter(organisation_id=request.clinic.organisation_id)
            .exclude(pk=survivor.pk)
        )
        candidates = client_search(q=q, clients=among)
    counts = None
    if duplicate is not None and duplicate.pk != survivor.pk:
        counts = {
            "appointments": duplicate.appointments.count(),
            "health_records": duplicate.injectables.count() + duplicate.declarations.count(),
            "messages": duplicate.messages.count(),
        }
    return render(
        request,
        "workspace/merge.html",
        {
            "survivor": survivor,
            "duplicate": duplicate if counts is not None else None,
            "counts": counts,
            "q": q,
            "candidates": candidates,
            "searched": bool(q.strip()),
        },
    )
