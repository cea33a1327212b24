"""Treatment records and product recalls in the workspace: the record of an appointment
(its practitioner writes it from the diary or the day sheet, with "last time" beside it),
and the recall of a product lot with the clients it reaches. Health data: every page that
shows it is audited, and what a user may not see is a 404."""

from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

import access
from bookings.models import Appointment
from clinic import audit
from clinic.audit import Origin
from clinic.models import AuditEntry
from clinical.vocabulary import FaceArea
from records import photos, selectors, storage
from records.models import ClinicalPhoto, Recall
from records.services import (
    AUDIT_RECALL,
    AUDIT_RECORDS,
    RecordError,
    RecordInput,
    recall_record,
    record_save,
    settings_fields,
)
from workspace.views.base import role_required, visible_appointment, visible_client
from workspace.views.desk import _plain

PRODUCT_ROWS = 3


class RecordForm(forms.Form):
    notes = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    areas = forms.MultipleChoiceField(
        choices=FaceArea.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Areas worked",
    )
    pressure = forms.CharField(
        required=False,
        max_length=5000,
        label="Pressure where cautions applied",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        required=False,
        max_length=5000,
        label="Reason for the amendment",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The version the writer saw (0: none); without it, a save is not checked for staleness.
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, max_value=32767, required=False
    )

    def clean_notes(self):
        return _plain(self.cleaned_data["notes"], multiline=True)

    def clean_pressure(self):
        return _plain(self.cleaned_data["pressure"], multiline=True)

    def clean_reason(self):
        return _plain(self.cleaned_data["reason"], multiline=True)


def _record_appointment(request, reference):
    """The appointment, if the user sees it and its client, and records health at its
    clinic; a 404 otherwise (as if it did not exist)."""
    appointment = visible_appointment(request, reference)
    client = appointment.client
    if (
        client is None
        or appointment.clinic_id != request.clinic.pk
        or not access.may_see_client(request.user, client)
        or not access.can(request.user, access.RECORD_HEALTH, appointment.clinic_id)
    ):
        raise Http404("No such appointment.")
    return appointment


def _typed(request, fields) -> tuple[RecordInput, list[dict], dict]:
    post = request.POST
    products = [
        {"product": post.get(f"product-{n}", ""), "lot_number": post.get(f"lot-{n}", "")}
        for n in range(PRODUCT_ROWS)
    ]
    typed_settings = {
        f["name"]: post.get(f"setting-{f['name']}", "")[:200]
        for f in fields
        if f"setting-{f['name']}" in post
    }
    return RecordInput(products=products, settings=typed_settings), products, typed_settings


@role_required()
@require_http_methods(["GET", "POST"])
def record(request, reference):
    """GET: the appointment's record (current version and history), "last time" and the
    form; POST: save a new version (an amendment with a reason once it is locked)."""
    appointment = _record_appointment(request, reference)
    fields = settings_fields(appointment.treatment)
    history = selectors.versions(appointment)
    current = history[0] if history else None
    errors, products, typed = {}, None, None
    if request.method == "POST":
        form = RecordForm(request.POST)
        data, products, typed = _typed(request, fields)
        if form.is_valid():
            data.notes = form.cleaned_data["notes"]
            data.areas = form.cleaned_data["areas"]
            data.pressure = form.cleaned_data["pressure"]
            data.reason = form.cleaned_data["reason"]
            try:
                saved = record_save(
                    appointment=appointment,
                    data=data,
                    by=request.user,
                    origin=Origin.of(request, via=audit.WORKSPACE, clinic=request.clinic),
                    expected_version=form.cleaned_data["version"],
                )
            except RecordError as refusal:
                errors = refusal.errors or {"__all__": refusal.detail}
            else:
                messages.success(
                    request, f"{appointment.reference}: record saved (version {saved.version})."
                )
                back = request.POST.get("next", "")
                if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                    return redirect(back)
                return redirect("workspace:record", appointment.reference)
    else:
        form = RecordForm(
            initial={
                "notes": current.notes if current else "",
                "areas": current.areas if current else [],
                "pressure": current.pressure if current else "",
                "version": current.version if current else 0,
            }
        )
    if products is None:
        products = [
            {"product": p.product, "lot_number": p.lot_number}
            for p in (current.products.all() if current else [])
        ]
        typed = {
            name: str(value) for name, value in (current.device_settings if current else {}).items()
        }
    products = (products + [{"product": "", "lot_number": ""}] * PRODUCT_ROWS)[:PRODUCT_ROWS]
    last = selectors.last_time([appointment]).get(appointment.pk)
    locks_at = selectors.lock_of(appointment)
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=AUDIT_RECORDS,
        clients=[appointment.client_id],
        clinic=appointment.clinic_id,
        appointment=appointment.reference,
    )
    return render(
        request,
        "workspace/record.html",
        {
            "appointment": appointment,
            "form": form,
            "errors": errors,
            # The refusals not shown beside a device setting.
            "summary": [text for key, text in errors.items() if not key.startswith("settings.")],
            "fields": [
                {
                    **f,
                    "value": typed.get(f["name"], ""),
                    "error": errors.get(f"settings.{f['name']}"),
                }
                for f in fields
            ],
            "products": products,
            "history": [selectors.shown(r, fields) for r in history],
            "last": last,
            "locks_at": locks_at,
            "locked": locks_at is not None and timezone.now() >= locks_at,
            "next": request.GET.get("next", "") or request.POST.get("next", ""),
            "photo_pairs": _photos_by_area(appointment),
            "photo_consent": photos.has_photo_consent(appointment.client),
            "areas": FaceArea.choices,
        },
    )


