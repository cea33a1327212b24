from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("bookings.api_urls")),
    path("aftercare/", include("aftercare.urls")),
    path("staff/", include("workspace.urls")),
    path("", include("bookings.urls")),
]


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "detail": "No such address."}, status=404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    # The last line of defence: the API still answers in its own shape, never HTML.
    if _wants_json(request):
        return JsonResponse(
            {"code": "server_error", "detail": "Something went wrong on our side."}, status=500
        )
    return defaults.server_error(request)
