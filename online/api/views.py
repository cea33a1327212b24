"""The public booking API of docs/api.md: thin views over services and selectors.

Each view validates its input with a small serializer, calls one service or selector and
shapes the answer. Access to one appointment: the manage token, the client who owns it,
or staff whose role shows it to them (access/); anyone else gets 404, as if it
did not exist. Staff see the client and the cautions only for clients their role lets them
see, and each time they do the audit trail says so.
"""

from django.contrib.auth import authenticate
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

import access
from aftercare.services import sms_opt_in
from bookings import selectors
from bookings.models import Appointment
from clinic import audit
from clinic.audit import Origin
from clinic.models import AuditEntry, Client, Practitioner, SmsConsentSource, Treatment
from clinic.services import client_get_or_create
from clinical import prerequisites, rules
from clinical.rules import Declared
from clinical.services import InjectionDateInFuture
from clinical.terms import UnknownTerm, declared_terms_check, vocabulary_for
from courses.models import ClientCourse
from diary import availability, deposits, holds, services
from diary.errors import (
    EligibilityRefused,
    PaymentUnavailable,
    PrerequisiteMissing,
    SlotUnavailable,
)
from online.api import serializers as s
from online.api.idempotency import (
    KeyReused,
    fingerprint,
    idempotency_claim,
    idempotency_forget,
    idempotency_record,
)
from web.api.appointments import appointment_response
from web.api.authentication import token_for
from web.api.errors import (
    ERRORS_400,
    ERRORS_404,
    ERRORS_409,
    ERRORS_422,
    ERRORS_429,
    ApiError,
    ErrorOutput,
    field_error,
    permission_denied,
)
from web.api.lookups import treatment_and_practitioner, treatment_by_slug
from web.api.shapes import AppointmentOutput, PractitionerOutput, slot_data
from web.api.throttles import BookingThrottle, LookupThrottle, SearchThrottle, TokenThrottle

TOKEN_PARAM = OpenApiParameter("token", str, description="The booking's manage token.")
ERRORS_503_PAYMENT = OpenApiResponse(
    ErrorOutput,
    description="A deposit is asked and the payment provider cannot be reached: the time is "
    "released, nothing is charged (payment_unavailable).",
)
ERRORS_410 = OpenApiResponse(
    ErrorOutput, description="The booking's own token, past MANAGE_LINK_DAYS (link_expired)."
)


def _check_on_grid(treatment: Treatment, start) -> None:
    clinic = treatment.clinic
    local = start.astimezone(clinic.tzinfo)
    step = clinic.slot_step_minutes
    if local.second or local.microsecond or (local.hour * 60 + local.minute) % step:
        raise field_error(
            "start",
            f"Appointments start on the clinic's {step}-minute grid (e.g. 09:00, "
            f"09:{step:02d}) in its local time, {clinic.timezone}.",
        )


def _client_of(user, clinic) -> Client | None:
    """The client the signed-in user is, at `clinic`'s organisation."""
    if user is None or not user.is_authenticated:
        return None
    return Client.objects.filter(user=user, organisation_id=clinic.organisation_id).first()


def _visible_appointment(request, reference: str, token: str | None) -> Appointment:
    """The appointment if the caller may see it; otherwise 404 whether it exists or not."""
    appointment = selectors.appointment_by_reference(reference)
    if appointment is None:
        raise ApiError("not_found", "No such appointment.", 404)
    user = request.user
    if (
        appointment.manage_token_matches(token)
        or access.may_see_appointment(user, appointment)
        or access.is_client_self(user, appointment.client)
    ):
        return appointment
    if appointment.manage_token_signed(token):  # its own token, past MANAGE_LINK_DAYS
        raise ApiError(
            "link_expired",
            "This booking's token has expired: sign in with the client's email address to "
            "see and change their bookings.",
            410,
        )
    raise ApiError("not_found", "No such appointment.", 404)


def _check_may_change(request, appointment: Appointment, token: str | None) -> None:
    """Staff cancel or move an appointment only if their role books (a practitioner sees
    their own appointments but the front desk moves them), token or not
    (`access.may_change_appointment`); the client and the manage token holder may."""
    user = request.user
    if not access.may_change_appointment(user, appointment):
        raise permission_denied("Your role does not cancel or move appointments.")
    if appointment.manage_token_matches(token) or access.is_client_self(user, appointment.client):
        return
    if not access.can(user, access.BOOK, appointment.clinic_id):
        raise permission_denied("Your role does not cancel or move appointments.")


