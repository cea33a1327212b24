"""Every address of the site: the admin, the API (its schema and docs, the public endpoints
and the staff ones under /api/v1/, a client's sign-in by code under /_allauth/), the staff
workspace, the unsubscribe page, the client's sign-in pages under /account/ and, at the
root, the booking pages and the client's own space (/my/)."""

import logging
import sys

from django.contrib import admin
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularSwaggerSplitView

from online.api import urls as online_api
from online.pages import urls as online_pages
from web.api.errors import DATABASE_UNAVAILABLE
from web.api.schema import SchemaView
from workspace.api import urls as staff_api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page needs no inline
    # script and runs under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include(online_api.urlpatterns + staff_api.urlpatterns)),
    # A client's sign-in by code for programs: django-allauth's headless API (app clients).
    path("_allauth/", include(online_api.client_auth_patterns)),
    path("aftercare/", include((online_pages.unsubscribe_patterns, "aftercare"))),
    path("sms/", include((online_pages.sms_patterns, "sms"))),
    path("staff/", include("workspace.urls")),
    path("account/", include(online_pages.account_patterns)),
    path("", include("online.pages.urls")),
]


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/_allauth/"))


def handler404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "detail": "No such address."}, status=404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    # The last line of defence: the API still answers in its own shape, never HTML.
    if isinstance(sys.exception(), OperationalError | InterfaceError):
        return _database_unavailable(request)
    if _wants_json(request):
        return JsonResponse(
            {"code": "server_error", "detail": "Something went wrong on our side."}, status=500
        )
    return defaults.server_error(request)


def _database_unavailable(request):
    """The database went away mid-request (a restart, a dropped connection, a deadlock that
    PostgreSQL broke by failing this transaction): nothing was committed, so the page says
    nothing was saved and to try again, a 503 with Retry-After as the API's
    database_unavailable. The page is plain, rendered without the database."""
    logging.getLogger(__name__).warning("Database unavailable during %s", request.path)
    if _wants_json(request):
        response = JsonResponse(DATABASE_UNAVAILABLE, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = "5"
    return response
