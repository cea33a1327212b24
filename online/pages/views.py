"""The booking pages clients use, phone first: treatments -> a day and a time -> their
details and health answers -> warnings to accept -> confirmation; and the page behind a
booking's signed link, to see, move or cancel it.

Thin views over the services the API calls (diary/services.py), so the same rules and the
same privacy apply: an anonymous visitor hears only what the services tell them. Forms are
in online/pages/forms.py, the calendar in online/pages/calendar.py.
"""

from datetime import date

from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import dateformat
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftercare.services import eligibility_notice_request
from bookings import ics, selectors
from bookings.models import Appointment
from clinic.audit import PAGES, Origin
from clinic.models import Treatment
from clinic.selectors import bookable_treatments
from clinic.services import client_get_or_create
from clinical import rules
from diary import services
from diary.errors import (
    BookingError,
    EligibilityRefused,
    SlotUnavailable,
    TooLateToCancel,
    WaitingPeriod,
    WarningsNotAcknowledged,
)
from online.pages.branding import render_page
from online.pages.calendar import booking_calendar
from online.pages.forms import (
    AcknowledgeForm,
    BookingDetails,
    CalendarQuery,
    CancelForm,
    SlotChoiceForm,
    draft_answers,
    draft_clear,
    draft_contact,
    draft_save,
)
from online.pages.ratelimit import page_rate_limit
from web.api.throttles import BookingThrottle


def _treatment(slug: str) -> Treatment:
    return get_object_or_404(Treatment.objects.select_related("clinic"), slug=slug, active=True)


def _calendar_url(treatment: Treatment, *, day=None, practitioner=None) -> str:
    url = reverse("online:calendar", args=[treatment.slug])
    params = [f"day={day.isoformat()}"] if day else []
    if practitioner is not None:
        params.append(f"practitioner={practitioner.pk}")
    return url + ("?" + "&".join(params) if params else "")


def _local(instant, clinic) -> str:
    return dateformat.format(instant.astimezone(clinic.tzinfo), r"l j F \a\t H:i")


# Booking ----------------------------------------------------------------------------------


@require_GET
def treatment_list(request):
    treatments = list(bookable_treatments())
    clinics = list({t.clinic_id: t.clinic for t in treatments}.values())
    return render_page(
        request,
        "online/treatments.html",
        clinic=clinics[0] if len(clinics) == 1 else None,
        treatments=treatments,
        several_clinics=len(clinics) > 1,
    )


@require_GET
def treatment_calendar(request, slug):
    treatment = _treatment(slug)
    query = CalendarQuery(request.GET, treatment=treatment)
    practitioner = query.value("practitioner")
    calendar = booking_calendar(
        treatment=treatment,
        day=query.value("day"),
        practitioner_id=practitioner.pk if practitioner else None,
    )
    return render_page(
        request,
        "online/calendar.html",
        clinic=treatment.clinic,
        treatment=treatment,
        query=query,
        calendar=calendar,
        practitioner=practitioner,
    )


@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def booking_details(request, slug):
    treatment = _treatment(slug)
    choice = SlotChoiceForm(request.POST or request.GET, treatment=treatment)
    if not choice.is_valid():
        messages.info(request, "Please choose a time first.")
        return redirect(_calendar_url(treatment))
    questions = rules.health_questions(treatment)
    if request.method == "POST":
        details = BookingDetails(treatment, questions, data=request.POST)
        if details.is_valid():
            draft_save(request.session, treatment=treatment, data=request.POST)
            return _book(request, treatment, choice, details, acknowledge=False)
    else:
        # Back on this step (a refusal, another time): what they typed before, as they left it.
        answers = draft_answers(request.session, treatment=treatment)
        details = BookingDetails(
            treatment, questions, data=answers, initial=draft_contact(request.session)
        )
    return _details_page(request, treatment, choice, details)


def _details_page(request, treatment, choice, details):
    return render_page(
        request,
        "online/details.html",
        clinic=treatment.clinic,
        treatment=treatment,
        choice=choice,
        details=details,
        errors=details.error_summary() if request.method == "POST" else [],
        change_url=_calendar_url(
            treatment,
            day=treatment.clinic.local_date(choice.cleaned_data["start"]),
            practitioner=choice.cleaned_data["practitioner"],
        ),
    )


