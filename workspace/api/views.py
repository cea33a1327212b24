"""The staff endpoints of docs/api.md: client search and creation, a client's injectables
and declarations, their eligibility for a treatment on a date, and the day's appointments
with the practitioner's cautions.

Who may call what follows the roles of access/roles.py: staff in a role get in, everyone
else gets 403. A practitioner finds only their own clients (another client's record is a
404, as for any object the caller may not see) and lists only their own appointments. Every
answer that shows or changes health data writes the audit trail (clinic/audit.py).
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

import access
from aftercare.services import sms_opt_in, sms_opt_out
from bookings import selectors
from clinic import audit
from clinic.audit import Origin
from clinic.models import AuditEntry, Client, Clinic, SmsConsentSource
from clinic.search import client_search
from clinic.services import client_get_or_create
from clinical import rules
from clinical.models import InjectableRecord
from clinical.services import InjectionDateInFuture, declaration_record, injectable_record
from clinical.terms import UnknownTerm
from clinical.vocabulary import RecordSource
from diary import services
from diary.errors import SignOffNotAllowed
from diary.signoff import appointment_sign_off
from online.api.views import AppointmentCreateApi
from records import selectors as record_selectors
from records.services import AUDIT_RECORDS
from web.api.appointments import appointment_response, day_list_data
from web.api.errors import (
    ERRORS_400,
    ERRORS_403,
    ERRORS_404,
    ERRORS_429,
    ApiError,
    ErrorOutput,
    field_error,
    permission_denied,
)
from web.api.lookups import treatment_by_slug
from web.api.permissions import IsWorkspaceUser, role_permission
from web.api.shapes import (
    AppointmentOutput,
    ClientOutput,
    SmsConsentInput,
    SmsConsentOutput,
    StaffAppointmentOutput,
)
from web.api.throttles import LookupThrottle
from workspace.api import serializers as ss
from workspace.selectors import day_appointments

VIEW = AuditEntry.Action.VIEW


class StaffApi(APIView):
    permission_classes = [IsWorkspaceUser]


def _client(request, client_id: int) -> Client:
    """The client if the caller's role shows them; 404 otherwise, whether or not it exists."""
    clients = access.visible_clients(request.user).select_related("home_clinic")
    return get_object_or_404(clients, pk=client_id)


def _recording_client(request, client_id: int) -> Client:
    client = _client(request, client_id)
    if not access.can_for_client(request.user, access.RECORD_HEALTH, client):
        raise permission_denied("Your role does not record health data.")
    return client


def _origin(request, permission: str, client: Client) -> Origin:
    """Where an action on `client` came from: the API, at the caller's clinic of the
    client's organisation."""
    return Origin.of(
        request, via=audit.API, clinic=access.clinic_for_client(request.user, permission, client)
    )


def _clinic(request, slug: str | None, permission: str) -> Clinic:
    """The clinic named, among those where the caller holds `permission` (another clinic is
    "no such clinic"); the only one when the caller has one and names none."""
    clinics = access.clinics(request.user, permission)
    if slug:
        clinic = clinics.filter(slug=slug).first()
        if clinic is None:
            raise field_error("clinic", f"No clinic is called {slug!r}.")
        return clinic
    only = list(clinics[:2])
    if len(only) != 1:
        raise field_error("clinic", "Say which clinic (its slug).")
    return only[0]


class ClientListApi(StaffApi):
    throttle_classes = [LookupThrottle]

    def get_permissions(self):
        if self.request.method == "POST":
            return [role_permission(access.BOOK)()]
        return super().get_permissions()

    @extend_schema(
        parameters=[ss.ClientQuery],
        responses={
            200: ClientOutput(many=True),
            400: ERRORS_400,
            403: ERRORS_403,
            429: ERRORS_429,
        },
    )
    def get(self, request):
        query = ss.ClientQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        clients = client_search(
            q=query.validated_data.get("q", ""), clients=access.visible_clients(request.user)
        )
        return Response(ClientOutput(clients, many=True).data)

    @extend_schema(
        request=ss.ClientCreateInput,
        responses={
            201: ClientOutput,
            400: ERRORS_400,
            403: ERRORS_403,
            409: ErrorOutput,
            429: ERRORS_429,
        },
    )
    def post(self, request):
        body = ss.ClientCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client, created = client_get_or_create(
            clinic=_clinic(request, data.get("clinic"), access.BOOK),
            name=data["name"],
            email=data["email"],
            phone=data.get("phone", ""),
        )
        if not created:
            raise ApiError(
                "client_exists",
                "A client with this email is already on record.",
                409,
                id=client.pk,
            )
        return Response(ClientOutput(client).data, status=status.HTTP_201_CREATED)


