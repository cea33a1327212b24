"""The API's rate limits on the booking pages' POSTs."""

from functools import wraps

from online.pages.branding import render_page
from web.api.throttles import ScopeThrottle


def page_rate_limit(throttle_class: type[ScopeThrottle]):
    """The same limits for the booking pages' POSTs (booking, moving, cancelling) as for the
    API's: over the limit, a 429 page asks the visitor to wait a minute."""

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.method == "POST" and not throttle_class().allow_request(request, None):
                return render_page(request, "online/too_many.html", clinic=None, status=429)
            return view(request, *args, **kwargs)

        return limited

    return decorator
