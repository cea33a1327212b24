"""A booking's consent and intake forms through the API: the versions still to sign (their
words and questions) and the signing, for programs as the pages do it for browsers
(online/pages/consent.py).

Who: the list, whoever may see the appointment (its manage token, the client, staff in
scope: what it still needs is on the diary's grid too); the signing, the holder of the token
or the client signed in as themself, as the signer is the client: staff get 403 (they take
a signature on the clinic's tablet, where it is recorded as taken by them). Anyone else 404,
as if the booking did not exist. The answers are the client's own and are never sent back;
the list of what is signed gives titles, versions and times only.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

import access
from bookings.models import Appointment
from clinic.addresses import client_ip
from clinic.audit import API, Origin
from consent.models import Submission
from consent.selectors import versions_to_sign
from consent.services import FormError, submission_sign
from online.api.views import ERRORS_410, TOKEN_PARAM, _visible_appointment
from web.api.errors import ERRORS_400, ERRORS_404, ERRORS_429, ApiError, ErrorOutput
from web.api.throttles import BookingThrottle, LookupThrottle

MAX_SIGNATURE_CHARS = 420_000  # a 300 kB PNG as a base64 data URL, and some


class FormQuestionOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=["yes_no", "text", "conditions", "injections"])
    required = serializers.BooleanField()
    options = serializers.ListField(child=serializers.DictField(), required=False)


class FormToSignOutput(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version's id, to sign it.")
    form = serializers.CharField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    questions = FormQuestionOutput(many=True)


class FormSignedOutput(serializers.Serializer):
    form = serializers.CharField()
    number = serializers.IntegerField()
    signed_at = serializers.DateTimeField()
    signature = serializers.ChoiceField(choices=Submission.Signature.choices)


class FormsOutput(serializers.Serializer):
    to_sign = FormToSignOutput(many=True)
    signed = FormSignedOutput(many=True)


class SignInput(serializers.Serializer):
    token = serializers.CharField(required=False, max_length=200)
    agree = serializers.BooleanField(
        help_text="The client has read the form, their answers are true, and they agree."
    )
    answers = serializers.DictField(
        required=False,
        default=dict,
        help_text='By question key: "yes"/"no", a text, a list of condition codes, or '
        "{kind: ISO date} for an injections question.",
    )
    signature = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_SIGNATURE_CHARS,
        help_text="A drawn signature as a PNG data URL (data:image/png;base64,...).",
    )
    typed_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The client's full name as a typed signature, when nothing is drawn.",
    )

    def validate_agree(self, value):
        if not value:
            raise serializers.ValidationError("The client must agree to sign.")
        return value


def _confirmed(appointment: Appointment) -> Appointment:
    if appointment.status != Appointment.Status.CONFIRMED:
        raise ApiError("not_found", "Forms are signed for a confirmed booking.", 404)
    return appointment


def _signer_appointment(request, reference: str, token: str | None) -> Appointment:
    appointment = _visible_appointment(request, reference, token)
    if not (
        appointment.manage_token_matches(token)
        or access.is_client_self(request.user, appointment.client)
    ):
        raise ApiError(
            "permission_denied",
            "The client signs their own forms; staff take a signature on the clinic's tablet.",
            403,
        )
    return _confirmed(appointment)


def _question(q: dict) -> dict:
    return {
        "key": q["key"],
        "label": q["label"],
        "type": q["type"],
        "required": bool(q.get("required", q["type"] == "yes_no")),
        **({"options": q["options"]} if q.get("options") else {}),
    }


class AppointmentFormsApi(APIView):
    throttle_classes = [LookupThrottle]

    @extend_schema(
        parameters=[TOKEN_PARAM],
        responses={
            200: FormsOutput,
            404: ERRORS_404,
            410: ERRORS_410,
            429: ERRORS_429,
        },
    )
    def get(self, request, reference):
        token = request.query_params.get("token")
        appointment = _confirmed(_visible_appointment(request, reference, token))
        signed = (
            Submission.objects.filter(appointment=appointment)
            .select_related("version__template")
            .order_by("signed_at")
        )
        return Response(
            {
                "to_sign": [
                    {
                        "version": v.pk,
                        "form": v.template.name,
                        "number": v.number,
                        "title": v.title,
                        "text": v.text,
                        "questions": [_question(q) for q in v.questions],
                    }
                    for v in versions_to_sign(appointment)
                ],
                "signed": [
                    {
                        "form": s.version.template.name,
                        "number": s.version.number,
                        "signed_at": s.signed_at,
                        "signature": s.signature,
                    }
                    for s in signed
                ],
            }
        )


class AppointmentFormSignApi(APIView):
    throttle_classes = [BookingThrottle]

    @extend_schema(
        request=SignInput,
        parameters=[TOKEN_PARAM],
        responses={
            201: FormSignedOutput,
            400: ERRORS_400,
            403: ErrorOutput,
            404: ERRORS_404,
            409: ErrorOutput,
            410: ERRORS_410,
            429: ERRORS_429,
        },
    )
    def post(self, request, reference, version_id):
        body = SignInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        token = data.get("token") or request.query_params.get("token")
        appointment = _signer_appointment(request, reference, token)
        version = next((v for v in versions_to_sign(appointment) if v.pk == version_id), None)
        if version is None:
            if Submission.objects.filter(appointment=appointment, version_id=version_id).exists():
                raise ApiError("already_signed", "This form is signed already.", 409)
            raise ApiError("not_found", "This booking does not need that form.", 404)
        try:
            submission = submission_sign(
                client=appointment.client,
                clinic=appointment.clinic,
                version=version,
                answers=data["answers"],
                drawn=data.get("signature", ""),
                typed_name=data.get("typed_name", ""),
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                channel=Submission.Channel.ONLINE,
                appointment=appointment,
                by=request.user,
                origin=Origin.of(request, via=API, clinic=appointment.clinic),
            )
        except FormError as refusal:
            # The field, as the API names fields: `answers.<question key>`.
            extra = {"fields": {f"answers.{refusal.field}": [refusal.detail]}}
            raise ApiError(
                refusal.code, refusal.detail, 400, **(extra if refusal.field else {})
            ) from None
        return Response(
            {
                "form": version.template.name,
                "number": version.number,
                "signed_at": submission.signed_at,
                "signature": submission.signature,
            },
            status=status.HTTP_201_CREATED,
        )