class TokenApi(APIView):
    authentication_classes = []
    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=s.TokenInput, responses={200: s.TokenOutput, 400: ERRORS_400, 429: ERRORS_429}
    )
    def post(self, request):
        data = s.TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise ApiError(
                "too_many_attempts",
                "Too many wrong passwords from your address; try again later.",
                429,
            )
        if user is None or not user.is_active:
            raise ApiError("invalid_credentials", "Wrong username or password.", 400)
        return Response({"token": token_for(user).key})


class TreatmentListApi(APIView):
    @extend_schema(responses=s.TreatmentOutput(many=True))
    def get(self, request):
        treatments = Treatment.objects.filter(active=True).select_related("clinic")
        return Response(s.TreatmentOutput(treatments, many=True).data)


class PractitionerListApi(APIView):
    @extend_schema(
        parameters=[s.PractitionerQuery],
        responses={200: PractitionerOutput(many=True), 400: ERRORS_400},
    )
    def get(self, request):
        query = s.PractitionerQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        practitioners = Practitioner.objects.filter(active=True)
        if slug := query.validated_data.get("treatment"):
            practitioners = practitioners.filter(treatments=treatment_by_slug(slug))
        return Response(PractitionerOutput(practitioners.order_by("name"), many=True).data)


def _refusal_shown(request, refusal: EligibilityRefused, *, client, clinic, **details) -> None:
    """A refusal by the clinic's rules gives reasons and dates read from the client's record
    (a filler's date, the day they may book from): told to staff, it is an audited view of
    the client's eligibility, like the workspace's booking page."""
    if client is not None and access.is_staff_at(request.user, clinic):
        audit.audit_api(
            request,
            action=AuditEntry.Action.VIEW,
            what=audit.ELIGIBILITY,
            clients=[client],
            clinic=clinic,
            refusal=refusal.code,
            **details,
        )


def _prerequisite_data(within, clinic) -> dict | None:
    """What a known client must book first when no prerequisite of theirs lets them book
    at all (a patch test): the reason, and the treatment to book."""
    if within is None or not within.unmet:
        return None
    unmet = within.unmet[0]
    offer = unmet.rule.offer(clinic.pk)
    return {
        "code": PrerequisiteMissing.code,
        "detail": prerequisites.explain(unmet, clinic_id=clinic.pk, tz=clinic.tzinfo),
        "required_treatment": offer.slug if offer else None,
    }


def _slots_data(found: availability.Found, tz) -> list[dict]:
    """slot_data of each of the search's slots, written straight from its epoch seconds
    through availability.iso_at, which remembers each instant it wrote (a 14-day answer
    has some 400 slots, and their datetimes were a fifth of the request)."""
    duration, iso = found.duration, availability.iso_at
    return [
        {"start": iso(start, tz), "end": iso(start + duration, tz), "practitioners": pids}
        for start, pids in found.starts
    ]


