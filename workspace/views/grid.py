"""The diary: the front desk's home, a day or a week as a time grid, and what is done from
it: book a free time (for a client found or a new walk-in), move an appointment (dragged,
or with the Move form, which is the keyboard's and no-JavaScript's way), block time.

Every change goes through a service: booking through the existing booking page
(workspace:book, prefilled), a move through diary.services.appointment_reschedule, time off
through diary.time_off.time_off_block; their refusals are shown in their own words and
change nothing.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods

import access
from clinic import audit
from clinic.models import AuditEntry, Practitioner, Treatment
from clinic.search import client_search
from clinic.services import client_get_or_create
from diary import services
from diary.errors import BookingError
from diary.time_off import time_off_block
from web import forms as web_forms
from workspace.forms import BookingForm
from workspace.grid import BY_PRACTITIONER, BY_RESOURCE, diary_grid, row_minutes
from workspace.selectors import clinic_today, span_days
from workspace.views.base import role_required, visible_appointment, visible_client
from workspace.views.consent import forms_unsigned

SPANS = ("day", "week")
NO_COLUMN = 0  # no practitioner has this id


def _date(value, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except (TypeError, ValueError):
        return default


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _clinic_practitioner(request, practitioner_id) -> Practitioner | None:
    """The practitioner asked for, of the clinic looked at; any other is a 404, as if it
    did not exist."""
    if practitioner_id is None:
        return None
    return get_object_or_404(Practitioner, pk=practitioner_id, clinic=request.clinic)


def _back(request, default: str) -> str:
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def diary_url(day: date, **params) -> str:
    query = {"date": day.isoformat(), **{k: v for k, v in params.items() if v}}
    return f"{reverse('workspace:home')}?{urlencode(query)}"


@role_required()
def diary(request):
    """?date=YYYY-MM-DD&span=day|week&by=practitioner|resource. A practitioner whose role
    does not show the whole diary gets their own column, as on the day sheet; the rooms
    and devices view is for roles that see the whole diary."""
    clinic = request.clinic
    user = request.user
    today = clinic_today(clinic)
    day = _date(request.GET.get("date"), today)
    span = request.GET.get("span") if request.GET.get("span") in SPANS else "day"
    whole = access.can(user, access.SEE_WHOLE_DIARY, clinic)
    by = BY_RESOURCE if whole and request.GET.get("by") == BY_RESOURCE else BY_PRACTITIONER
    allowed, practitioner_id = access.sheet_practitioner(user, clinic, None)
    if not allowed:  # a practitioner with no column in this clinic's diary: an empty grid
        practitioner_id = NO_COLUMN
    first_day, last_day = span_days(day, span)
    grid = diary_grid(
        clinic=clinic,
        first_day=first_day,
        last_day=last_day,
        visible=access.diary_of(user) if allowed else Q(pk__in=[]),
        by=by,
        practitioner_id=practitioner_id,
        now=timezone.now(),
    )
    # As on the day sheet: a client shows (name, cautions, flags) only to a role that
    # shows them the client, and each one shown is a view of health data, audited.
    shown = access.visible_among(user, (e.appointment.client for e in grid.entries))
    audit.audit_record(
        request,
        action=AuditEntry.Action.VIEW,
        what=audit.DAY_SHEET,
        clients=sorted(shown),
        clinic=clinic,
        first_day=first_day.isoformat(),
        last_day=last_day.isoformat(),
        view="diary",
    )
    step = timedelta(days=7 if span == "week" else 1)
    now = timezone.localtime(timezone=clinic.tzinfo)
    return render(
        request,
        "workspace/grid.html",
        {
            "grid": grid,
            "shown": shown,
            "day": day,
            "today": today,
            "span": span,
            "by": by,
            "whole": whole,
            "previous": day - step,
            "next": day + step,
            "now": now,
            "may_book": access.can(user, access.BOOK, clinic),
            "may_sign_off": access.can(user, access.SIGN_OFF, clinic),
            "here": request.get_full_path(),
            "walk_in_time": _next_row(now, row_minutes(clinic)),
            "unsigned": forms_unsigned(e.appointment for e in grid.entries),
        },
    )


def _next_row(now: datetime, step: int) -> str:
    minutes = now.hour * 60 + now.minute
    minutes = min(-(-minutes // step) * step, 23 * 60 + 59)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class NewClientForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    phone = web_forms.PhoneField()


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def book_here(request):
    """Who is it for? A free time clicked in the diary (or a walk-in, now) needs a client
    before the booking page can list that day's times: find one, or add a new one by name
    and email; then the booking page opens with the day, time and practitioner filled in."""
    clinic = request.clinic
    params = request.POST if request.method == "POST" else request.GET
    day = max(_date(params.get("date"), clinic_today(clinic)), clinic_today(clinic))
    at = params.get("time", "")[:5]
    practitioner = _clinic_practitioner(request, _int(params.get("practitioner")))
    treatments = Treatment.objects.filter(clinic=clinic, active=True).order_by("position", "name")
    if practitioner is not None:
        treatments = treatments.filter(practitioners=practitioner)
    treatments = list(treatments)
    treatment = next((t for t in treatments if t.slug == params.get("treatment")), None)
    treatment = treatment or (treatments[0] if treatments else None)

    def booking_page(client_id: int) -> str:
        query = {
            "treatment": treatment.slug if treatment else "",
            "date": day.isoformat(),
            "time": at,
            "practitioner": practitioner.pk if practitioner else "",
        }
        return f"{reverse('workspace:book', args=[client_id])}?{urlencode(query)}"

    form = NewClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client, created = client_get_or_create(
            clinic=clinic, name=data["name"], email=data["email"], phone=data["phone"]
        )
        visible_client(request, client.pk)  # one the user may not see is not theirs to book
        if created:
            messages.success(request, f"Added {client.name} as a new client.")
        else:
            messages.info(request, f"{client.email} is already {client.name}'s: booking for them.")
        return redirect(booking_page(client.pk))

    q = request.GET.get("q", "")[:200]
    among = access.visible_clients(request.user).filter(organisation_id=clinic.organisation_id)
    found = client_search(q=q, clients=among) if q.strip() else []
    return render(
        request,
        "workspace/grid_book.html",
        {
            "day": day,
            "time": at,
            "practitioner": practitioner,
            "treatments": treatments,
            "treatment": treatment,
            "q": q,
            "found": [(client, booking_page(client.pk)) for client in found],
            "form": form,
            "walk_in": params.get("walk_in") == "1",
            "back": diary_url(day),
        },
    )


def _words(refusal: BookingError) -> str:
    """The service's refusal as it words it, with the warnings or alternatives it names."""
    words = [refusal.detail, *refusal.extra.get("warnings", [])]
    return " ".join(words)


