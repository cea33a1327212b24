"""Managers' pages: the clinical rules, the audit trail, a client's data export and their
anonymisation on request."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

import access
from clinic import audit
from clinic.models import AuditEntry, AuditSubject
from clinical import terms
from clinical.models import ContraindicationRule, WaitingRule
from clinical.vocabulary import CATEGORY, CONDITION, PROCEDURE
from privacy.anonymise import AnonymisationRefused, client_anonymise, is_anonymised
from privacy.export import client_export_json
from records.storage import StorageUnavailable
from web.paging import EstimatedCountPaginator
from workspace.views.base import role_required, visible_client

AUDIT_PAGE_SIZE = 50


@role_required(access.VIEW_RULES)
def rules(request):
    """The waiting and contraindication rules in force at the clinic looked at (its own, its
    organisation's and the defaults), in its organisation's words; edited in the admin."""
    clinic = request.clinic
    words = terms.vocabulary_for(clinic.organisation_id)
    waiting = list(
        WaitingRule.objects.filter_for(clinic).select_related("clinic", "organisation", "treatment")
    )
    contraindications = list(
        ContraindicationRule.objects.filter_for(clinic).select_related(
            "clinic", "organisation", "treatment", "resource_kind"
        )
    )
    for rule in waiting:
        rule.kind_name = words.name(PROCEDURE, rule.injectable_kind)
    for rule in [*waiting, *contraindications]:
        rule.target = rule.treatment or (
            words.name(CATEGORY, rule.treatment_category) if rule.treatment_category else ""
        )
    for rule in contraindications:
        rule.condition_name = words.name(CONDITION, rule.condition)
        rule.target = rule.target or rule.resource_kind
    return render(
        request,
        "workspace/rules.html",
        {
            "waiting": waiting,
            "contraindications": contraindications,
            "procedures": [words.word(PROCEDURE, code) for code in words.codes(PROCEDURE)],
            "may_edit": access.can(request.user, access.CHANGE_RULES, clinic),
        },
    )


@role_required(access.VIEW_AUDIT)
def audit_trail(request):
    """What was done at the clinic looked at, newest first; ?client=<id> for one client's
    trail (lists that showed them included), ?user=<username> for one user's."""
    entries = AuditEntry.objects.filter(clinic=request.clinic).select_related("client")
    client_id = request.GET.get("client", "")
    if client_id.isascii() and client_id.isdigit():  # "²" is a digit to isdigit, not to int
        # Their own entries and the lists that showed them.
        entries = entries.filter(audit.entries_about([int(client_id)]))
    if username := request.GET.get("user", "").strip()[:150]:
        entries = entries.filter(username=username)
    # Counted up to 10,000 entries, then estimated (web/paging.py): a clinic's trail grows
    # by every view of a record.
    page = EstimatedCountPaginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    # How many clients each entry of a list showed, for this page's entries only (as an
    # annotation of the page's query it was worked out for every entry an OFFSET skips).
    shown = dict(
        AuditSubject.objects.filter(entry__in=[entry.pk for entry in page])
        .order_by()
        .values_list("entry")
        .annotate(clients=Count("*"))
    )
    for entry in page:
        entry.listed = shown.get(entry.pk, 0)
    return render(
        request,
        "workspace/audit.html",
        {"page": page, "client_id": client_id, "username": username},
    )


@role_required(access.PERSONAL_DATA)
def export(request, client_id):
    client = visible_client(request, client_id)
    audit.audit_record(
        request,
        action=AuditEntry.Action.EXPORT,
        what=audit.PERSONAL_DATA,
        clients=[client],
        clinic=request.clinic,
    )
    try:
        body = client_export_json(client)
    except StorageUnavailable:
        return JsonResponse(
            {
                "code": "photo_storage_unavailable",
                "detail": "The clinical photos' storage did not answer: try the export again.",
            },
            status=503,
        )
    # Compact (orjson: privacy/export.py); indentation made the json module encode in pure
    # Python, five times slower on a long history than its C encoder.
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="client-{client.pk}.json"'
    return response


@role_required(access.PERSONAL_DATA)
@require_http_methods(["GET", "POST"])
def anonymise(request, client_id):
    """A confirmation page, then the anonymisation (privacy/anonymise.py)."""
    client = visible_client(request, client_id)
    if request.method == "POST":
        try:
            client_anonymise(client=client)
        except AnonymisationRefused as refusal:
            messages.error(request, refusal.detail)
        else:
            audit.audit_record(
                request,
                action=AuditEntry.Action.ANONYMISE,
                what=audit.PERSONAL_DATA,
                clients=[client],
                clinic=request.clinic,
            )
            messages.success(request, "The client's personal data has been removed.")
        return redirect("workspace:client", client.pk)
    return render(
        request,
        "workspace/anonymise.html",
        {"client": client, "already": is_anonymised(client)},
    )
