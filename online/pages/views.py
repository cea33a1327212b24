"""The booking pages clients use, phone first: treatments -> a day and a time -> their
details and health answers -> a review of the booking (price, practitioner, cancellation
policy) -> booked, or held for the address to confirm from an emailed link (diary/holds.py);
and the page behind a booking's signed link, to see, move or cancel it.

Thin views over the services the API calls (diary/services.py, diary/holds.py), so the
same rules and the same privacy apply: someone who has not shown whose address they typed
hears only what the services tell them, and the same whatever the address. Every POST ends
in a redirect (online/pages/outcomes.py keeps what it met for the next page). Forms are in
online/pages/forms.py, the calendar in online/pages/calendar.py.
"""

import functools
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import access
from aftercare.services import eligibility_notice_request, sms_opt_in
from bookings import ics, selectors
from bookings.models import Appointment, BookingRequest
from clinic.audit import PAGES, Origin
from clinic.identity import clients_of
from clinic.models import SmsConsentSource, Treatment
from clinic.selectors import bookable_treatments
from clinic.services import client_get_or_create
from clinical import rules, terms
from consent.selectors import missing_for
from courses.selectors import usable_courses
from diary import deposits, holds, services
from diary.errors import BookingError, WarningsNotAcknowledged
from money import stripe_api
from money.currency import shown
from online.accounts import login_for_address
from online.pages.branding import render_page
from online.pages.calendar import booking_calendar, prerequisite_notice
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
from online.pages.outcomes import (
    declared_lines,
    outcome_clear,
    outcome_keep,
    outcome_pending,
)
from online.pages.ratelimit import page_rate_limit
from online.pages.waitlist import join_from_notice
from web.api.throttles import BookingThrottle

HELD_KEY = "booking_held"  # the reference of the hold this browser asked for


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
    client, details = _visitor(request, treatment)
    needs = prerequisite_notice(treatment=treatment, client=client)
    calendar = booking_calendar(
        treatment=treatment,
        day=query.value("day"),
        practitioner_id=practitioner.pk if practitioner else None,
        not_before=_first_bookable_day(treatment, client, details),
        within=needs.within if needs else None,
    )
    return render_page(
        request,
        "online/calendar.html",
        clinic=treatment.clinic,
        treatment=treatment,
        query=query,
        calendar=calendar,
        practitioner=practitioner,
        prerequisite=needs,
    )


def _visitor(request, treatment):
    """What the booking pages may know of this visitor: the signed-in client booking for
    themself (None otherwise) and the health answers of this visit's draft (None if none)."""
    answers = draft_answers(request.session, treatment=treatment)
    details = None
    if answers is not None:
        details = BookingDetails(treatment, rules.health_questions(treatment), data=answers)
        if not details.is_valid():
            details = None
    own = details is None or _books_as_themself(request, treatment, details)
    organisation = treatment.clinic.organisation_id
    client = (
        next((c for c in clients_of(request.user) if c.organisation_id == organisation), None)
        if own
        else None
    )
    return client, details


def _first_bookable_day(treatment, client, details) -> date | None:
    """The first day this visitor may book `treatment` as far as waiting periods go, so the
    calendar offers no day before it (the refusal's "see times from <date>" leads here).
    It rests on what the visitor may know (_visitor): the injections typed in this visit's
    draft, and the record of a signed-in client booking for themself (the same date the
    API's search starts from). None when nothing is known: every day is open."""
    if client is None and details is None:
        return None
    clinic = treatment.clinic
    horizon = clinic.local_date(timezone.now() + timedelta(days=clinic.max_advance_days))
    # Decided on the last bookable day, so every injection up to then counts.
    return rules.client_decision(
        client=client,
        treatment=treatment,
        on=horizon,
        declared=details.declared() if details else None,
    ).earliest_date


