"""One error shape for the whole API: `{code, detail}` plus `fields` for field errors.

DRF's own exceptions, the booking refusals of diary.errors and Django's 404 all come out
in this shape with the status docs/api.md gives them.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clinic.phones import INVALID_PHONE
from courses.errors import CourseError
from diary.errors import BookingError
from money.errors import MoneyError
from web.api.shapes import SlotOutput
from web.middleware import TOO_LARGE, TOO_MANY_FIELDS

log = logging.getLogger(__name__)

CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "malformed_request",
}


class ApiError(exceptions.APIException):
    """An error raised by a view with its own code, e.g. `range_too_long`."""

    def __init__(self, code: str, detail: str, status_code: int = 400, **extra):
        self.status_code = status_code
        self.extra = extra
        super().__init__(detail=detail, code=code)
        self.error_code = code


def _flatten(detail) -> dict:
    """DRF's nested ValidationError detail -> {"field": ["message", ...]}."""
    fields: dict[str, list[str]] = {}

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            if all(not isinstance(item, (dict, list)) for item in value):
                fields.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, inner in enumerate(value):
                    walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            fields.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return fields


# The answer to a request whose database went away: the API's handler below, and the
# last line of defence for the other JSON addresses (config/urls.py, handler500).
DATABASE_UNAVAILABLE = {
    "code": "database_unavailable",
    "detail": "We could not reach our diary just now and nothing was saved. Please try again "
    "in a moment; with the same Idempotency-Key a retry cannot book twice.",
}


def exception_handler(exc, context):
    if isinstance(exc, (BookingError, MoneyError, CourseError)):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database went away mid-request (a restart, a dropped connection). The request's
        # transaction did not commit, so nothing is half-written; say so and when to retry.
        log.error("Database unavailable during %s", context["request"].path, exc_info=exc)
        return Response(
            DATABASE_UNAVAILABLE,
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, RequestDataTooBig):
        # web/middleware.py refuses a body whose Content-Length is over the limit; this is
        # one that gave none (chunked) and turned out larger.
        log.warning("Refused %s: %s", context["request"].path, exc)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"code": "too_large", "detail": TOO_LARGE.format(limit=limit)},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent):
        return Response(
            {"code": "malformed_request", "detail": TOO_MANY_FIELDS},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, ApiError):
        response.data = {"code": exc.error_code, "detail": str(exc.detail), **exc.extra}
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()), ("", ["Invalid input."]))
        codes = _flatten(exc.get_codes())
        first_code = next(iter(codes.values()), [""])[0]
        response.data = {
            # A phone number that cannot be read has its own code, for clients to say so.
            "code": INVALID_PHONE if first_code == INVALID_PHONE else "invalid_input",
            "detail": f"{first[0]}: {first[1][0]}" if first[0] else first[1][0],
            "fields": fields,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        code = next(
            (name for cls, name in CODES.items() if isinstance(exc, cls)),
            getattr(exc, "default_code", "error"),
        )
        response.data = {"code": code, "detail": str(exc.detail)}
    return response


def field_error(field: str, message: str) -> ApiError:
    return ApiError("invalid_input", f"{field}: {message}", 400, fields={field: [message]})


def permission_denied(detail: str) -> ApiError:
    return ApiError("permission_denied", detail, 403)


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class SlotUnavailableOutput(ErrorOutput):
    alternatives = SlotOutput(many=True)


# The error answers as the schema documents them.
ERRORS_400 = OpenApiResponse(ErrorOutput, description="Malformed input.")
ERRORS_403 = OpenApiResponse(ErrorOutput, description="Staff only.")
ERRORS_404 = OpenApiResponse(ErrorOutput, description="Not found (or not yours to see).")
ERRORS_409 = OpenApiResponse(SlotUnavailableOutput, description="The time is not available.")
ERRORS_422 = OpenApiResponse(ErrorOutput, description="Refused by a clinic rule.")
ERRORS_429 = OpenApiResponse(ErrorOutput, description="Too many requests; try again later.")
