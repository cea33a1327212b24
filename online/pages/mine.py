"""The client's own space, /my/: what a client signed in by code (django-allauth, see
online/accounts.py) finds there. "Find my booking" is signing in.

- Their appointments to come and past, at every organisation and clinic they booked with (one
  client record per organisation: clinic.identity.clients_of), each named by its clinic.
- For each one to come, before they try: until when it can be moved or cancelled online
  (online/own.py reads the clinic's cancellation window as diary/services.py enforces it),
  with Move and Cancel links to the booking's own pages (its manage token); inside the window,
  that it can no longer be changed online and how to reach the clinic instead, and no links
  that would only end in a refusal.
- Their health record as each organisation holds it: injectables with their dates and areas,
  and declared conditions. Showing it writes one audit entry per record ("own record",
  via pages, no clinic: the client themselves), as every view of health data does.
- What the clinic asks of them next (see `_asks`).

Anonymous visitors are sent to sign in and come back here; a staff account has no client
space, so /my/ is a 404 for it (staff sign in with a password on the staff pages). Nothing
here takes an id from the request: every read starts from the signed-in login, so one
client never reaches another's data.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

import access
from bookings.models import Appointment
from clinic import audit
from clinic.identity import clients_of
from clinic.models import AuditEntry, Client, Treatment
from clinical import rules, terms
from clinical.models import HealthDeclaration, InjectableRecord
from clinical.vocabulary import AREA, CONDITION, PROCEDURE
from consent.selectors import unsigned_ids
from courses.errors import CourseError
from courses.models import CourseOffer
from courses.selectors import client_courses, offers_for
from courses.services import course_buy
from diary import course_payments
from money import stripe_api
from online.own import OwnAppointment, own_appointments
from online.pages.branding import branding_for

OWN_RECORD = "own record"  # what the audit trail says the client saw


def site_brand(request) -> dict:
    """Context processor: the site's own name and colours, for the pages that belong to no
    clinic (allauth's sign-in pages, the client's space). A page's own `brand` (a clinic's,
    from render_page) replaces it."""
    return {"brand": branding_for(None, site_name=settings.SITE_NAME)}


# What the clinic asks of the client next --------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One thing the clinic asks of the client, about one appointment or treatment: a
    sentence, and where to do it (a link and its words), if anywhere."""

    about: str
    text: str
    link: str = ""
    link_text: str = ""
    urgent: bool = False


def _words(values, choices) -> str:
    labels = dict(choices)
    names = [str(labels.get(value, value)).lower() for value in values]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def _day(day: date) -> str:
    return dateformat.format(day, "l j F")  # as the booking pages write it: Tuesday 2 March


def _local(instant: datetime, clinic) -> str:
    return _day(instant.astimezone(clinic.tzinfo))


def _calendar_from(treatment: Treatment, day: date) -> str:
    return f"{reverse('online:calendar', args=[treatment.slug])}?day={day.isoformat()}"