@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def booking_details(request, slug):
    """Who the booking is for and their health answers. Valid answers are kept as the
    visit's draft and the client goes on to review the booking (a GET: Back is safe)."""
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
            return redirect(_review_url(treatment, choice.cleaned_data))
    else:
        # Back on this step (a refusal, another time): what they typed before, as they left it.
        answers = draft_answers(request.session, treatment=treatment)
        details = BookingDetails(
            treatment,
            questions,
            data=answers,
            initial=draft_contact(request.session) or _signed_in_contact(request.user),
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


def _review_url(treatment, chosen: dict) -> str:
    params = {"start": chosen["start"].isoformat()}
    if chosen.get("practitioner"):
        params["practitioner"] = chosen["practitioner"].pk
    return f"{reverse('online:review', args=[treatment.slug])}?{urlencode(params)}"


def _signed_in_contact(user) -> dict:
    """A signed-in client's name and address, to start their form with."""
    records = clients_of(user)
    if not records:
        return {}
    return {"name": records[0].name, "email": user.email, "phone": records[0].phone}


def _answers(request, treatment, choice):
    """The draft's answers for this booking, validated; None (and a redirect to give them)
    when there are none, they expired, or they no longer pass."""
    answers = draft_answers(request.session, treatment=treatment)
    details = BookingDetails(treatment, rules.health_questions(treatment), data=answers)
    if answers is None or not details.is_valid():
        return None
    return details


@require_GET
def booking_review(request, slug):
    """The last step before booking: the time, the practitioner, the price, who it is for,
    their answers, and the clinic's cancellation policy. Warnings to accept, when the last
    try met some, are shown here with the box to tick."""
    treatment = _treatment(slug)
    choice = SlotChoiceForm(request.GET, treatment=treatment)
    if not choice.is_valid():
        messages.info(request, "Please choose a time first.")
        return redirect(_calendar_url(treatment))
    details = _answers(request, treatment, choice)
    if details is None:
        messages.info(request, "Please give your details, then continue.")
        return redirect(_details_url(treatment, choice.cleaned_data))
    start = choice.cleaned_data["start"]
    practitioner = choice.cleaned_data["practitioner"]
    pending = outcome_pending(request.session, kind="warnings", start=start)
    ack_missing = bool(pending and pending["ack_missing"])
    clinic = treatment.clinic
    return render_page(
        request,
        "online/review.html",
        clinic=clinic,
        treatment=treatment,
        start=start,
        practitioner=practitioner,
        contact=details.client_fields(),
        sms_reminders=details.sms_opt_in(),
        declared=declared_lines(details.declared(), details.questions.words),
        warnings=pending["warnings"] if pending else [],
        ack=AcknowledgeForm(data={}) if ack_missing else AcknowledgeForm(),
        errors=[("id_acknowledge", "Tick the box to confirm you have read this.")]
        if ack_missing
        else [],
        changeable_until=start - timedelta(hours=clinic.cancellation_window_hours),
        courses=_own_courses(request, treatment, details, start),
        verified=_books_as_themself(request, treatment, details) or _trusted(request, clinic),
        details_url=_details_url(treatment, choice.cleaned_data),
        change_url=_calendar_url(
            treatment,
            day=clinic.local_date(start),
            practitioner=choice.cleaned_data["practitioner"],
        ),
    )


def _own_courses(request, treatment, details, start) -> list:
    """The signed-in client's courses that can pay for this visit (none for anyone else)."""
    if not _books_as_themself(request, treatment, details):
        return []
    organisation = treatment.clinic.organisation_id
    client = next((c for c in clients_of(request.user) if c.organisation_id == organisation), None)
    if client is None:
        return []
    return usable_courses(client, treatment, start=start, now=timezone.now())


def _chosen_course(request, treatment, details, start):
    """The course the review's form chose, if it is one of the client's that can pay."""
    chosen = request.POST.get("course", "")
    if not chosen.isdigit():
        return None
    return next(
        (c for c in _own_courses(request, treatment, details, start) if str(c.pk) == chosen),
        None,
    )


def _details_url(treatment, chosen: dict) -> str:
    params = {"start": chosen["start"].isoformat()}
    if chosen.get("practitioner"):
        params["practitioner"] = chosen["practitioner"].pk
    return f"{reverse('online:details', args=[treatment.slug])}?{urlencode(params)}"


def _trusted(request, clinic) -> bool:
    """Staff whose role books at this clinic: they vouch for who the client is."""
    return access.can(request.user, access.BOOK, clinic)


def _books_as_themself(request, treatment, details) -> bool:
    """A signed-in client booking for their own address."""
    user = request.user
    return bool(
        user.is_authenticated
        and not user.is_staff
        and user.email
        and details.client_fields()["email"].strip().lower() == user.email.lower()
    )


@page_rate_limit(BookingThrottle)
@require_POST
def booking_confirm(request, slug):
    """Book what the review showed. For staff who book and for a signed-in client booking
    for their own address, the booking is made now; for anyone else the time is held and
    the address emailed a link to confirm (diary/holds.py), the same answer whoever's
    address it is. Every refusal is a redirect to a page (Back never re-posts)."""
    treatment = _treatment(slug)
    choice = SlotChoiceForm(request.POST, treatment=treatment)
    if not choice.is_valid():
        messages.info(request, "Please choose a time first.")
        return redirect(_calendar_url(treatment))
    details = _answers(request, treatment, choice)
    if details is None:
        messages.info(request, "Please check your details, then continue.")
        return redirect(_details_url(treatment, choice.cleaned_data))
    start = choice.cleaned_data["start"]
    practitioner = choice.cleaned_data["practitioner"]
    acknowledge = AcknowledgeForm(request.POST).is_valid()
    payment_url = None
    try:
        if _trusted(request, treatment.clinic) or _books_as_themself(request, treatment, details):
            course = _chosen_course(request, treatment, details, start)
            booked = _book_now(
                request, treatment, start, practitioner, details, acknowledge, course=course
            )
            # Committed: a deposit to pay is asked of Stripe now (diary/deposits.py).
            payment_url = holds.deposit_page(booked.appointment)
        else:
            booked = holds.appointment_hold(
                treatment=treatment,
                start=start,
                practitioner=practitioner,
                contact=holds.Contact(**details.client_fields(), sms_opt_in=details.sms_opt_in()),
                declared=details.declared(),
                acknowledge_warnings=acknowledge,
                by=request.user,
            )
    except BookingError as refusal:
        outcome_keep(
            request.session,
            refusal,
            start=start,
            practitioner=practitioner,
            ack_missing=request.POST.get("step") == "warnings",
        )
        if isinstance(refusal, WarningsNotAcknowledged):
            return redirect(_review_url(treatment, choice.cleaned_data))
        return redirect("online:sorry", treatment.slug)
    appointment = booked.appointment
    outcome_clear(request.session)
    if payment_url:
        draft_clear(request.session)
        return redirect(payment_url)
    if appointment.status == Appointment.Status.HELD:
        draft_clear(request.session)
        request.session[HELD_KEY] = appointment.reference
        return redirect("online:held", treatment.slug)
    draft_clear(request.session)
    return redirect("online:confirmed", appointment.reference, appointment.manage_token)


def _book_now(request, treatment, start, practitioner, details, acknowledge, course=None):
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
            course=course,
            pay_online=True,  # the confirm sends them to the deposit's payment page
        )
        if details.sms_opt_in():  # the client themself, or staff asked on their behalf
            staff = _trusted(request, treatment.clinic)
            sms_opt_in(client=client, source=SmsConsentSource.for_caller(staff))
        return booked