@page_rate_limit(BookingThrottle)
@require_POST
def booking_confirm(request, slug):
    """The steps after the details: warnings accepted, or one of the alternatives to a
    taken time chosen. The client's answers come from their draft."""
    treatment = _treatment(slug)
    choice = SlotChoiceForm(request.POST, treatment=treatment)
    if not choice.is_valid():
        messages.info(request, "Please choose a time first.")
        return redirect(_calendar_url(treatment))
    answers = draft_answers(request.session, treatment=treatment)
    details = BookingDetails(treatment, rules.health_questions(treatment), data=answers)
    if answers is None or not details.is_valid():
        messages.info(request, "Please check your details, then continue.")
        return _details_page(request, treatment, choice, details)
    ack = AcknowledgeForm(request.POST)
    return _book(
        request,
        treatment,
        choice,
        details,
        acknowledge=ack.is_valid(),
        ack=ack if request.POST.get("step") == "warnings" else None,
    )


def _book(request, treatment, choice, details, *, acknowledge: bool, ack=None):
    start = choice.cleaned_data["start"]
    practitioner = choice.cleaned_data["practitioner"]
    try:
        # A refused booking leaves nothing behind, not even a new client record.
        with transaction.atomic():
            client, new_client = client_get_or_create(
                clinic=treatment.clinic, **details.client_fields()
            )
            booked = services.appointment_book(
                treatment=treatment,
                start=start,
                client=client,
                new_client=new_client,
                practitioner=practitioner,
                by=request.user,
                origin=Origin.of(request, via=PAGES),
                declared=details.declared(),
                acknowledge_warnings=acknowledge,
            )
    except BookingError as refusal:
        return _refusal_page(
            request,
            refusal,
            treatment=treatment,
            start=start,
            action=reverse("online:confirm", args=[treatment.slug]),
            practitioner=practitioner,
            ack=ack,
            times_from=lambda day: _calendar_url(treatment, day=day, practitioner=practitioner),
        )
    draft_clear(request.session)
    appointment = booked.appointment
    return redirect("online:confirmed", appointment.reference, appointment.manage_token)


def refusal_heading(refusal: BookingError) -> str:
    """The page's heading. It names the waiting period only when the client declared the
    injection themselves (the refusal then carries its earliest date): a refusal from the
    record on file stays as neutral as the services' words."""
    if isinstance(refusal, WaitingPeriod) and refusal.earliest_date:
        return "This date is too soon after your treatment"
    if isinstance(refusal, EligibilityRefused):
        return "We can’t book this online"
    if isinstance(refusal, TooLateToCancel):
        return "It’s too late to change this online"
    return "We couldn’t do that"


def _refusal_page(
    request,
    refusal,
    *,
    treatment,
    start,
    action,
    times_from,
    practitioner=None,
    ack=None,
    appointment=None,
):
    """Why the booking or move did not happen, in the services' own words, and what the
    client can do next: accept the warnings, pick a nearby time, or book from a later day."""
    context = {
        "treatment": treatment,
        "refusal": refusal,
        "heading": refusal_heading(refusal),
        "start": start,
        "action": action,
        "practitioner": practitioner,
        "appointment": appointment,
        "times_url": times_from(treatment.clinic.local_date(start)),
    }
    if isinstance(refusal, WarningsNotAcknowledged):
        template = "online/warnings.html"
        context["ack"] = ack or AcknowledgeForm()
        context["errors"] = ack.error_summary() if ack else []
    elif isinstance(refusal, SlotUnavailable):
        template = "online/unavailable.html"
    else:
        template = "online/refused.html"
        earliest = getattr(refusal, "earliest_date", None)
        context["earliest"] = earliest
        context["times_from_earliest"] = times_from(earliest) if earliest else None
        if earliest and appointment is None:
            context["notice"] = notice_token(treatment, earliest)
    return render_page(request, template, clinic=treatment.clinic, **context)


# "Email me when I can book" -----------------------------------------------------------------

NOTICE_SALT = "bookings.notice-when-eligible"
NOTICE_MAX_AGE = 24 * 3600  # the refusal page's offer stands for a day


def notice_token(treatment: Treatment, eligible_on) -> str:
    """The refusal page's offer, signed so the date cannot be changed on the way back."""
    return signing.dumps(
        {"treatment": treatment.slug, "on": eligible_on.isoformat()}, salt=NOTICE_SALT
    )