def sheet_records(request, *, days, shown: set[int], clinic) -> dict:
    """What the day sheet shows of records for the clients it shows: each appointment's
    "last time" and recall flags (audited, as the sheet's cautions are)."""
    appointments = [
        e.appointment
        for d in days
        for _, group in d.groups
        for e in group
        if e.appointment.client_id in shown
    ]
    last = selectors.last_time(appointments)
    if last:
        audit.audit_record(
            request,
            action=AuditEntry.Action.VIEW,
            what=AUDIT_RECORDS,
            clients=sorted({a.client_id for a in appointments if a.pk in last}),
            clinic=clinic,
        )
    return {"last": last, "recalls": selectors.recall_flags(appointments)}


# -- photos -----------------------------------------------------------------------------------


def _photos_by_area(appointment) -> list[dict]:
    """The appointment's photos as the page pairs them: per area, before beside after."""
    areas: dict[str, dict] = {}
    for photo in appointment.photos.order_by("area", "pk"):
        pair = areas.setdefault(
            photo.area,
            {
                "area": photo.area,
                "label": dict(FaceArea.choices).get(photo.area, photo.area),
                "before": [],
                "after": [],
            },
        )
        pair[photo.stage].append(photo)
    return list(areas.values())


@role_required()
@require_POST
def photo_upload(request, reference):
    """A before or after photo of an area, from the tablet's camera or its files."""
    appointment = _record_appointment(request, reference)
    upload = request.FILES.get("photo")
    try:
        photos.photo_add(
            appointment=appointment,
            data=upload.read(settings.PHOTO_MAX_BYTES + 1) if upload else b"",
            area=request.POST.get("area", "")[:30],
            stage=request.POST.get("stage", "")[:8],
            by=request.user,
            origin=Origin.of(request, via=audit.WORKSPACE, clinic=request.clinic),
        )
    except RecordError as refusal:
        messages.error(request, refusal.detail)
    else:
        messages.success(request, "Photo saved.")
    return redirect("workspace:record", appointment.reference)


@role_required()
@require_POST
def photo_consent(request, reference):
    """Record that the client gives, or withdraws, their consent to clinical photos."""
    appointment = _record_appointment(request, reference)
    given = request.POST.get("given") == "yes"
    photos.photo_consent_record(
        client=appointment.client,
        given=given,
        by=request.user,
        origin=Origin.of(request, via=audit.WORKSPACE, clinic=request.clinic),
    )
    messages.success(request, "Photo consent recorded." if given else "Photo consent withdrawn.")
    return redirect("workspace:record", appointment.reference)