@require_GET
def booking_held(request, slug):
    """ "Check your email": the time is held for the address to confirm. Only in the browser
    that asked (the session remembers which hold); it says nothing of the address's owner."""
    treatment = _treatment(slug)
    held = (
        Appointment.objects.filter(reference=request.session.get(HELD_KEY, ""), treatment=treatment)
        .select_related("practitioner", "booking_request")
        .first()
    )
    if held is None:
        raise Http404("No such booking request.")
    return render_page(
        request,
        "online/held.html",
        clinic=treatment.clinic,
        treatment=treatment,
        start=held.start,
        practitioner=held.practitioner,
        held=held,
        email=held.booking_request.email,
    )


@require_GET
def booking_sorry(request, slug):
    """Why the last booking try did not happen, kept from the POST that met it."""
    treatment = _treatment(slug)
    kept = outcome_pending(request.session)
    if kept is None:
        return redirect(_calendar_url(treatment))
    return _outcome_page(request, kept, treatment=treatment)


def _outcome_page(request, kept: dict, *, treatment, appointment=None, token=None):
    """The refusal, taken time or warnings kept by outcome_keep, in the services' own words,
    and what the client can do next."""
    start = kept["start"]
    practitioner = kept["practitioner"]
    here = (
        reverse("online:reschedule", args=[appointment.reference, token]) if appointment else None
    )

    def times_from(day):
        if appointment:
            return f"{here}?day={day.isoformat()}"
        return _calendar_url(treatment, day=day, practitioner=practitioner)

    context = {
        "treatment": treatment,
        "refusal": kept["refusal"],
        "heading": kept["heading"],
        "start": start,
        "practitioner": practitioner,
        "appointment": appointment,
        "times_url": times_from(treatment.clinic.local_date(start)) if start else None,
    }
    if kept["kind"] == "unavailable":
        template = "online/unavailable.html"
        context["action"] = here
        context["alternatives"] = [
            {
                "start": slot,
                "url": None if appointment else _review_url(treatment, {"start": slot}),
            }
            for slot in kept["alternatives"]
        ]
    elif kept["kind"] == "warnings":
        template = "online/warnings.html"
        context["action"] = here
        context["ack"] = AcknowledgeForm(data={}) if kept.get("ack_missing") else AcknowledgeForm()
        context["errors"] = context["ack"].error_summary() if kept.get("ack_missing") else []
    else:
        template = "online/refused.html"
        earliest = kept["earliest"]
        context["earliest"] = earliest
        context["times_from_earliest"] = times_from(earliest) if earliest else None
        if kept.get("required"):
            context["required_name"] = kept["required_name"]
            context["required_url"] = reverse("online:calendar", args=[kept["required"]])
        if earliest and appointment is None and clients_of(request.user):
            context["notice"] = notice_token(treatment, earliest)
    return render_page(request, template, clinic=treatment.clinic, **context)