@page_rate_limit(BookingThrottle)
@require_POST
def notice_request(request, slug):
    """A client refused for a waiting period asks to be emailed on the morning it ends. The
    date comes signed from the refusal page; who to email, from their booking draft."""
    treatment = _treatment(slug)
    try:
        offer = signing.loads(
            request.POST.get("notice", ""), salt=NOTICE_SALT, max_age=NOTICE_MAX_AGE
        )
        if offer["treatment"] != treatment.slug:
            raise signing.BadSignature("another treatment")
        eligible_on = date.fromisoformat(offer["on"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        messages.info(request, "Please choose a time again.")
        return redirect(_calendar_url(treatment))
    contact = draft_contact(request.session)
    if not contact.get("email"):
        messages.info(request, "Please choose a time and give your details first.")
        return redirect(_calendar_url(treatment))
    with transaction.atomic():
        client, _ = client_get_or_create(
            clinic=treatment.clinic,
            name=contact.get("name", ""),
            email=contact["email"],
            phone=contact.get("phone", ""),
        )
        eligibility_notice_request(client=client, treatment=treatment, eligible_on=eligible_on)
    return render_page(
        request,
        "online/notice_requested.html",
        clinic=treatment.clinic,
        treatment=treatment,
        eligible_on=eligible_on,
        email=contact["email"],
        times_url=_calendar_url(treatment, day=eligible_on),
    )


# The booking's own pages, behind its signed link -------------------------------------------


def _linked(reference: str, token: str) -> Appointment:
    appointment = selectors.appointment_by_link(reference=reference, token=token)
    if appointment is None:
        raise Http404("No such booking.")
    return appointment


def _appointment_page(request, template, appointment, **context):
    return render_page(
        request,
        template,
        clinic=appointment.clinic,
        appointment=appointment,
        confirmed=appointment.status == Appointment.Status.CONFIRMED,
        **context,
    )


@require_GET
def booking_confirmed(request, reference, token):
    return _appointment_page(request, "online/confirmed.html", _linked(reference, token))


@require_GET
def booking_manage(request, reference, token):
    return _appointment_page(request, "online/manage.html", _linked(reference, token))


@require_GET
def booking_ics(request, reference, token):
    appointment = _linked(reference, token)
    manage_url = request.build_absolute_uri(
        reverse("online:manage", args=[appointment.reference, appointment.manage_token])
    )
    body = ics.appointment_ics(
        appointment,
        sequence=ics.event_sequence(appointment),
        manage_url=manage_url,
        clinic=appointment.clinic,
        treatment=appointment.treatment,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = f"{appointment.clinic.slug}-{appointment.reference}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def booking_cancel(request, reference, token):
    appointment = _linked(reference, token)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as refusal:
            return _appointment_page(
                request,
                "online/refused.html",
                appointment,
                refusal=refusal,
                heading=refusal_heading(refusal),
            )
        messages.success(
            request, "Your appointment is cancelled. We have emailed you to confirm it."
        )
        return redirect("online:manage", appointment.reference, token)
    return _appointment_page(
        request,
        "online/cancel.html",
        appointment,
        form=form,
        errors=form.error_summary() if form.is_bound else [],
    )


@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def booking_reschedule(request, reference, token):
    appointment = _linked(reference, token)
    treatment = appointment.treatment
    here = reverse("online:reschedule", args=[appointment.reference, token])
    if request.method == "POST":
        choice = SlotChoiceForm(request.POST, treatment=treatment)
        if choice.is_valid():
            start = choice.cleaned_data["start"]
            try:
                moved = services.appointment_reschedule(
                    appointment=appointment,
                    start=start,
                    by=request.user,
                    origin=Origin.of(request, via=PAGES),
                    acknowledge_warnings=AcknowledgeForm(request.POST).is_valid(),
                ).appointment
            except BookingError as refusal:
                ack = AcknowledgeForm(request.POST) if request.POST.get("step") else None
                return _refusal_page(
                    request,
                    refusal,
                    treatment=treatment,
                    start=start,
                    action=here,
                    ack=ack,
                    appointment=appointment,
                    times_from=lambda day: f"{here}?day={day.isoformat()}",
                )
            messages.success(
                request, f"Your appointment has moved to {_local(moved.start, moved.clinic)}."
            )
            return redirect("online:manage", appointment.reference, token)
        messages.info(request, "Please choose a time.")
    query = CalendarQuery(request.GET, treatment=treatment)
    calendar = booking_calendar(
        treatment=treatment,
        day=query.value("day"),
        practitioner_id=appointment.practitioner_id if appointment.practitioner_requested else None,
        exclude_appointment_id=appointment.pk,
        skip_start=appointment.start,
    )
    return _appointment_page(
        request,
        "online/reschedule.html",
        appointment,
        treatment=treatment,
        calendar=calendar,
        action=here,
    )
