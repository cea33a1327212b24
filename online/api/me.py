"""The signed-in client's own endpoints: GET /api/v1/me/appointments/ and /me/courses/, and
GET/PUT /api/v1/me/sms/ (their agreement to text messages), for a client signed in by code
(the session token of online/api/client_token.py, or the pages' session)."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import access
from aftercare.services import NoMobileNumber, sms_agreement_set
from clinic.identity import clients_of
from clinic.models import SmsConsentSource
from courses.selectors import client_courses
from online.api.client_token import ClientSessionTokenAuthentication
from online.own import own_appointments
from web.api.errors import ERRORS_404, ERRORS_429, ApiError, ErrorOutput
from web.api.shapes import (
    AppointmentOutput,
    SmsConsentInput,
    SmsConsentOutput,
    appointment_data,
    local_iso,
)
from web.api.throttles import LookupThrottle


class ClientSessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = ClientSessionTokenAuthentication
    name = "clientSessionToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Session-Token"}


class OwnClinicOutput(serializers.Serializer):
    """The clinic of one of the client's appointments, with the phone to call inside the
    cancellation window."""

    slug = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()


class OwnAppointmentOutput(AppointmentOutput):
    clinic = OwnClinicOutput()
    changeable_until = serializers.CharField(
        help_text="The last instant the client may move or cancel it online (the start less "
        "the clinic's cancellation window), in the clinic's local time with its offset."
    )
    changeable = serializers.BooleanField(
        help_text="Whether that instant is still ahead (confirmed appointments only)."
    )


class OwnAppointmentsOutput(serializers.Serializer):
    upcoming = OwnAppointmentOutput(many=True)
    past = OwnAppointmentOutput(many=True)


def _own_data(own) -> dict:
    appointment = own.appointment
    clinic = appointment.clinic
    return {
        **appointment_data(appointment, manage_token=True),  # their own (staff get 404)
        "clinic": {"slug": clinic.slug, "name": clinic.name, "phone": clinic.phone},
        "changeable_until": local_iso(own.changeable_until, clinic.tzinfo),
        "changeable": own.open,
    }


class MyAppointmentsApi(APIView):
    """The signed-in client's appointments at every clinic they booked with, each with its
    manage token (for cancel and reschedule) and its cancellation window."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [LookupThrottle]

    @extend_schema(
        responses={
            200: OwnAppointmentsOutput,
            403: ErrorOutput,
            404: ERRORS_404,
            429: ERRORS_429,
        }
    )
    def get(self, request):
        user = request.user
        if user.is_staff or access.is_staff(user):
            # Staff have no client space: for them this address does not exist.
            raise ApiError("not_found", "No such address.", 404)
        own = own_appointments(clients_of(user))
        return Response(
            {
                "upcoming": [_own_data(item) for item in own.upcoming],
                "past": [_own_data(item) for item in own.past],
            }
        )


class OwnCourseOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="Give it as `course` when booking.")
    name = serializers.CharField()
    clinic = serializers.CharField(help_text="The clinic's slug: its sessions are there.")
    treatment = serializers.CharField(allow_null=True, help_text="Its slug, or null.")
    category = serializers.CharField(help_text='A category\'s code, or "".')
    sessions = serializers.IntegerField()
    used = serializers.IntegerField()
    booked = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="Sessions left to book.")
    last_day = serializers.DateField(help_text="The last day, in the clinic's calendar.")
    expired = serializers.BooleanField()
    paid = serializers.BooleanField()
    price = serializers.CharField()
    currency = serializers.CharField()


def _course_data(view) -> dict:
    course, balance = view.course, view.balance
    return {
        "id": course.pk,
        "name": course.name,
        "clinic": course.clinic.slug,
        "treatment": course.treatment.slug if course.treatment_id else None,
        "category": course.category,
        "sessions": balance.total,
        "used": balance.used,
        "booked": balance.booked,
        "remaining": balance.remaining,
        "last_day": course.last_day.isoformat(),
        "expired": balance.expired,
        "paid": course.is_paid,
        "price": str(course.price),
        "currency": course.currency,
    }


class MyCoursesApi(APIView):
    """The signed-in client's courses at every organisation, with their balances."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [LookupThrottle]

    @extend_schema(
        responses={
            200: OwnCourseOutput(many=True),
            403: ErrorOutput,
            404: ERRORS_404,
            429: ERRORS_429,
        }
    )
    def get(self, request):
        user = request.user
        if user.is_staff or access.is_staff(user):
            raise ApiError("not_found", "No such address.", 404)
        now = timezone.now()
        return Response(
            [
                _course_data(v)
                for client in clients_of(user)
                for v in client_courses(client, now=now, lapsed=False)
            ]
        )


class MySmsInput(SmsConsentInput):
    organisation = serializers.SlugField(
        required=False,
        max_length=50,
        help_text="Only the record at this organisation; every record of theirs without it.",
    )


class MySmsApi(APIView):
    """The signed-in client's agreement to text messages, per record (one per organisation
    they booked with). PUT records it now, with the source client_space; withdrawing
    cancels every text still waiting for them."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [LookupThrottle]

    def _records(self, request):
        user = request.user
        if user.is_staff or access.is_staff(user):
            raise ApiError("not_found", "No such address.", 404)
        return clients_of(user)

    @extend_schema(responses={200: SmsConsentOutput(many=True), 403: ErrorOutput, 404: ERRORS_404})
    def get(self, request):
        return Response(SmsConsentOutput(self._records(request), many=True).data)

    @extend_schema(
        request=MySmsInput,
        responses={
            200: SmsConsentOutput(many=True),
            400: ErrorOutput,
            403: ErrorOutput,
            404: ERRORS_404,
        },
    )
    def put(self, request):
        records = self._records(request)
        body = MySmsInput(data=request.data)
        body.is_valid(raise_exception=True)
        slug = body.validated_data.get("organisation")
        chosen = [c for c in records if slug is None or c.organisation.slug == slug]
        if not chosen:
            raise ApiError("not_found", "You have no record at this organisation.", 404)
        try:
            sms_agreement_set(
                clients=chosen,
                opted_in=body.validated_data["opted_in"],
                source=SmsConsentSource.CLIENT_SPACE,
            )
        except NoMobileNumber as refusal:
            raise ApiError("invalid_phone", refusal.detail, 400) from refusal
        return Response(SmsConsentOutput(clients_of(request.user), many=True).data)