# A held booking, confirmed from the emailed link ---------------------------------------------


def _held(reference: str, token: str) -> Appointment:
    held = (
        Appointment.objects.filter(reference=reference.upper()[:12])
        .select_related("clinic", "treatment", "treatment__clinic", "practitioner")
        .first()
    )
    if held is None or not held.hold_link_matches(token, max_age=settings.HOLD_LINK_MINUTES * 60):
        raise Http404("No such booking request.")
    return held


@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def hold_confirm(request, reference, token):
    """The link emailed to the address a booking was asked for. GET shows what was asked
    (mail scanners that open links change nothing); POST proves the address: it signs its
    owner in and confirms the booking, now checked against their whole record."""
    held = _held(reference, token)
    wish = BookingRequest.objects.get(appointment=held)
    here = reverse("online:hold", args=[held.reference, token])
    if held.status == Appointment.Status.CONFIRMED and held.client_id:
        return redirect("online:confirmed", held.reference, held.manage_token)
    if request.method == "POST":
        login_for_address(request, wish.email)
        try:
            booked = holds.hold_confirm(
                appointment=held,
                by=request.user,
                acknowledge_warnings=AcknowledgeForm(request.POST).is_valid(),
                origin=Origin.of(request, via=PAGES),
            )
        except BookingError as refusal:
            outcome_keep(
                request.session,
                refusal,
                start=held.start,
                practitioner=held.practitioner if held.practitioner_requested else None,
                ack_missing=request.POST.get("step") == "warnings",
            )
            if isinstance(refusal, WarningsNotAcknowledged):
                return redirect(here)
            return redirect("online:sorry", held.treatment.slug)
        draft_clear(request.session)
        outcome_clear(request.session)
        appointment = booked.appointment
        if appointment.status == Appointment.Status.HELD:  # a deposit to pay (diary/deposits.py)
            return redirect(deposits.payment_url(appointment))
        return redirect("online:confirmed", appointment.reference, appointment.manage_token)
    pending = outcome_pending(request.session, kind="warnings", start=held.start)
    ack_missing = bool(pending and pending.get("ack_missing"))
    return render_page(
        request,
        "online/hold_confirm.html",
        clinic=held.clinic,
        treatment=held.treatment,
        start=held.start,
        practitioner=held.practitioner,
        held=held,
        wish=wish,
        declared=declared_lines(
            holds.declared_from(wish.declared), terms.vocabulary_for(held.clinic.organisation_id)
        ),
        action=here,
        warnings=pending["warnings"] if pending else [],
        ack=AcknowledgeForm(data={}) if ack_missing else AcknowledgeForm(),
        errors=[("id_acknowledge", "Tick the box to confirm you have read this.")]
        if ack_missing
        else [],
        closed=wish.outcome not in (wish.Outcome.WAITING, wish.Outcome.LAPSED),
    )


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
    """A signed-in client refused for a waiting period asks to be emailed on the morning it
    ends: at the address they proved, never one typed in a form (the offer is shown only to
    them). The date comes signed from the refusal page; one email per client, treatment and
    date however often they ask."""
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
    if not clients_of(request.user):
        messages.info(request, "Sign in to be emailed when you can book.")
        return redirect(f"{reverse('account_login')}?next={_calendar_url(treatment)}")
    with transaction.atomic():
        # "Offer me the first time after my wait": a waitlist entry from that day, and the
        # morning email kept beside it, so they hear even if no time is freed for them.
        client, entry = join_from_notice(
            user=request.user, treatment=treatment, eligible_on=eligible_on
        )
        eligibility_notice_request(client=client, treatment=treatment, eligible_on=eligible_on)
    return render_page(
        request,
        "online/notice_requested.html",
        clinic=treatment.clinic,
        treatment=treatment,
        eligible_on=eligible_on,
        email=client.email,
        times_url=_calendar_url(treatment, day=eligible_on),
        entry=entry,
    )