class AvailabilityApi(APIView):
    throttle_classes = [SearchThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("treatment", str, required=True),
            OpenApiParameter(
                "from", str, required=True, description="First clinic-local date, YYYY-MM-DD."
            ),
            OpenApiParameter(
                "to",
                str,
                required=True,
                description="Last clinic-local date, YYYY-MM-DD (inclusive).",
            ),
            OpenApiParameter("practitioner", int),
            OpenApiParameter(
                "client", int, description="Staff only: the client the search is for."
            ),
        ],
        responses={200: s.AvailabilityOutput, 400: ERRORS_400, 403: ErrorOutput, 429: ERRORS_429},
    )
    def get(self, request):
        query = s.AvailabilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        first, last = params["from"], params["to"]
        if (last - first).days + 1 > availability.MAX_RANGE_DAYS:
            raise ApiError(
                "range_too_long",
                f"Ask for at most {availability.MAX_RANGE_DAYS} days at a time.",
                400,
            )
        treatment, practitioner = treatment_and_practitioner(
            params["treatment"], params.get("practitioner")
        )
        staff = access.is_staff_at(request.user, treatment.clinic)
        client = self._known_client(request, treatment, params.get("client"), staff)
        eligible_from = within = None
        if client is not None:
            # A known client still inside a waiting period: the search starts where they may
            # book. Evaluated on the last day, so an injection inside the range counts too.
            decision = rules.client_decision(client=client, treatment=treatment, on=last)
            if decision.earliest_date and decision.earliest_date > first:
                first = eligible_from = decision.earliest_date
            # And where their prerequisites (a patch test 48 hours before...) let it start.
            within = availability.client_window(treatment=treatment, client=client)
            if within.start and treatment.clinic.local_date(within.start) > first:
                first = eligible_from = treatment.clinic.local_date(within.start)
            # Where the search starts (or that it starts where asked) is read from their
            # record: an audited view, whoever asks (staff, or the client themself).
            audit.audit_api(
                request,
                action=AuditEntry.Action.VIEW,
                what=audit.ELIGIBILITY,
                clients=[client],
                clinic=treatment.clinic if staff else None,
                treatment=treatment.slug,
                date=params["from"].isoformat(),
            )
        slots = []
        if first <= last:
            found = availability.free_starts(
                treatment=treatment,
                first_day=first,
                last_day=last,
                practitioner_id=practitioner.pk if practitioner else None,
                online=not staff,
                within=within,
            )
            slots = _slots_data(found, treatment.clinic.tzinfo)
        return Response(
            {
                "timezone": treatment.clinic.timezone,
                "slots": slots,
                "eligible_from": eligible_from,
                "prerequisite": _prerequisite_data(within, treatment.clinic),
            }
        )

    def _known_client(self, request, treatment, client_id, staff) -> Client | None:
        if client_id is None:
            return None if staff else _client_of(request.user, treatment.clinic)
        if not staff:
            raise permission_denied("Only the clinic's staff may search for a client.")
        # A client the caller's role does not show them is "no such client": the dates
        # would tell them about that client's record.
        client = (
            access.visible_clients(request.user)
            .filter(pk=client_id, organisation_id=treatment.clinic.organisation_id)
            .first()
        )
        if client is None:
            raise field_error("client", "No client with this id at this clinic.")
        return client


def _course_of(client, course_id: int | None) -> ClientCourse | None:
    """The client's course `course_id` (none asked: None); another's is not found."""
    if course_id is None:
        return None
    course = ClientCourse.objects.filter(pk=course_id, client=client).first()
    if course is None:
        raise field_error("course", "No such course of this client.")
    return course


