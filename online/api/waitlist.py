"""The signed-in client's waitlist endpoints: list and join (GET/POST /api/v1/me/waitlist/),
leave (DELETE /api/v1/me/waitlist/<id>/), accept an offer
(POST /api/v1/me/waitlist/offers/<id>/accept/). Every read starts from the caller's own
client records: another client's entry or offer is a 404, and staff have none."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import access
from clinic.identity import clients_of
from clinic.models import Practitioner, Treatment
from diary.waitlist import offer_accept
from waitlist.models import Entry, Offer, TimeOfDay
from waitlist.selectors import entries_of
from waitlist.services import WaitlistError, entry_join, entry_leave
from web.api.errors import (
    ERRORS_400,
    ERRORS_404,
    ERRORS_422,
    ERRORS_429,
    ApiError,
    ErrorOutput,
)
from web.api.shapes import AppointmentOutput, appointment_data, local_iso
from web.api.throttles import BookingThrottle, LookupThrottle


class JoinInput(serializers.Serializer):
    treatment = serializers.SlugField(max_length=80, help_text="The treatment's slug.")
    practitioner = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        help_text="0 Monday to 6 Sunday; empty or absent: any day.",
    )
    times_of_day = serializers.ListField(
        child=serializers.ChoiceField(choices=TimeOfDay.choices),
        required=False,
        max_length=3,
        help_text="Empty or absent: any time.",
    )
    first_day = serializers.DateField()
    last_day = serializers.DateField()


class OfferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.CharField(help_text="Clinic-local time with its offset.")
    practitioner = serializers.CharField()
    expires_at = serializers.CharField()


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    clinic = serializers.CharField(help_text="The clinic's slug.")
    treatment = serializers.CharField(help_text="The treatment's slug.")
    practitioner = serializers.IntegerField(allow_null=True)
    weekdays = serializers.ListField(child=serializers.IntegerField())
    times_of_day = serializers.ListField(child=serializers.CharField())
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    status = serializers.CharField()
    offers = OfferOutput(many=True, help_text="Live offers, each to accept before expires_at.")


class EntriesOutput(serializers.Serializer):
    entries = EntryOutput(many=True)


class AcceptInput(serializers.Serializer):
    acknowledge_warnings = serializers.BooleanField(default=False)


def _entry_data(entry: Entry) -> dict:
    tz = entry.clinic.tzinfo
    return {
        "id": entry.pk,
        "clinic": entry.clinic.slug,
        "treatment": entry.treatment.slug,
        "practitioner": entry.practitioner_id,
        "weekdays": entry.weekdays,
        "times_of_day": entry.times_of_day,
        "first_day": entry.first_day.isoformat(),
        "last_day": entry.last_day.isoformat(),
        "status": entry.status,
        "offers": [
            {
                "id": offer.pk,
                "start": local_iso(offer.hold.start, tz),
                "practitioner": offer.hold.practitioner.name,
                "expires_at": local_iso(offer.expires_at, tz),
            }
            for offer in getattr(entry, "live_offers", [])
        ],
    }


def _records(request):
    user = request.user
    if user.is_staff or access.is_staff(user):
        raise ApiError("not_found", "No such address.", 404)  # staff have no client space
    return clients_of(user)


class MyWaitlistApi(APIView):
    """The client's waitlist: the entries still waiting (with live offers), and joining."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [LookupThrottle]

    @extend_schema(
        responses={200: EntriesOutput, 403: ErrorOutput, 404: ERRORS_404, 429: ERRORS_429}
    )
    def get(self, request):
        return Response({"entries": [_entry_data(e) for e in entries_of(_records(request))]})

    @extend_schema(
        request=JoinInput,
        responses={
            201: EntryOutput,
            400: ERRORS_400,
            403: ErrorOutput,
            404: ERRORS_404,
            429: ERRORS_429,
        },
    )
    def post(self, request):
        records = _records(request)
        body = JoinInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        orgs = {c.organisation_id: c for c in records}
        treatment = (
            Treatment.objects.filter(
                slug=data["treatment"], active=True, clinic__organisation_id__in=list(orgs)
            )
            .select_related("clinic")
            .first()
        )
        if treatment is None:
            raise ApiError("not_found", "No such treatment.", 404)
        practitioner = None
        if data.get("practitioner"):
            practitioner = Practitioner.objects.filter(
                pk=data["practitioner"], clinic=treatment.clinic, active=True
            ).first()
            if practitioner is None:
                raise ApiError("invalid_input", "No such practitioner at this clinic.", 400)
        try:
            entry = entry_join(
                client=orgs[treatment.clinic.organisation_id],
                treatment=treatment,
                practitioner=practitioner,
                weekdays=data.get("weekdays", []),
                times_of_day=data.get("times_of_day", []),
                first_day=data["first_day"],
                last_day=data["last_day"],
                by=request.user,
            )
        except WaitlistError as refused:
            raise ApiError(refused.code, refused.detail, refused.status) from refused
        return Response(_entry_data(entry), status=201)


class MyWaitlistEntryApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [BookingThrottle]

    @extend_schema(responses={204: None, 403: ErrorOutput, 404: ERRORS_404, 429: ERRORS_429})
    def delete(self, request, entry_id):
        """Leave the waitlist (this entry); its live offers end."""
        entry = Entry.objects.filter(
            pk=entry_id, client__in=_records(request), status=Entry.Status.WAITING
        ).first()
        if entry is None:
            raise ApiError("not_found", "No such waitlist entry.", 404)
        entry_leave(entry=entry, by=request.user)
        return Response(status=204)


class OfferAcceptApi(APIView):
    """Accept an offer: the held time becomes the client's booking (201), unless another
    client accepted it first or it expired (409 `offer_gone`)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [BookingThrottle]

    @extend_schema(
        request=AcceptInput,
        responses={
            201: AppointmentOutput,
            400: ERRORS_400,
            403: ErrorOutput,
            404: ERRORS_404,
            409: ErrorOutput,
            422: ERRORS_422,
            429: ERRORS_429,
        },
    )
    def post(self, request, offer_id):
        body = AcceptInput(data=request.data)
        body.is_valid(raise_exception=True)
        offer = (
            Offer.objects.select_related(
                "entry__client", "entry__treatment", "entry__clinic", "hold"
            )
            .filter(pk=offer_id, entry__client__in=_records(request))
            .first()
        )
        if offer is None:
            raise ApiError("not_found", "No such offer.", 404)
        booked = offer_accept(
            offer=offer,
            by=request.user,
            acknowledge_warnings=body.validated_data["acknowledge_warnings"],
        )
        return Response(
            appointment_data(booked.appointment, warnings=booked.warnings, manage_token=True),
            status=201,
        )
