"""The clinic's waitlist for staff (/staff/waitlist/): the entries waiting, in the order
offers go out (first come, first served); the offers made and what became of them; the
clients passed over in a round and why (health reasons: shown to who may see the client's
record, and audited); and adding or removing a client's entry."""

from datetime import date

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

import access
from clinic import audit
from clinic.models import AuditEntry, Practitioner, Treatment
from waitlist.models import Entry
from waitlist.selectors import clinic_offers, clinic_skips, clinic_waitlist
from waitlist.services import WaitlistError, entry_join, entry_leave
from workspace.views.base import role_required

WAITLIST_REASONS = "waitlist reasons"  # what the audit trail says staff saw


@never_cache
@role_required(access.BOOK)
def waitlist(request):
    """GET the clinic's waitlist; POST adds an entry for a client (client id, treatment,
    dates, optional practitioner, days and times of day)."""
    clinic = request.clinic
    error = ""
    if request.method == "POST":
        error = _add(request, clinic)
        if not error:
            return redirect(request.get_full_path())
    skips = clinic_skips(clinic.pk)
    seen = access.visible_client_ids(request.user, {s.entry.client_id for s in skips})
    shown = [s for s in skips if s.entry.client_id in seen]
    if shown:
        audit.audit_record(
            request,
            action=AuditEntry.Action.VIEW,
            what=WAITLIST_REASONS,
            clients=[s.entry.client_id for s in shown],
            clinic=clinic,
        )
    return render(
        request,
        "workspace/waitlist.html",
        {
            "entries": clinic_waitlist(clinic.pk),
            "offers": clinic_offers(clinic.pk),
            "skips": skips,
            "seen": seen,
            "treatments": Treatment.objects.filter(clinic=clinic, active=True).order_by("name"),
            "practitioners": Practitioner.objects.filter(clinic=clinic, active=True).order_by(
                "name"
            ),
            "error": error,
        },
        status=400 if error else 200,
    )


def _add(request, clinic) -> str:
    """Add the entry the form asks for; the error to show, or ""."""
    post = request.POST
    try:
        client_id = int(post.get("client", ""))
        first_day = date.fromisoformat(post.get("first_day", ""))
        last_day = date.fromisoformat(post.get("last_day", ""))
        weekdays = [int(d) for d in post.getlist("weekdays")]
    except ValueError:
        return "Please give the client's number and the first and last day as dates."
    client = (
        access.visible_clients(request.user)
        .filter(pk=client_id, organisation_id=clinic.organisation_id)
        .first()
    )
    treatment = Treatment.objects.filter(clinic=clinic, pk=_int(post.get("treatment"))).first()
    if client is None or treatment is None:
        return "No such client or treatment at this clinic."
    practitioner = None
    if post.get("practitioner"):
        practitioner = Practitioner.objects.filter(
            clinic=clinic, pk=_int(post["practitioner"])
        ).first()
    try:
        entry_join(
            client=client,
            treatment=treatment,
            practitioner=practitioner,
            first_day=first_day,
            last_day=last_day,
            weekdays=weekdays,
            times_of_day=post.getlist("times_of_day"),
            by=request.user,
            source=Entry.Source.STAFF,
        )
    except WaitlistError as refused:
        return refused.detail
    messages.success(request, f"{client.name} is on the waitlist for {treatment.name}.")
    return ""


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@role_required(access.BOOK)
@require_POST
def remove(request, entry_id):
    """Take a client off the waitlist; an entry of another clinic is a 404."""
    ids = access.clinic_ids(request.user, access.BOOK)
    mine = Entry.objects.all() if ids is None else Entry.objects.filter(clinic_id__in=ids)
    entry = get_object_or_404(mine.select_related("client", "treatment"), pk=entry_id)
    if entry_leave(entry=entry, by=request.user, removed=True):
        messages.info(request, f"{entry.client.name} is off the waitlist for {entry.treatment}.")
    return redirect("workspace:waitlist")