class AppointmentCreateApi(APIView):
    throttle_classes = [BookingThrottle]

    @extend_schema(
        request=s.BookingInput,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={
            201: AppointmentOutput,
            202: s.HeldOutput,
            400: ERRORS_400,
            403: ErrorOutput,
            409: ERRORS_409,
            422: ERRORS_422,
            429: ERRORS_429,
            503: ERRORS_503_PAYMENT,
        },
    )
    def post(self, request):
        """Trusted staff (a role that books at the clinic) book for a client; a signed-in
        client books for themself; anyone else's booking is held for the address to confirm
        from the emailed link (202, diary/holds.py), the same answer for any address.

        A signed-in client's booking whose deposit the policy asks by card is held for it:
        201 in status "held" with the `payment_url` to send them to (diary/deposits.py), or
        503 payment_unavailable, the time released, when Stripe cannot be reached."""
        body = s.BookingInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        treatment, practitioner = treatment_and_practitioner(
            data["treatment"], data.get("practitioner")
        )
        _check_on_grid(treatment, data["start"])
        clinic = treatment.clinic
        staff = access.is_staff_at(request.user, clinic)
        if data.get("override_reason") and not staff:
            raise ApiError("permission_denied", "Only staff may override a clinic rule.", 403)
        if data.get("discount") and not staff:
            raise ApiError("permission_denied", "Only staff may give a discount.", 403)
        trusted = access.can(request.user, access.BOOK, clinic)
        if data.get("client_id") and not trusted:
            raise permission_denied("Your role does not book on a client's behalf.")
        health = data.get("health") or {}
        declared = Declared(
            injectables=health.get("injectables", []), conditions=health.get("conditions", [])
        )
        if declared.declares_anything:  # codes of the organisation's words (one query)
            try:
                declared_terms_check(declared, words=vocabulary_for(clinic.organisation_id))
            except UnknownTerm as refusal:
                raise field_error(refusal.field, str(refusal)) from None
        key = self._idempotency_key(request)
        client = None
        try:
            with transaction.atomic():
                if key:
                    replay = self._replay(request, key)
                    if replay is not None:
                        return self._answer(
                            request, replay, warnings=[], cautions=None, replay=True
                        )
                if trusted or self._books_as_themself(request, data):
                    client, new_client = self._client(request, treatment, data, trusted)
                    discount = data.get("discount") or {}
                    booked = services.appointment_book(
                        treatment=treatment,
                        start=data["start"],
                        client=client,
                        new_client=new_client,
                        practitioner=practitioner,
                        by=request.user,
                        origin=Origin.of(request, via=audit.API),
                        notes=data.get("notes", "") if trusted else "",
                        declared=declared,
                        acknowledge_warnings=data["acknowledge_warnings"],
                        override_reason=data.get("override_reason") or None,
                        course=_course_of(client, data.get("course")),
                        discount=discount.get("amount") or 0,
                        discount_percent=discount.get("percent"),
                        discount_reason=discount.get("reason", ""),
                        pay_online=True,  # the answer carries the deposit's payment_url
                    )
                    if data.get("sms_opt_in"):
                        source = (
                            SmsConsentSource.STAFF if trusted else SmsConsentSource.BOOKING_FORM
                        )
                        sms_opt_in(client=client, source=source)
                else:
                    if "course" in data:
                        raise field_error("course", "Sign in to book with a course.")
                    if "client" not in data:
                        raise field_error("client", "Give the client's name and email.")
                    booked = holds.appointment_hold(
                        treatment=treatment,
                        start=data["start"],
                        contact=holds.Contact(
                            **data["client"], sms_opt_in=data.get("sms_opt_in", False)
                        ),
                        practitioner=practitioner,
                        declared=declared,
                        acknowledge_warnings=data["acknowledge_warnings"],
                        by=request.user,
                    )
                if key:
                    idempotency_record(key=key, appointment=booked.appointment)
                # In the booking's transaction: the answer's audit entry (staff shown the
                # cautions) commits with the booking, with no transaction of its own.
                answer = self._answer(
                    request,
                    booked.appointment,
                    warnings=booked.warnings,
                    cautions=booked.cautions,
                    resources=booked.resources,
                )
        except InjectionDateInFuture as refusal:
            raise field_error(f"health.injectables.{refusal.index}.date", str(refusal)) from None
        except EligibilityRefused as refusal:
            # After the booking's transaction rolled back: the entry stays.
            _refusal_shown(request, refusal, client=client, clinic=clinic, treatment=treatment.slug)
            raise
        except SlotUnavailable as refusal:
            tz = clinic.tzinfo
            refusal.alternatives = [slot_data(x, tz) for x in refusal.alternatives]
            raise
        if answer.status_code == status.HTTP_201_CREATED:
            try:  # committed: a deposit to pay is asked of Stripe now
                payment_url = holds.deposit_page(booked.appointment)
            except PaymentUnavailable:
                if key:  # nothing was booked: the same key may try again
                    idempotency_forget(key=key)
                raise
            if payment_url:
                answer.data["payment_url"] = payment_url
        return answer

    @staticmethod
    def _answer(
        request,
        appointment: Appointment,
        *,
        warnings,
        cautions,
        resources=None,
        replay: bool = False,
    ) -> Response:
        """201 and the booking; 202 and the held shape for a booking asked for by someone
        not signed in, replays included: whatever became of it since (confirmed by the
        address's owner, released), its asker is told only what they were told then."""
        # A booking just made was asked for by someone not signed in if it is held; a replay
        # asks its booking request, which stays whatever became of the hold.
        asked_held = (
            hasattr(appointment, "booking_request")
            if replay
            else appointment.status == Appointment.Status.HELD and appointment.client_id is None
        )
        if asked_held:
            held = s.held_data(appointment, warnings=warnings, as_asked=True)
            return Response(held, status=status.HTTP_202_ACCEPTED)
        answer = appointment_response(
            request, appointment, warnings=warnings, cautions=cautions, resources=resources
        )
        if replay and deposits.is_waiting_for_deposit(appointment):
            answer["payment_url"] = deposits.payment_url(appointment)
        return Response(answer, status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @staticmethod
    def _books_as_themself(request, data) -> bool:
        """A signed-in client (no staff account) booking for their own address, or giving
        none."""
        user = request.user
        if not user.is_authenticated or user.is_staff or access.is_staff(user):
            return False
        own = (user.email or "").strip().lower()
        given = data.get("client", {}).get("email", own).strip().lower()
        return bool(own) and given == own

    def _idempotency_key(self, request) -> str | None:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        key = key.strip()
        if not key or len(key) > 200 or not key.isprintable():
            raise field_error("Idempotency-Key", "Use a printable key of at most 200 characters.")
        return key

    def _replay(self, request, key: str) -> Appointment | None:
        user_id = request.user.pk if request.user.is_authenticated else None
        try:
            return idempotency_claim(
                key=key, fingerprint=fingerprint(body=request.data, user_id=user_id)
            )
        except KeyReused:
            raise ApiError(
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request.",
                409,
            ) from None

    def _client(self, request, treatment, data, trusted) -> tuple[Client, bool]:
        """The client to book for, and whether they were created for this booking."""
        clinic = treatment.clinic
        if trusted and data.get("client_id"):
            client = Client.objects.filter(
                pk=data["client_id"], organisation_id=clinic.organisation_id
            ).first()
            if client is None:
                raise field_error("client_id", "No client with this id at this clinic.")
            return client, False
        if not trusted:
            own = _client_of(request.user, clinic)
            if own is not None:
                return own, False
            given = data.get("client") or {}
            return client_get_or_create(
                clinic=clinic,
                name=given.get("name") or request.user.email,
                email=request.user.email,
                phone=given.get("phone", ""),
            )
        if "client" not in data:
            raise field_error("client", "Give the client's name and email.")
        return client_get_or_create(clinic=clinic, **data["client"])


class AppointmentDetailApi(APIView):
    throttle_classes = [LookupThrottle]

    @extend_schema(
        parameters=[TOKEN_PARAM],
        responses={200: AppointmentOutput, 404: ERRORS_404, 410: ERRORS_410, 429: ERRORS_429},
    )
    def get(self, request, reference):
        appointment = _visible_appointment(request, reference, request.query_params.get("token"))
        return Response(appointment_response(request, appointment, warnings=[]))


class AppointmentCancelApi(APIView):
    throttle_classes = [BookingThrottle]

    @extend_schema(
        request=s.CancelInput,
        parameters=[TOKEN_PARAM],
        responses={
            200: s.CancelOutput,
            400: ERRORS_400,
            403: ErrorOutput,
            404: ERRORS_404,
            409: ErrorOutput,
            410: ERRORS_410,
            429: ERRORS_429,
        },
    )
    def post(self, request, reference):
        body = s.CancelInput(data=request.data)
        body.is_valid(raise_exception=True)
        token = body.validated_data.get("token") or request.query_params.get("token")
        appointment = _visible_appointment(request, reference, token)
        _check_may_change(request, appointment, token)
        appointment = services.appointment_cancel(
            appointment=appointment,
            by=request.user,
            reason=body.validated_data.get("reason", ""),
            client_asked=body.validated_data["client_asked"],
        )
        return Response({"reference": appointment.reference, "status": appointment.status})


class AppointmentRescheduleApi(APIView):
    throttle_classes = [BookingThrottle]

    @extend_schema(
        request=s.RescheduleInput,
        parameters=[TOKEN_PARAM],
        responses={
            200: AppointmentOutput,
            400: ERRORS_400,
            403: ErrorOutput,
            404: ERRORS_404,
            409: ERRORS_409,
            410: ERRORS_410,
            422: ERRORS_422,
            429: ERRORS_429,
        },
    )
    def post(self, request, reference):
        body = s.RescheduleInput(data=request.data)
        body.is_valid(raise_exception=True)
        token = body.validated_data.get("token") or request.query_params.get("token")
        appointment = _visible_appointment(request, reference, token)
        _check_may_change(request, appointment, token)
        _check_on_grid(appointment.treatment, body.validated_data["start"])
        try:
            moved = services.appointment_reschedule(
                appointment=appointment,
                start=body.validated_data["start"],
                by=request.user,
                origin=Origin.of(request, via=audit.API),
                acknowledge_warnings=body.validated_data["acknowledge_warnings"],
                override_reason=body.validated_data.get("override_reason") or None,
            )
        except EligibilityRefused as refusal:
            _refusal_shown(
                request,
                refusal,
                client=appointment.client_id,
                clinic=appointment.clinic,
                reference=appointment.reference,
            )
            raise
        except SlotUnavailable as refusal:
            tz = appointment.clinic.tzinfo
            refusal.alternatives = [slot_data(x, tz) for x in refusal.alternatives]
            raise
        return Response(
            appointment_response(
                request, moved.appointment, warnings=moved.warnings, cautions=moved.cautions
            )
        )
