"""Client lookup, the client's page, and recording an injectable from it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

import access
from clinic import audit
from clinic.models import AuditEntry
from clinic.search import client_search
from clinical.services import injectable_record
from clinical.vocabulary import PROCEDURE, RecordSource
from consent.models import Submission
from courses.selectors import client_courses
from courses.services import may_record as may_record_course_payment
from workspace.forms import InjectableForm
from workspace.selectors import client_overview
from workspace.views.base import role_required, visible_client
from workspace.views.courses import PaidForm, sell_form


@role_required()
def client_lookup(request):
    """Type a name, email or phone: the page answers as you type (workspace.js asks for
    the results alone with ?partial=1) and works as a plain form without JavaScript."""
    q = request.GET.get("q", "")[:200]
    among = access.visible_clients(request.user).filter(
        organisation_id=request.clinic.organisation_id
    )
    clients = client_search(q=q, clients=among) if q else []
    template = "workspace/_client_results.html" if request.GET.get("partial") else None
    return render(
        request,
        template or "workspace/client_lookup.html",
        {"q": q, "clients": clients, "searched": bool(q.strip())},
    )


@role_required()
def client_detail(request, client_id):
    client = visible_client(request, client_id)
    clinic = request.clinic
    overview = client_overview(
        client,
        clinic=clinic,
        diary=access.diary_of(request.user),
        message_clinics=access.clinic_ids(request.user),
        past_page=request.GET.get("past"),
    )
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=audit.CLIENT_PAGE,
        clients=[client],
        clinic=clinic,
    )
    return render(
        request,
        "workspace/client_detail.html",
        {
            "client": client,
            "o": overview,
            "may_book": access.can(request.user, access.BOOK, clinic),
            "may_record": access.can(request.user, access.RECORD_HEALTH, clinic),
            "may_export": access.can(request.user, access.PERSONAL_DATA, clinic),
            "signed_forms": Submission.objects.filter(client=client).select_related("version"),
            # The courses bought at the clinics where the user has a role (a clinic's books).
            "bought_courses": client_courses(
                client, now=timezone.now(), clinic_ids=access.clinic_ids(request.user)
            ),
            "sell_form": sell_form(clinic)
            if access.can(request.user, access.BOOK, clinic)
            else None,
            "paid_form": PaidForm() if may_record_course_payment(request.user, clinic) else None,
        },
    )


@role_required(access.RECORD_HEALTH)
@require_http_methods(["GET", "POST"])
def injectable_new(request, client_id):
    """Record an injectable; then back to the client's page, where the upcoming
    appointments it now conflicts with are listed first, to reschedule or contact."""
    client = visible_client(request, client_id)
    form = InjectableForm(request.POST or None, clinic=client.home_clinic)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record, flagged = injectable_record(
            client=client,
            source=RecordSource.STAFF,
            by=request.user,
            origin=audit.Origin.of(request, via=audit.WORKSPACE, clinic=request.clinic),
            **{k: v for k, v in data.items() if v not in (None, "")},
        )
        messages.success(
            request,
            f"Recorded {form.words.name(PROCEDURE, record.kind).lower()} "
            f"on {record.date:%-d %b %Y}.",
        )
        if flagged:
            messages.warning(
                request,
                f"{len(flagged)} upcoming appointment{'s' if len(flagged) > 1 else ''} now "
                "conflict with this record: reschedule or contact the client below.",
            )
            return redirect(reverse("workspace:client", args=[client.pk]) + "#conflicts")
        return redirect("workspace:client", client.pk)
    return render(
        request,
        "workspace/injectable_form.html",
        {"client": client, "form": form, "areas": form.fields["areas"].choices},
    )
