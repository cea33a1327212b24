"""Booking on a client's behalf and moving an appointment, both from a list of free slots,
both through diary/services.py (which applies the clinic's rules and the locks)."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

import access
from aftercare.models import Message
from bookings.models import Appointment
from clinic import audit
from clinic.models import AuditEntry
from clinical import prerequisites, rules
from courses.selectors import usable_courses
from diary import services
from diary.errors import BookingError
from workspace.forms import BookingForm, PriceForm, SlotQueryForm
from workspace.selectors import clinic_today, free_slots
from workspace.views.base import role_required, visible_appointment, visible_client


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _same_treatment_near(client, treatment, day: date, *, clinic) -> list[date]:
    """The days, from the day before `day` to the day after, on which the client already
    has this treatment booked (or had it): a second one a day apart is seldom meant."""
    tz = clinic.tzinfo
    first = datetime.combine(day - timedelta(days=1), time(), tzinfo=tz)
    last = datetime.combine(day + timedelta(days=2), time(), tzinfo=tz)
    starts = Appointment.objects.filter(
        client=client,
        treatment=treatment,
        status__in=(Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED),
        start__gte=first,
        start__lt=last,
    ).values_list("start", flat=True)
    return sorted({start.astimezone(tz).date() for start in starts})


def _decision_shown(request, client, treatment, day: date, **details):
    """The rules' decision for `day`, which the page is about to show: an audited view."""
    decision = rules.client_decision(client=client, treatment=treatment, on=day)
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=audit.ELIGIBILITY,
        clients=[client],
        clinic=treatment.clinic_id,
        treatment=treatment.slug,
        date=day.isoformat(),
        **details,
    )
    return decision


def _prerequisite_warning(request, client, treatment) -> None:
    """Say what the treatment needs first (a patch test) when the client has none that
    counts, or from when theirs lets them book: the slots stay listed, since a role with
    the override permission may book past it."""
    clinic = treatment.clinic
    window = prerequisites.load(treatment=treatment, client=client).window(after=timezone.now())
    if window.unmet:
        messages.warning(
            request,
            prerequisites.explain(window.unmet[0], clinic_id=clinic.pk, tz=clinic.tzinfo),
        )
    elif window.start is not None:
        start = window.start.astimezone(clinic.tzinfo)
        messages.info(
            request,
            f"{client.name} can have {treatment.name} from {start:%a %-d %b %Y at %H:%M}, "
            "after the appointment it needs first.",
        )


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def book(request, client_id):
    """Pick a treatment and a day: the page says what the rules decide for that day (the
    first allowed day is offered when it is too early) and lists the free slots."""
    client = visible_client(request, client_id)
    clinic = request.clinic
    today = clinic_today(clinic)
    params = request.POST if request.method == "POST" else request.GET
    query = SlotQueryForm(
        {
            "treatment": params.get("treatment", ""),
            "date": params.get("date") or today.isoformat(),
            "practitioner": params.get("practitioner", ""),
        },
        clinic=clinic,
    )
    context = {
        "client": client,
        "query": query,
        "today": today,
        "may_override": access.can_override(request.user, clinic),
        "form": BookingForm(request.POST or None, clinic=clinic),
    }
    if not query.is_valid():
        return render(request, "workspace/book.html", context)
    treatment = query.cleaned_data["treatment"]
    day = max(query.cleaned_data["date"], today)
    practitioner = query.cleaned_data["practitioner"]

    courses = usable_courses(client, treatment, start=timezone.now(), now=timezone.now())
    price = PriceForm(request.POST or None, courses=courses)
    context["price_form"] = price
    if request.method == "POST" and context["form"].is_valid() and price.is_valid():
        data = context["form"].cleaned_data
        try:
            appointment = services.appointment_book(
                treatment=treatment,
                start=data["start"],
                client=client,
                practitioner=data["practitioner"] or practitioner,
                by=request.user,
                origin=audit.Origin.of(request, via=audit.WORKSPACE, clinic=clinic),
                acknowledge_warnings=data["acknowledge_warnings"],
                override_reason=data["override_reason"].strip() or None,
                **price.booking_kwargs(),
            ).appointment
        except BookingError as refusal:
            context["error"] = refusal.detail
        else:
            asked = appointment.messages.filter(kind=Message.Kind.DEPOSIT_DUE).exists()
            messages.success(
                request,
                f"Booked {treatment.name} on "
                f"{appointment.start.astimezone(clinic.tzinfo):%a %-d %b %Y at %H:%M} "
                f"with {appointment.practitioner.name} ({appointment.reference})."
                + (" The client is emailed a link to pay the deposit by card." if asked else ""),
            )
            return redirect("workspace:client", client.pk)

    for booked_on in _same_treatment_near(client, treatment, day, clinic=clinic):
        messages.warning(
            request,
            f"{client.name} is already booked for the same treatment on "
            f"{booked_on:%a %-d %b %Y}: check this is not a second booking by mistake.",
        )
    _prerequisite_warning(request, client, treatment)
    context.update(
        treatment=treatment,
        day=day,
        decision=_decision_shown(request, client, treatment, day),
        slots=free_slots(
            treatment=treatment,
            day=day,
            practitioner_id=practitioner.pk if practitioner else None,
        ),
    )
    return render(request, "workspace/book.html", context)


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def reschedule(request, reference):
    """Move an appointment to a free slot; for a flagged one the list starts on the first
    day the rules allow."""
    appointment = visible_appointment(request, reference)
    client, treatment, clinic = appointment.client, appointment.treatment, appointment.clinic
    if not access.can(request.user, access.BOOK, clinic):
        raise PermissionDenied  # they see it (their own appointment), they do not move it
    with timezone.override(clinic.tzinfo):  # the appointment's clinic, whichever is looked at
        return _reschedule(request, appointment, client, treatment, clinic)


