"""The client's waitlist pages: /my/waitlist/ (join, see, leave; from the client's space and
from the booking pages when no time suits) and the emailed offer link, where they accept.

Every read starts from the signed-in login (clients_of): a client reaches only their own
entries and offers; anything else is a 404, as a staff account gets for the client space.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

import access
from clinic.identity import clients_of
from clinic.models import Practitioner, Treatment
from clinic.services import client_get_or_create
from diary.errors import BookingError, OfferGone, WarningsNotAcknowledged
from diary.waitlist import offer_accept
from waitlist.models import Entry, Offer, TimeOfDay
from waitlist.selectors import entries_of
from waitlist.services import WaitlistError, entry_join, entry_leave

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DEFAULT_WEEKS = 4  # the range the form suggests


def _client_user(request):
    """The signed-in client, or None (the caller redirects to sign in); staff: 404."""
    user = request.user
    if not user.is_authenticated:
        return None
    if user.is_staff or access.is_staff(user):
        raise Http404("Staff have no client space.")
    return user


def _sign_in(request):
    return redirect_to_login(request.get_full_path(), reverse("account_login"))


def _form_from(post) -> dict:
    """The join form's fields, as entry_join takes them; WaitlistError for what is not."""
    try:
        first_day = date.fromisoformat(post.get("first_day", ""))
        last_day = date.fromisoformat(post.get("last_day", ""))
    except ValueError as error:
        raise WaitlistError("Please give the first and last day as dates.") from error
    try:
        weekdays = [int(d) for d in post.getlist("weekdays")]
    except ValueError as error:
        raise WaitlistError("Days of the week are 0 (Monday) to 6 (Sunday).") from error
    return {
        "first_day": first_day,
        "last_day": last_day,
        "weekdays": weekdays,
        "times_of_day": post.getlist("times_of_day"),
    }


@never_cache
def my_waitlist(request):
    """GET: the client's entries and live offers, and the form to join (?treatment=<slug>
    from the booking pages). POST: join."""
    user = _client_user(request)
    if user is None:
        return _sign_in(request)
    records = clients_of(user)
    org_ids = [c.organisation_id for c in records]
    treatments = Treatment.objects.filter(
        active=True, clinic__organisation_id__in=org_ids
    ).select_related("clinic")
    chosen = request.GET.get("treatment", "") or request.POST.get("treatment", "")
    treatment = treatments.filter(slug=chosen[:80]).first() if chosen else None
    error = ""
    if request.method == "POST":
        if treatment is None:
            error = "Please choose a treatment."
        else:
            client = next(
                c for c in records if c.organisation_id == treatment.clinic.organisation_id
            )
            practitioner = None
            if request.POST.get("practitioner"):
                practitioner = Practitioner.objects.filter(
                    clinic=treatment.clinic, active=True, pk=_int(request.POST["practitioner"])
                ).first()
            try:
                entry_join(
                    client=client,
                    treatment=treatment,
                    practitioner=practitioner,
                    by=user,
                    **_form_from(request.POST),
                )
            except WaitlistError as refused:
                error = refused.detail
            else:
                messages.success(
                    request, f"You are on the waitlist for {treatment.name}. We will email you."
                )
                return redirect("online:waitlist")
    today = timezone.localdate()
    return render(
        request,
        "online/my/waitlist.html",
        {
            "entries": list(entries_of(records)),
            "treatments": treatments.order_by("clinic__name", "name"),
            "chosen": treatment,
            "practitioners": (
                Practitioner.objects.filter(
                    clinic=treatment.clinic, active=True, treatments=treatment
                ).order_by("name")
                if treatment
                else []
            ),
            "weekdays": list(enumerate(WEEKDAYS)),
            "times_of_day": TimeOfDay.choices,
            "first_day": today,
            "last_day": today + timedelta(weeks=DEFAULT_WEEKS),
            "error": error,
        },
        status=400 if error else 200,
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_POST
def waitlist_leave(request, entry_id):
    user = _client_user(request)
    if user is None:
        return _sign_in(request)
    entry = get_object_or_404(Entry, pk=entry_id, client__in=clients_of(user))
    if entry_leave(entry=entry, by=user):
        messages.info(request, f"You have left the waitlist for {entry.treatment.name}.")
    return redirect("online:waitlist")


def _gone(request, offer, status=409):
    return render(
        request,
        "online/offer_gone.html",
        {"offer": offer, "detail": OfferGone.detail},
        status=status,
    )


@never_cache
def offer(request, offer_id, token):
    """The emailed link: the offer, and Accept. Only the client offered it, signed in, sees
    it (anyone else: 404); a link past its time or an offer taken says the time is gone."""
    user = _client_user(request)
    if user is None:
        return _sign_in(request)
    found = get_object_or_404(
        Offer.objects.select_related(
            "entry__client", "entry__treatment", "entry__clinic", "hold", "hold__practitioner"
        ),
        pk=offer_id,
        entry__client__in=clients_of(user),
    )
    max_age = (settings.WAITLIST_OFFER_MINUTES + 60) * 60
    if not found.link_matches(token, max_age=max_age):
        raise Http404("No such offer.")
    now = timezone.now()
    open_ = found.status == Offer.Status.OFFERED and found.expires_at > now
    if not open_:
        return _gone(request, found, status=410 if request.method == "GET" else 409)
    context = {"offer": found, "token": token, "warnings": []}
    if request.method == "POST":
        try:
            booked = offer_accept(
                offer=found,
                by=user,
                acknowledge_warnings=request.POST.get("acknowledge") == "yes",
            )
        except WarningsNotAcknowledged as warned:
            context["warnings"] = warned.extra.get("warnings", [])
            return render(request, "online/offer.html", context, status=422)
        except BookingError as refused:
            if isinstance(refused, OfferGone):
                return _gone(request, found)
            context["error"] = refused.detail
            return render(request, "online/offer.html", context, status=refused.status)
        appointment = booked.appointment
        messages.success(
            request,
            f"Booked: {appointment.treatment.name}, reference {appointment.reference}. "
            "A confirmation is on its way by email.",
        )
        return redirect("online:my")
    return render(request, "online/offer.html", context)


def join_from_notice(*, user, treatment: Treatment, eligible_on: date):
    """ "Offer me the first time after my wait": the refusal page's request, as a waitlist
    entry for `treatment` starting on the day the wait allows, for WAITLIST_NOTICE_WEEKS."""
    client, _ = client_get_or_create(
        clinic=treatment.clinic, name=clients_of(user)[0].name, email=user.email
    )
    last = eligible_on + timedelta(weeks=settings.WAITLIST_NOTICE_WEEKS)
    try:
        return client, entry_join(
            client=client,
            treatment=treatment,
            first_day=eligible_on,
            last_day=last,
            by=user,
            source=Entry.Source.NOTICE,
        )
    except WaitlistError:
        return client, None
