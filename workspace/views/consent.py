"""Consent and intake forms in the workspace: the forms an appointment needs, signed by the
client on the clinic's tablet at arrival, and a signed submission (its answers and PDF),
each view of which is audited."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from bookings.models import Appointment
from clinic import audit
from clinic.models import AuditEntry
from consent.models import Submission
from consent.selectors import unsigned_ids, versions_to_sign
from consent.services import answers_in_words, pdf_bytes
from web.signing import SignForm, sign_from_page
from workspace.views.base import role_required, visible_appointment, visible_client

# What the audit trail calls a view of a signed form.
FORM_SUBMISSION = "consent form"


def forms_unsigned(appointments) -> set[int]:
    """The confirmed appointments among `appointments` whose client has a form to sign (the
    diary's and the day sheet's badge): a few queries for all of them."""
    return unsigned_ids(a for a in appointments if a.status == Appointment.Status.CONFIRMED)


@role_required()
@require_GET
def appointment_forms(request, reference):
    appointment = visible_appointment(request, reference)
    return render(
        request,
        "workspace/consent_forms.html",
        {
            "appointment": appointment,
            "to_sign": versions_to_sign(appointment)
            if appointment.status == Appointment.Status.CONFIRMED
            else [],
            "signed": Submission.objects.filter(client=appointment.client)
            .select_related("version__template")
            .order_by("-signed_at"),
        },
    )


@role_required()
@require_http_methods(["GET", "POST"])
def form_sign(request, reference, version_id):
    """The clinic's tablet, handed to the client at arrival: the staff member's session opens
    it and is kept as who handed it over."""
    appointment = visible_appointment(request, reference)
    if appointment.status != Appointment.Status.CONFIRMED:
        raise Http404("Forms are signed for a confirmed appointment.")
    version = next((v for v in versions_to_sign(appointment) if v.pk == version_id), None)
    if version is None:
        messages.info(request, "That form is signed already, or this appointment does not need it.")
        return redirect("workspace:appointment-forms", appointment.reference)
    form = SignForm(request.POST if request.method == "POST" else None, version=version)
    if request.method == "POST":
        submission = sign_from_page(
            request,
            form,
            appointment=appointment,
            channel=Submission.Channel.TABLET,
            via=audit.WORKSPACE,
        )
        if submission is not None:
            messages.success(request, f"“{version.title}” is signed.")
            return redirect("workspace:appointment-forms", appointment.reference)
    return render(
        request,
        "workspace/consent_sign.html",
        {"appointment": appointment, "version": version, "form": form},
    )


def _viewed_submission(request, submission_id: int, **details) -> Submission:
    """The signed form, if its client is in the caller's scope (404 otherwise), its view
    audited with `details`."""
    submission = get_object_or_404(
        Submission.objects.select_related("version__template", "clinic", "appointment"),
        pk=submission_id,
    )
    visible_client(request, submission.client_id)  # 404 for a client out of scope
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=FORM_SUBMISSION,
        clients=[submission.client_id],
        clinic=request.clinic,
        id=submission.pk,
        **details,
    )
    return submission


@role_required()
@require_GET
def submission_detail(request, submission_id):
    submission = _viewed_submission(request, submission_id)
    return render(
        request,
        "workspace/consent_submission.html",
        {
            "submission": submission,
            "client": submission.client,
            "answers": answers_in_words(submission.version, submission.answers),
        },
    )


@role_required()
@require_GET
def submission_pdf(request, submission_id):
    submission = _viewed_submission(request, submission_id, file="pdf")
    response = HttpResponse(pdf_bytes(submission), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="signed-form-{submission.pk}.pdf"'
    return response