class ClientInjectablesApi(StaffApi):
    @extend_schema(
        responses={200: ss.InjectableOutput(many=True), 403: ERRORS_403, 404: ERRORS_404}
    )
    def get(self, request, client_id):
        client = _client(request, client_id)
        records = client.injectables.select_related("recorded_by").order_by("-date", "-pk")
        audit.audit_api(
            request,
            action=VIEW,
            what=audit.INJECTABLES,
            clients=[client],
            clinic=access.clinic_for_client(request.user, access.USE, client),
        )
        return Response(ss.InjectableOutput(records, many=True).data)

    @extend_schema(
        request=ss.InjectableCreateInput,
        responses={
            201: ss.InjectableCreatedOutput,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
        },
    )
    def post(self, request, client_id):
        client = _recording_client(request, client_id)
        body = ss.InjectableCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "corrects" in data:
            corrected = InjectableRecord.objects.filter(
                pk=data["corrects"], client=client, superseded_at__isnull=True
            ).first()
            if corrected is None:
                raise field_error("corrects", "No current record of this client has this id.")
            data["corrects"] = corrected
        try:
            record, flagged = injectable_record(
                client=client,
                source=RecordSource.STAFF,
                by=request.user,
                origin=_origin(request, access.RECORD_HEALTH, client),
                **data,
            )
        except InjectionDateInFuture as refusal:
            raise field_error("date", str(refusal)) from None
        except UnknownTerm as refusal:
            raise field_error(refusal.field, str(refusal)) from None
        return Response(
            {
                "injectable": ss.InjectableOutput(record).data,
                "flagged": ss.flagged_data(flagged),
            },
            status=status.HTTP_201_CREATED,
        )


class ClientTreatmentRecordsApi(StaffApi):
    @extend_schema(
        responses={200: ss.TreatmentRecordOutput(many=True), 403: ERRORS_403, 404: ERRORS_404}
    )
    def get(self, request, client_id):
        """The client's treatment records (every version) of the appointments the caller
        may open: their clinics' diaries where their role records health, a practitioner's
        own appointments."""
        client = _client(request, client_id)
        records = record_selectors.client_records(
            client,
            diary=access.diary_of(request.user),
            clinics=access.clinic_ids(request.user, access.RECORD_HEALTH),
        )
        audit.audit_api(
            request,
            action=VIEW,
            what=AUDIT_RECORDS,
            clients=[client],
            clinic=access.clinic_for_client(request.user, access.USE, client),
        )
        return Response(ss.TreatmentRecordOutput(records, many=True).data)


class ClientDeclarationsApi(StaffApi):
    @extend_schema(
        responses={200: ss.DeclarationOutput(many=True), 403: ERRORS_403, 404: ERRORS_404}
    )
    def get(self, request, client_id):
        client = _client(request, client_id)
        audit.audit_api(
            request,
            action=VIEW,
            what=audit.DECLARATIONS,
            clients=[client],
            clinic=access.clinic_for_client(request.user, access.USE, client),
        )
        return Response(ss.DeclarationOutput(client.declarations.all(), many=True).data)

    @extend_schema(
        request=ss.DeclarationCreateInput,
        responses={
            201: ss.DeclarationCreatedOutput,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
        },
    )
    def post(self, request, client_id):
        client = _recording_client(request, client_id)
        body = ss.DeclarationCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            declaration, flagged = declaration_record(
                client=client,
                condition=data["condition"],
                declared_on=data.get("declared_on")
                or timezone.localdate(timezone=client.home_clinic.tzinfo),
                notes=data.get("notes", ""),
                by=request.user,
                origin=_origin(request, access.RECORD_HEALTH, client),
            )
        except UnknownTerm as refusal:
            raise field_error(refusal.field, str(refusal)) from None
        return Response(
            {
                "declaration": ss.DeclarationOutput(declaration).data,
                "flagged": ss.flagged_data(flagged),
            },
            status=status.HTTP_201_CREATED,
        )


class ClientEligibilityApi(StaffApi):
    @extend_schema(
        parameters=[ss.EligibilityQuery],
        responses={200: ss.EligibilityOutput, 400: ERRORS_400, 403: ERRORS_403, 404: ERRORS_404},
    )
    def get(self, request, client_id):
        client = _client(request, client_id)
        query = ss.EligibilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        treatment = treatment_by_slug(
            query.validated_data["treatment"], organisation_id=client.organisation_id
        )
        on = query.validated_data.get("date") or timezone.localdate(
            timezone=treatment.clinic.tzinfo
        )
        decision = rules.client_decision(client=client, treatment=treatment, on=on)
        audit.audit_api(
            request,
            action=VIEW,
            what=audit.ELIGIBILITY,
            clients=[client],
            clinic=access.clinic_for_client(request.user, access.USE, client),
            treatment=treatment.slug,
            date=on.isoformat(),
        )
        return Response(
            {
                "decision": decision.decision,
                "earliest_date": decision.earliest_date,
                "recommended_date": decision.recommended_date,
                "reasons": decision.reasons,
                "warnings": decision.warnings,
                "cautions": list(decision.cautions),
            }
        )


