"""The address a request came from: one rule for the rate limits, the lock-out after wrong
passwords and the audit trail.

X-Forwarded-For is whatever the caller wants it to be, except for the entries our own
reverse proxies append. With PROXY_COUNT = 0 (the app faces the network) only REMOTE_ADDR
counts. With N proxies in front, each appends the address it received the request from, so
the client's is the N-th entry from the end; a header shorter than that did not come
through all of them, and REMOTE_ADDR counts again. Left alone, Django REST framework would
use the whole header as the caller's identity, and a caller sending a new one each time
would never be rate-limited.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "PROXY_COUNT", 0)
    if not proxies:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


class AddressLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with a second limit, per address across usernames.

    Axes counts wrong passwords per username and address (AXES_FAILURE_LIMIT, 5): that stops
    guessing one account's password, not spraying one common password over many usernames.
    Axes can also lock by address alone (AXES_LOCKOUT_PARAMETERS), but with the same limit
    for both: five typos in a quarter of an hour would then lock a whole clinic out behind
    its one office address. So the address gets a limit of its own, higher
    (AXES_ADDRESS_FAILURE_LIMIT), counted from the rows axes already keeps, over the same
    cool-off. A success resets only that username's rows, never the address's others.
    """

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # Axes flags the request as locked out (the 429) only by the username's count; the
        # failure that reaches the address's limit, and every one after it, is flagged too.
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not getattr(request, "axes_locked_out", False):
            request.axes_locked_out = self.is_locked(request, credentials)

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        address = getattr(request, "axes_ip_address", None)
        if not settings.AXES_LOCK_OUT_AT_FAILURE or address is None:
            return False
        failures = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(total=Sum("failures_since_start"))["total"]
        return (failures or 0) >= settings.AXES_ADDRESS_FAILURE_LIMIT
