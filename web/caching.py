"""Answers that carry health data are never stored by a browser or a proxy.

A shared computer's back button, a browser's disk cache or a caching proxy must not keep a
client's injectables, their eligibility or the staff's view of them. An answer gets
`Cache-Control: no-store, private` (Django's never-cache headers) when its view recorded a
view of health data in the audit trail (clinic/audit.py marks the request), or when its
address is one of those that show health or personal data to whoever is signed in: the
staff workspace and admin, the staff API, the client's own space, a booking's own pages and
the booking steps that repeat what the client declared. The public pages (the treatment
list, the calendar, the public API's lists) keep whatever caching they had.
"""

from django.utils.cache import add_never_cache_headers

from clinic.audit import HEALTH_SHOWN

NO_STORE_PREFIXES = (
    "/staff/",
    "/admin/",
    "/my/",
    "/booking/",  # a booking's manage pages: its eligibility, its warnings
    "/hold/",
    "/account/",
    "/_allauth/",
    "/api/v1/me/",
    "/api/v1/clients/",
    "/api/v1/appointments/",
)
# The booking steps that show what the client typed (name, email, health answers) or the
# refusal it met.
NO_STORE_STEPS = ("/details/", "/review/", "/confirm/", "/held/", "/sorry/")


def carries_health_data(request) -> bool:
    path = request.path
    return (
        getattr(request, HEALTH_SHOWN, False)
        or path.startswith(NO_STORE_PREFIXES)
        or (path.startswith("/book/") and path.endswith(NO_STORE_STEPS))
    )


class NoStoreHealthDataMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if carries_health_data(request):
            add_never_cache_headers(response)
        return response