def _asks(upcoming: list[OwnAppointment], past: list[OwnAppointment], now: datetime) -> list:
    """What the clinic asks of the client next, most pressing first. A client expects to be
    told, for each appointment to come:

    - that the clinic's rules, applied to their own record as it is now, refuse its date
      (an injection recorded since they booked): move it to the earliest date allowed, or
      call; they are signed in as themselves, so the reasons and dates are theirs to see;
    - what their practitioner will go through with them at the start (the rules' warnings);
    - to tell the clinic before the visit of anything new the rules ask about for that
      treatment (the same health questions the booking form asked);
    - when it is inside the cancellation window, that a change is now by phone only;

    and, for a treatment sold as a course with a rebooking interval, with nothing of it
    booked: when to book the next session (as the rebooking email says, sessions left).
    """
    asks: list[Ask] = []
    appointments = [own.appointment for own in upcoming]
    # Each clinic's rules read once, for the decisions and every treatment's questions.
    clinics = {a.clinic_id: a.clinic for a in appointments}
    in_force = {pk: rules.clinic_rules(clinic) for pk, clinic in clinics.items()}
    decisions = rules.decisions_for(appointments, in_force)
    questions_for: dict[int, rules.HealthQuestions] = {}  # per treatment, not per booking
    for own in upcoming:
        appointment = own.appointment
        clinic, treatment = appointment.clinic, appointment.treatment
        about = f"{treatment.name}, {_local(appointment.start, clinic)}"
        decision = decisions[appointment.pk]
        if decision.refusals:
            earliest = decision.earliest_date
            text = " ".join(decision.reasons)
            if earliest:
                text += f" The earliest date for this treatment is {_day(earliest)}."
            if own.open:
                link = reverse(
                    "online:reschedule", args=[appointment.reference, appointment.manage_token]
                )
                if earliest:
                    link += f"?day={earliest.isoformat()}"
                asks.append(Ask(about, text, link, "Choose another time", urgent=True))
            else:
                asks.append(Ask(about, f"{text} Please call the clinic.", urgent=True))
        for warning in decision.warnings:
            asks.append(Ask(about, f"Your practitioner will go through this with you: {warning}"))
        if treatment.pk not in questions_for:
            questions_for[treatment.pk] = rules.health_questions(
                treatment, in_force[appointment.clinic_id]
            )
        questions = questions_for[treatment.pk]
        if questions.injectable_kinds or questions.conditions:
            things = []
            if questions.injectable_kinds:
                kinds = questions.words.choices(PROCEDURE)
                things.append(f"any {_words(questions.injectable_kinds, kinds)}")
            if questions.conditions:
                conditions = questions.words.choices(CONDITION)
                things.append(f"{_words(questions.conditions, conditions)}")
            asks.append(
                Ask(
                    about,
                    f"Before your visit, tell {clinic.name} if anything has changed since you "
                    f"booked: {' or '.join(things)}. It may mean moving the appointment.",
                )
            )
        if not own.open:
            phone = f" on {clinic.phone}" if clinic.phone else ""
            asks.append(
                Ask(
                    about,
                    f"It starts in less than {own.window_hours} hours: to change or cancel it, "
                    f"call {clinic.name}{phone}.",
                )
            )
    asks.extend(_next_sessions(upcoming, past, now))
    return sorted(asks, key=lambda ask: not ask.urgent)


def _next_sessions(upcoming, past, now) -> list[Ask]:
    booked = {own.appointment.treatment_id for own in upcoming}
    done: dict[int, list[Appointment]] = {}
    for own in past:
        appointment = own.appointment
        if appointment.status == Appointment.Status.COMPLETED:
            done.setdefault(appointment.treatment_id, []).append(appointment)
    asks = []
    for treatment_id, sessions in done.items():
        last = sessions[0]  # past is most recent first
        treatment = last.treatment
        if treatment_id in booked or not treatment.active or not treatment.rebook_after_days:
            continue
        if treatment.course_sessions <= 1 or len(sessions) >= treatment.course_sessions:
            continue
        clinic = last.clinic
        day = max(
            clinic.local_date(last.start) + timedelta(days=treatment.rebook_after_days),
            clinic.local_date(now),
        )
        left = treatment.course_sessions - len(sessions)
        asks.append(
            Ask(
                f"{treatment.name} at {clinic.name}",
                f"You have had {len(sessions)} of the {treatment.course_sessions} sessions of "
                f"the course ({left} to go); {clinic.name} suggests booking the next one from "
                f"{_day(day)}.",
                _calendar_from(treatment, day),
                "See the times",
            )
        )
    return asks


# The health record each organisation holds ------------------------------------------------


@dataclass
class RecordShown:
    """One client record (one organisation's) as the client reads it."""

    client: Client
    injectables: list = field(default_factory=list)
    declarations: list = field(default_factory=list)