# The booking's own pages, behind its signed link -------------------------------------------


class LinkExpired(Exception):
    def __init__(self, appointment: Appointment):
        self.appointment = appointment


def _linked(reference: str, token: str) -> Appointment:
    appointment = selectors.appointment_by_link(reference=reference, token=token)
    if appointment is not None:
        return appointment
    expired = selectors.appointment_by_reference(reference)
    if expired is not None and expired.manage_token_signed(token):
        raise LinkExpired(expired)  # the booking's own link, past MANAGE_LINK_DAYS
    raise Http404("No such booking.")


def _link_page(view):
    """A page behind a booking's link: a link that expired says so and offers signing in
    (410), rather than a "not found" that would leave the client guessing. The page names
    nothing of the booking: whoever holds an old link may not be its client."""

    @functools.wraps(view)
    def page(request, reference, token, *args, **kwargs):
        try:
            return view(request, reference, token, *args, **kwargs)
        except LinkExpired as expired:
            return render_page(
                request,
                "online/link_expired.html",
                clinic=expired.appointment.clinic,
                status=410,
                days=settings.MANAGE_LINK_DAYS,
            )

    return page


def _appointment_page(request, template, appointment, **context):
    return render_page(
        request,
        template,
        clinic=appointment.clinic,
        appointment=appointment,
        confirmed=appointment.status == Appointment.Status.CONFIRMED,
        **context,
    )


@_link_page
@require_GET
def booking_confirmed(request, reference, token):
    """The booking made; for one waiting for its deposit or its card (back from the payment
    page before Stripe's webhook, or having left it), the way back to the payment page."""
    appointment = _linked(reference, token)
    waiting = deposits.is_waiting_for_deposit(appointment)
    return _appointment_page(
        request,
        "online/confirmed.html",
        appointment,
        payment_url=deposits.payment_url(appointment) if waiting else None,
        card_only=waiting and deposits.is_card_setup(appointment),
        released=appointment.status == Appointment.Status.EXPIRED,
    )


@_link_page
@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def booking_deposit(request, reference, token):
    """The page the client is emailed when staff booked them and the policy asks a deposit
    by card (diary/deposits.py): GET says what is due (mail scanners that open links make
    nothing); POST makes the payment page and sends them to it."""
    appointment = _linked(reference, token)
    if deposits.is_waiting_for_deposit(appointment):  # booked online: its own payment page
        return redirect("online:confirmed", appointment.reference, token)
    if request.method == "POST":
        try:
            url = deposits.deposit_checkout(appointment, now=timezone.now())
        except BookingError as refusal:
            messages.error(request, refusal.detail)
            url = None
        if url:
            return redirect(url)
        return redirect("online:deposit", appointment.reference, token)
    due = deposits.deposit_due(appointment)
    return _appointment_page(
        request,
        "online/deposit.html",
        appointment,
        due=shown(due, appointment.currency or appointment.clinic.currency) if due else None,
        payable=(
            due > 0 and appointment.status == Appointment.Status.CONFIRMED and stripe_api.enabled()
        ),
    )