def _first_allowed(client, treatment, clinic, today):
    """The first day the move's list may start: after the client's waiting period and from
    when the appointment it needs first (a patch test) counts, as the booking pages do. A
    prerequisite not met at all opens nothing here: the move is refused with its reason."""
    eligible = rules.client_decision(client=client, treatment=treatment, on=today)
    first = max(eligible.earliest_date or today, today)
    window = prerequisites.load(treatment=treatment, client=client).window(after=timezone.now())
    if not window.unmet and window.start is not None:
        first = max(first, window.start.astimezone(clinic.tzinfo).date())
    return first


def _reschedule(request, appointment, client, treatment, clinic):
    today = clinic_today(clinic)
    if appointment.status != Appointment.Status.CONFIRMED:
        messages.error(request, "Only a confirmed appointment can be moved.")
        return redirect("workspace:client", client.pk)
    first_allowed = _first_allowed(client, treatment, clinic, today)
    day = max(_day(request.GET.get("date") or request.POST.get("date"), first_allowed), today)
    form = BookingForm(request.POST or None, clinic=clinic)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.appointment_reschedule(
                appointment=appointment,
                start=data["start"],
                by=request.user,
                origin=audit.Origin.of(request, via=audit.WORKSPACE, clinic=clinic),
                acknowledge_warnings=data["acknowledge_warnings"],
                override_reason=data["override_reason"].strip() or None,
            ).appointment
        except BookingError as refusal:
            error = refusal.detail
        else:
            messages.success(
                request,
                f"Moved {moved.reference} to "
                f"{moved.start.astimezone(clinic.tzinfo):%a %-d %b %Y at %H:%M}.",
            )
            return redirect("workspace:client", client.pk)
    decision = _decision_shown(request, client, treatment, day, reference=appointment.reference)
    return render(
        request,
        "workspace/reschedule.html",
        {
            "appointment": appointment,
            "local_start": appointment.start.astimezone(clinic.tzinfo),
            "client": client,
            "day": day,
            "today": today,
            "first_allowed": first_allowed,
            "decision": decision,
            "form": form,
            "error": error,
            "may_override": access.can_override(request.user, clinic),
            "slots": free_slots(
                treatment=treatment,
                day=day,
                practitioner_id=(
                    appointment.practitioner_id if appointment.practitioner_requested else None
                ),
                exclude_appointment_id=appointment.pk,
            ),
        },
    )