def _records(records: list[Client]) -> list[RecordShown]:
    """Current injectables (a corrected one shows as corrected) and declarations, in each
    organisation's words: two queries, and one per organisation for its words."""
    shown = {client.pk: RecordShown(client) for client in records}
    words = {c.organisation_id: terms.vocabulary_for(c.organisation_id) for c in records}
    of = {client.pk: words[client.organisation_id] for client in records}
    for record in InjectableRecord.objects.filter(
        client__in=records, superseded_at__isnull=True
    ).order_by("-date", "-pk"):
        record.kind_name = of[record.client_id].name(PROCEDURE, record.kind)
        record.area_names = of[record.client_id].names(AREA, record.areas)
        shown[record.client_id].injectables.append(record)
    for declaration in HealthDeclaration.objects.filter(client__in=records).order_by(
        "-declared_on", "-pk"
    ):
        declaration.condition_name = of[declaration.client_id].name(
            CONDITION, declaration.condition
        )
        shown[declaration.client_id].declarations.append(declaration)
    return list(shown.values())


# The page -------------------------------------------------------------------------------


def signed_in_client(request):
    """None and the way to sign in for an anonymous visitor; 404 for staff."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("account_login"))
    if user.is_staff or access.is_staff(user):
        raise Http404("Staff have no client space.")
    return None


@never_cache
@require_GET
def my_space(request):
    if (sign_in := signed_in_client(request)) is not None:
        return sign_in
    user = request.user
    now = timezone.now()
    records = clients_of(user)
    own = own_appointments(records, now=now)
    shown = _records(records)
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=OWN_RECORD,
        clients=records,
        via=audit.PAGES,
    )
    return render(
        request,
        "online/my/space.html",
        {
            "email": user.email,
            "upcoming": own.upcoming,
            "past": own.past,
            "records": shown,
            "several": len(records) > 1,
            "asks": _asks(own.upcoming, own.past, now),
            "unsigned": unsigned_ids(o.appointment for o in own.upcoming),
            # With the payment page of each course still waiting for its card payment.
            "courses": [
                (v, course_payments.payment_url(v.course))
                for client in records
                for v in client_courses(client, now=now, lapsed=False)
            ],
            "card_payments": stripe_api.enabled(),
            "offers": offers_for(records),
        },
    )


@require_POST
def course_buy_page(request, offer_id):
    """Buy a course online. With card payments on: paid by card on Stripe's page (the
    client is sent there), usable once paid; Stripe unreachable, nothing is bought or
    charged and the client is told. Without: reserved, to pay at the clinic, and its
    sessions can be booked at once."""
    if (sign_in := signed_in_client(request)) is not None:
        return sign_in
    records = clients_of(request.user)
    offer = get_object_or_404(
        CourseOffer.objects.select_related("clinic"),
        pk=offer_id,
        active=True,
        clinic__organisation_id__in=[c.organisation_id for c in records],
    )
    client = next(c for c in records if c.organisation_id == offer.clinic.organisation_id)
    if course_payments.pays_by_card(offer):
        return _course_buy_by_card(request, client, offer)
    try:
        course = course_buy(client=client, offer=offer, by=request.user)
    except CourseError as refusal:
        messages.error(request, refusal.detail)
    else:
        messages.success(
            request,
            f"{course.name} is yours: pay {offer.clinic.name} at your first visit. Book your "
            "sessions below.",
        )
    return redirect(reverse("online:my") + "#courses")


NO_CARD_PAYMENTS = (
    "We can’t take card payments just now, and nothing was charged: try again in a few "
    "minutes, or buy the course at the clinic."
)


def _course_buy_by_card(request, client, offer):
    try:
        course = course_payments.course_buy_by_card(client=client, offer=offer, by=request.user)
    except CourseError as refusal:
        messages.error(request, refusal.detail)
        return redirect(reverse("online:my") + "#courses")
    url = course_payments.checkout_open(course)  # after the purchase committed
    if url is None:
        course_payments.checkout_failed(course)
        messages.error(request, NO_CARD_PAYMENTS)
        return redirect(reverse("online:my") + "#courses")
    return redirect(url)
