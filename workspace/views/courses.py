"""A client's courses at the desk: selling one (front desk, managers) and recording its
payment taken at the desk, each a POST that redirects back to the client's page, where the
balances and history are shown (and that view audited with the page). Courses of a clinic
the user has no role at are not theirs: a 404, as is a client they may not see."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

import access
from courses import services
from courses.errors import CourseError
from courses.models import ClientCourse, CourseOffer
from diary import course_payments
from workspace.views.base import role_required, visible_client

PAID_METHODS = [
    (m.value, m.label) for m in ClientCourse.Method if m != ClientCourse.Method.CARD_ONLINE
]


class SellForm(forms.Form):
    offer = forms.ModelChoiceField(queryset=CourseOffer.objects.none(), label="Course")

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = CourseOffer.objects.filter(clinic=clinic, active=True)


class PaidForm(forms.Form):
    method = forms.ChoiceField(choices=PAID_METHODS, label="Taken by")


def sell_form(clinic) -> SellForm | None:
    form = SellForm(clinic=clinic)
    return form if form.fields["offer"].queryset.exists() else None


def _client_page(client) -> str:
    return reverse("workspace:client", args=[client.pk]) + "#client-courses"


@role_required(access.BOOK)
@require_POST
def sell(request, client_id):
    client = visible_client(request, client_id)
    form = SellForm(request.POST, clinic=request.clinic)
    if not form.is_valid():
        messages.error(request, "Choose one of the clinic's courses.")
        return redirect(_client_page(client))
    try:
        course = services.course_buy(
            client=client, offer=form.cleaned_data["offer"], by=request.user
        )
    except CourseError as refusal:
        messages.error(request, refusal.detail)
    else:
        messages.success(
            request, f"Sold {course.name} to {client.name}. Record its payment when it is taken."
        )
    return redirect(_client_page(client))


@role_required(services.RECORD)
@require_POST
def paid(request, client_id, course_id):
    client = visible_client(request, client_id)
    mine = access.clinic_ids(request.user)
    courses = ClientCourse.objects.filter(client=client)
    if mine is not None:
        courses = courses.filter(clinic_id__in=mine)
    course = get_object_or_404(courses, pk=course_id)
    if not services.may_record(request.user, course.clinic_id):
        raise Http404("No such course.")
    form = PaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say how it was paid.")
        return redirect(_client_page(client))
    try:
        course_payments.course_paid_at_desk(
            client_course=course, method=form.cleaned_data["method"], by=request.user
        )
    except CourseError as refusal:
        messages.error(request, refusal.detail)
    else:
        messages.success(request, f"Recorded the payment of {course.name}.")
    return redirect(_client_page(client))