@_link_page
@require_GET
def booking_manage(request, reference, token):
    appointment = _linked(reference, token)
    return _appointment_page(
        request,
        "online/manage.html",
        appointment,
        forms_to_sign=[n.template_name for n in missing_for([appointment]).get(appointment.pk, [])],
    )


@_link_page
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


@_link_page
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
            outcome_keep(request.session, refusal, start=appointment.start)
            return redirect("online:change-sorry", appointment.reference, token)
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


@_link_page
@page_rate_limit(BookingThrottle)
@require_http_methods(["GET", "POST"])
def booking_reschedule(request, reference, token):
    """Pick a new time (the calendar's buttons post it here), review the move, then move.
    The first post only leads to the review: nothing moves until the client confirms
    there."""
    appointment = _linked(reference, token)
    treatment = appointment.treatment
    if request.method == "POST":
        choice = SlotChoiceForm(request.POST, treatment=treatment)
        if not choice.is_valid():
            messages.info(request, "Please choose a time.")
            return redirect("online:reschedule", appointment.reference, token)
        start = choice.cleaned_data["start"]
        if request.POST.get("step") not in ("confirm", "warnings"):
            review = reverse("online:reschedule-review", args=[appointment.reference, token])
            return redirect(f"{review}?{urlencode({'start': start.isoformat()})}")
        try:
            moved = services.appointment_reschedule(
                appointment=appointment,
                start=start,
                by=request.user,
                origin=Origin.of(request, via=PAGES),
                acknowledge_warnings=AcknowledgeForm(request.POST).is_valid(),
            ).appointment
        except BookingError as refusal:
            outcome_keep(
                request.session,
                refusal,
                start=start,
                ack_missing=request.POST.get("step") == "warnings",
            )
            return redirect("online:change-sorry", appointment.reference, token)
        outcome_clear(request.session)
        messages.success(
            request, f"Your appointment has moved to {_local(moved.start, moved.clinic)}."
        )
        return redirect("online:manage", appointment.reference, token)
    query = CalendarQuery(request.GET, treatment=treatment)
    calendar = booking_calendar(
        treatment=treatment,
        day=query.value("day"),
        practitioner_id=appointment.practitioner_id if appointment.practitioner_requested else None,
        exclude_appointment_id=appointment.pk,
        skip_start=appointment.start,
        **_reschedule_bounds(request, appointment),
    )
    return _appointment_page(
        request,
        "online/reschedule.html",
        appointment,
        treatment=treatment,
        calendar=calendar,
        action=reverse("online:reschedule", args=[appointment.reference, token]),
    )


def _reschedule_bounds(request, appointment) -> dict:
    """Where the move's calendar starts for the client signed in as themself: after their
    waiting period and from when their prerequisites (a patch test) count, as the booking
    calendar does. Whoever else holds the link sees every day (and a refusal that names no
    date), as the record's dates are not theirs to learn."""
    client = appointment.client
    if not access.may_see_record(request.user, client):
        return {}
    treatment = appointment.treatment
    needs = prerequisite_notice(treatment=treatment, client=client)
    within = needs.within if needs and not needs.blocked else None
    return {"not_before": _first_bookable_day(treatment, client, None), "within": within}


@_link_page
@require_GET
def booking_reschedule_review(request, reference, token):
    """The move, before it is made: from when to when, with whom, and until when it can
    still be changed online."""
    appointment = _linked(reference, token)
    treatment = appointment.treatment
    choice = SlotChoiceForm(request.GET, treatment=treatment)
    if not choice.is_valid():
        messages.info(request, "Please choose a time.")
        return redirect("online:reschedule", appointment.reference, token)
    start = choice.cleaned_data["start"]
    return _appointment_page(
        request,
        "online/reschedule_review.html",
        appointment,
        treatment=treatment,
        start=start,
        changeable_until=start - timedelta(hours=appointment.clinic.cancellation_window_hours),
        action=reverse("online:reschedule", args=[appointment.reference, token]),
        back_url=reverse("online:reschedule", args=[appointment.reference, token]),
    )


@_link_page
@require_GET
def booking_change_sorry(request, reference, token):
    """Why the last move or cancellation did not happen."""
    appointment = _linked(reference, token)
    kept = outcome_pending(request.session)
    if kept is None:
        return redirect("online:manage", appointment.reference, token)
    return _outcome_page(
        request, kept, treatment=appointment.treatment, appointment=appointment, token=token
    )