@role_required()
def photo(request, photo_id):
    """A photo's image, to whoever may open its appointment's record; audited."""
    found = get_object_or_404(ClinicalPhoto.objects.select_related("appointment"), pk=photo_id)
    appointment = _record_appointment(request, found.appointment.reference)
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=photos.AUDIT_PHOTOS,
        clients=[appointment.client_id],
        clinic=appointment.clinic_id,
        photo=found.pk,
    )
    try:
        content = storage.read(found.file)
    except FileNotFoundError:
        raise Http404("The photo's file is missing from the storage.") from None
    except storage.StorageUnavailable:
        return HttpResponse(
            "The photo storage did not answer: reload to try again.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content, content_type=found.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _day(text: str):
    """A day from the address (YYYY-MM-DD); None when not given; CompareError otherwise."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise selectors.CompareError(f"{text[:10]!r} is not a day (YYYY-MM-DD).") from None


@role_required()
def photo_compare(request, client_id):
    """A client's photos of one area on two days side by side, across visits (by default
    the first day and the latest): the photos of the current clinic's appointments this
    user may open, each image through the audited photo view. Audited; a client or a role
    without the health record is a 404."""
    client = visible_client(request, client_id)
    if not access.can(request.user, access.RECORD_HEALTH, request.clinic):
        raise Http404("No such client.")
    diary = Appointment.objects.filter(access.diary_of(request.user), clinic=request.clinic)
    taken = list(
        ClinicalPhoto.objects.filter(
            client=client, clinic=request.clinic, appointment__in=diary.values("pk")
        ).select_related("appointment__treatment")
    )
    error, status = None, 200
    try:
        comparison = selectors.photo_comparison(
            taken,
            tz=request.clinic.tzinfo,
            area=request.GET.get("area", "")[:30],
            first=_day(request.GET.get("first", "")),
            second=_day(request.GET.get("second", "")),
        )
    except RecordError as refusal:
        error, status = refusal.detail, refusal.status
        comparison = selectors.photo_comparison(taken, tz=request.clinic.tzinfo)
    shown = comparison.shown
    if shown:
        audit.audit_record(
            request,
            action=AuditEntry.Action.VIEW,
            what=photos.AUDIT_PHOTOS,
            clients=[client],
            clinic=request.clinic,
            area=comparison.area,
            photos=[p.pk for p in shown],
        )
    labels = dict(FaceArea.choices)
    return render(
        request,
        "workspace/photo_compare.html",
        {
            "client": client,
            "c": comparison,
            "error": error,
            "areas": [(a, labels.get(a, a)) for a in comparison.areas],
            "area_label": labels.get(comparison.area, comparison.area),
            "sides": comparison.sides,
        },
        status=status,
    )


# -- recalls ---------------------------------------------------------------------------------


class RecallForm(forms.Form):
    product = forms.CharField(max_length=120)
    lot_number = forms.CharField(max_length=60, label="Lot / batch number")
    reason = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_product(self):
        return _plain(self.cleaned_data["product"])

    def clean_lot_number(self):
        return _plain(self.cleaned_data["lot_number"])

    def clean_reason(self):
        return _plain(self.cleaned_data["reason"], multiline=True)


def _may_recall(request) -> None:
    clinic = request.clinic
    if not (
        access.can(request.user, access.SEE_ALL_CLIENTS, clinic)
        and access.can(request.user, access.RECORD_HEALTH, clinic)
    ):
        raise PermissionDenied


@role_required()
@require_http_methods(["GET", "POST"])
def recalls(request):
    """The organisation's recalls, and the form that records one (or runs it again)."""
    _may_recall(request)
    form = RecallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = recall_record(
                clinic=request.clinic,
                by=request.user,
                origin=Origin.of(request, via=audit.WORKSPACE, clinic=request.clinic),
                **form.cleaned_data,
            )
        except RecordError as refusal:
            form.add_error(None, refusal.detail)
        else:
            messages.success(
                request,
                f"Recall of lot {outcome.recall.lot_number}: {len(outcome.clients)} client(s), "
                f"{len(outcome.flagged)} upcoming appointment(s) flagged, "
                f"{outcome.new_messages} new message(s) planned.",
            )
            if not outcome.summary_planned:
                messages.warning(request, "The clinic has no email address: no summary was sent.")
            return redirect("workspace:recall", outcome.recall.pk)
    return render(
        request,
        "workspace/recalls.html",
        {
            "form": form,
            "recalls": Recall.objects.filter(organisation_id=request.clinic.organisation_id),
        },
    )


@role_required()
def recall(request, recall_id):
    """One recall: the clients it reached, where the lot was found, their flagged
    appointments and the messages planned."""
    _may_recall(request)
    found = get_object_or_404(
        Recall.objects.select_related("clinic", "recorded_by"),
        pk=recall_id,
        organisation_id=request.clinic.organisation_id,
    )
    clients = list(found.clients.select_related("client").order_by("client__name", "pk"))
    # The upcoming appointments flagged, of the diaries this user sees (another clinic's
    # diary is its own); the others are counted.
    flagged = found.flags.values_list("appointment_id", flat=True)
    flags = list(
        Appointment.objects.filter(access.diary_of(request.user), pk__in=flagged)
        .select_related("clinic", "client", "treatment")
        .order_by("start")
    )
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=AUDIT_RECALL,
        clients=[c.client_id for c in clients],
        clinic=request.clinic,
        recall=found.pk,
    )
    return render(
        request,
        "workspace/recall.html",
        {
            "recall": found,
            "clients": clients,
            "flags": flags,
            "elsewhere": len(flagged) - len(flags),
        },
    )