class ClientSmsApi(StaffApi):
    """A client's agreement to text messages: seen by staff who see the client, changed on
    their behalf (source "staff") by staff whose role books for clients. Contact
    preferences, not health data: not audited as a view of health data."""

    def get_permissions(self):
        if self.request.method == "PUT":
            return [role_permission(access.BOOK)()]
        return super().get_permissions()

    @extend_schema(responses={200: SmsConsentOutput, 403: ERRORS_403, 404: ERRORS_404})
    def get(self, request, client_id):
        client = _client(request, client_id)
        return Response(SmsConsentOutput(client).data)

    @extend_schema(
        request=SmsConsentInput,
        responses={200: SmsConsentOutput, 400: ERRORS_400, 403: ERRORS_403, 404: ERRORS_404},
    )
    def put(self, request, client_id):
        client = _client(request, client_id)
        if not access.can_for_client(request.user, access.BOOK, client):
            raise permission_denied("Your role does not book for clients.")
        body = SmsConsentInput(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["opted_in"]:
            if not client.phone.startswith("+"):
                raise ApiError(
                    "invalid_phone",
                    "This client has no phone number we can text: correct it first.",
                    400,
                )
            sms_opt_in(client=client, source=SmsConsentSource.STAFF)
        else:
            sms_opt_out(client=client, source=SmsConsentSource.STAFF)
        client.refresh_from_db()
        return Response(SmsConsentOutput(client).data)


class AppointmentCollectionApi(AppointmentCreateApi):
    """POST books (public, see AppointmentCreateApi); GET is the staff's day list: every
    appointment of the day they may see (the whole diary of the clinics where their role
    shows it, their own elsewhere), narrowed to one clinic or one practitioner on request
    (asking for a practitioner they may not see is 403). No answer here carries a manage
    token: staff act by their role (access.gets_manage_token)."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsWorkspaceUser()]
        return super().get_permissions()

    @extend_schema(
        parameters=[ss.DayQuery],
        responses={
            200: StaffAppointmentOutput(many=True),
            400: ERRORS_400,
            403: ERRORS_403,
        },
    )
    def get(self, request):
        query = ss.DayQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data["date"]
        clinics = access.clinics(request.user)
        if slug := query.validated_data.get("clinic"):
            clinics = [_clinic(request, slug, access.USE)]
        practitioner_id = query.validated_data.get("practitioner")
        if practitioner_id is not None and not access.may_see_practitioner(
            request.user, practitioner_id
        ):
            raise permission_denied("You may list only your own appointments.")
        entries = day_appointments(
            clinics=clinics,
            day=day,
            visible=access.diary_of(request.user),
            practitioner_id=practitioner_id,
        )
        return Response(day_list_data(request, entries, day=day))


def _staff_appointment(request, reference: str):
    """The appointment if it is on the caller's day sheet; 404 otherwise, whether it exists
    or not."""
    appointment = selectors.appointment_by_reference(reference)
    if appointment is None or not access.may_see_appointment(request.user, appointment):
        raise ApiError("not_found", "No such appointment.", 404)
    return appointment


class AppointmentCompleteApi(APIView):
    """Staff mark an appointment on their day sheet (the whole diary, or a practitioner's
    own appointments); others' appointments are 404 to them."""

    permission_classes = [IsWorkspaceUser]
    transition = staticmethod(services.appointment_complete)

    @extend_schema(
        request=None,
        responses={
            200: AppointmentOutput,
            403: ErrorOutput,
            404: ERRORS_404,
            409: ErrorOutput,
        },
    )
    def post(self, request, reference):
        appointment = _staff_appointment(request, reference)
        appointment = self.transition(appointment=appointment, by=request.user)
        return Response(appointment_response(request, appointment, warnings=[]))


class AppointmentNoShowApi(AppointmentCompleteApi):
    transition = staticmethod(services.appointment_mark_no_show)


class AppointmentSignOffApi(APIView):
    """A practitioner (their own appointments) or a clinic manager (the clinic's diary)
    approves or declines the sign-off an appointment waits for; declining cancels it as the
    clinic (diary/signoff.py). Not on the caller's day sheet: 404; the front desk: 403."""

    permission_classes = [IsWorkspaceUser]

    @extend_schema(
        request=ss.SignOffInput,
        responses={
            200: ss.SignedOffOutput,
            400: ERRORS_400,
            403: ErrorOutput,
            404: ERRORS_404,
            409: ErrorOutput,
        },
    )
    def post(self, request, reference):
        appointment = _staff_appointment(request, reference)
        if not access.may_sign_off(request.user, appointment):
            raise SignOffNotAllowed()
        body = ss.SignOffInput(data=request.data)
        body.is_valid(raise_exception=True)
        sign_off = appointment_sign_off(
            appointment=appointment,
            by=request.user,
            origin=Origin.of(request, via=audit.API, clinic=appointment.clinic_id),
            **body.validated_data,
        )
        return Response(
            {
                "appointment": appointment_response(request, appointment, warnings=[]),
                "sign_off": ss.SignOffOutput(sign_off).data,
            }
        )