class MoveForm(BookingForm):
    """Where to: a day, a wall-clock time in the clinic's zone, a practitioner who offers
    the treatment (or whoever is free); and what the rules need, as for a booking."""

    start = None  # the day and time, typed, stand for the slot picked from a list
    date = web_forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = web_forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, appointment, **kwargs):
        super().__init__(*args, clinic=appointment.clinic, **kwargs)
        practitioner = self.fields["practitioner"]
        practitioner.queryset = Practitioner.objects.filter(
            clinic=appointment.clinic, active=True, treatments=appointment.treatment
        ).order_by("name")
        practitioner.empty_label = "Whoever is free"


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def move(request, reference):
    """Move an appointment to a day, time and practitioner: the drag in the diary posts
    here, and this page is the same move with a keyboard or without JavaScript. The
    reschedule service decides; its refusal is shown as it words it and nothing moves."""
    appointment = visible_appointment(request, reference)
    clinic = appointment.clinic
    if appointment.clinic_id != request.clinic.pk:
        raise Http404("No such appointment.")
    if not access.can(request.user, access.BOOK, clinic):
        raise PermissionDenied
    local_start = appointment.start.astimezone(clinic.tzinfo)
    form = MoveForm(
        request.POST or None,
        appointment=appointment,
        initial={
            "date": local_start.date(),
            "time": local_start.time(),
            "practitioner": appointment.practitioner_id,
        },
    )
    back = _back(request, diary_url(local_start.date()))
    error = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            start = datetime.combine(data["date"], data["time"], tzinfo=clinic.tzinfo)
            try:
                moved = services.appointment_reschedule(
                    appointment=appointment,
                    start=start,
                    practitioner=data["practitioner"],
                    by=request.user,
                    origin=audit.Origin.of(request, via=audit.WORKSPACE, clinic=clinic),
                    acknowledge_warnings=data["acknowledge_warnings"],
                    override_reason=data["override_reason"].strip() or None,
                ).appointment
            except BookingError as refusal:
                error = _words(refusal)
            else:
                messages.success(
                    request,
                    f"Moved {moved.reference} to "
                    f"{moved.start.astimezone(clinic.tzinfo):%a %-d %b %Y at %H:%M} "
                    f"with {moved.practitioner.name}.",
                )
                return redirect(_back(request, diary_url(data["date"])))
        else:
            error = "Give the day, a time (HH:MM) and, if you like, a practitioner."
        if request.POST.get("dragged") and error:
            # Dropped in the diary: back to it, with the service's own words.
            messages.error(request, f"{appointment.reference} was not moved: {error}")
            return redirect(back)
    return render(
        request,
        "workspace/grid_move.html",
        {
            "appointment": appointment,
            "local_start": local_start,
            "shown": access.may_see_client(request.user, appointment.client),
            "form": form,
            "error": error,
            "back": back,
            "may_override": access.can_override(request.user, clinic),
        },
        status=409 if error else 200,
    )


class BlockForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none())
    date = web_forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = web_forms.TimeField(
        label="From", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = web_forms.TimeField(
        label="Until", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    reason = forms.CharField(max_length=120, required=False)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = Practitioner.objects.filter(
            clinic=clinic, active=True
        ).order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError("The time off must end after it starts.")
        return data


@role_required(access.BOOK)
@require_http_methods(["GET", "POST"])
def block(request):
    """Block time (time off) for a practitioner from the diary. Refused, with the
    appointments in the way, if the time holds one."""
    clinic = request.clinic
    params = request.POST if request.method == "POST" else request.GET
    # Another clinic's practitioner is a 404, not a form error: it does not exist here.
    _clinic_practitioner(request, _int(params.get("practitioner")))
    at = _date(params.get("date"), clinic_today(clinic))
    starts = params.get("time", "")[:5] or params.get("start", "")[:5]
    initial = {"date": at, "practitioner": _int(params.get("practitioner"))}
    try:
        initial["start"] = time.fromisoformat(starts)
        initial["end"] = (datetime.combine(at, initial["start"]) + timedelta(hours=1)).time()
    except ValueError:
        pass
    form = BlockForm(request.POST or None, clinic=clinic, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tz = clinic.tzinfo
        try:
            blocked = time_off_block(
                practitioner=data["practitioner"],
                start=datetime.combine(data["date"], data["start"], tzinfo=tz),
                end=datetime.combine(data["date"], data["end"], tzinfo=tz),
                reason=data["reason"],
                by=request.user,
            )
        except BookingError as refusal:
            error = refusal.detail
        else:
            messages.success(
                request,
                f"Blocked {blocked.practitioner.name}'s time on {data['date']:%a %-d %b} "
                f"from {data['start']:%H:%M} to {data['end']:%H:%M}.",
            )
            return redirect(diary_url(data["date"]))
    return render(
        request,
        "workspace/grid_block.html",
        {"form": form, "error": error, "back": diary_url(at)},
        status=409 if error else 200,
    )
