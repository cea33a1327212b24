"""Input no view can use, refused before any view runs: a body over
DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 on every address (the API's `{code: too_large, detail}`
under /api/, a line of plain text on the pages); an address holding a NUL is a 404; on the
pages, a form that cannot be parsed is a 400, and in the staff workspace and the admin a NUL
in the query string or a form field is a 400. Each is logged as a warning, without a
traceback.

PostgreSQL refuses text holding a NUL, and the staff pages hand query parameters (?clinic=,
?q=, ?user=) to queries as they come: a NUL was a 500 there. The API's serializers and the
booking pages' forms refuse a NUL as they refuse any bad value (a field error, the calendar
again, a 404 for a reference), so they are left to do so. Django's own answer to a big body
is its generic 400 page (the debug page under DEBUG), logged as an error with a traceback."""

import logging

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

log = logging.getLogger(__name__)

# Where the answers are JSON (config/urls.py answers a 404 there the same way); the API's
# parsers and serializers answer the rest of its bad input (web/api/errors.py).
JSON_PREFIXES = ("/api/", "/_allauth/")
# Where no view expects a NUL and some would hand one to PostgreSQL.
STAFF_PREFIXES = ("/staff/", "/admin/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

TOO_LARGE = "The request body is larger than the {limit} bytes we accept."
NUL = "The request's {where} holds a NUL character, which no field accepts."
TOO_MANY_FIELDS = "The request has more fields than we accept."
UNREADABLE_FORM = "The form in the request's body could not be read."


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _content_length(request) > limit:
            return refuse(request, 413, "too_large", TOO_LARGE.format(limit=limit))
        if "\x00" in request.path_info:
            # No address holds a NUL: the site's 404 (the API's shape under /api/), as the
            # views that check their references answer one, before one that does not hands
            # it to PostgreSQL.
            raise Http404("No such address.")
        if request.path_info.startswith(JSON_PREFIXES):
            return None
        try:
            query = request.GET
            form = request.POST if request.content_type in FORM_TYPES else None
        except (TooManyFieldsSent, TooManyFilesSent):
            return refuse(request, 400, "malformed_request", TOO_MANY_FIELDS)
        except (MultiPartParserError, BadRequest):  # a broken multipart, a charset not UTF-8
            return refuse(request, 400, "malformed_request", UNREADABLE_FORM)
        except RequestDataTooBig:  # no Content-Length, e.g. a chunked body
            return refuse(request, 413, "too_large", TOO_LARGE.format(limit=limit))
        if request.path_info.startswith(STAFF_PREFIXES):
            if _has_nul(query):
                return refuse(request, 400, "invalid_input", NUL.format(where="query string"))
            if form is not None and _has_nul(form):
                return refuse(request, 400, "invalid_input", NUL.format(where="form"))
        return None


def refuse(request, status: int, code: str, detail: str) -> HttpResponse:
    log.warning(
        "Refused %s %s from %s: %s",
        request.method,
        request.path_info.encode("unicode_escape").decode("ascii"),
        request.META.get("REMOTE_ADDR", "-"),
        detail,
    )
    if request.path_info.startswith(JSON_PREFIXES):
        return JsonResponse({"code": code, "detail": detail}, status=status)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _has_nul(query) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in query.lists()
    )
