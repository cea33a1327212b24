"""Rate limits for the API, counted in the cache (Redis in production).

Each scope has a rate in settings.API_THROTTLE_RATES (from the environment; "off" turns one
off), read on every request. Callers are told apart by their user id when logged in, or by
their IP address (clinic/addresses.py: X-Forwarded-For only as far as our proxies wrote it).
When the cache does not answer, the request passes: a booking must never fail because Redis
is restarting, and the limits come back with it.
"""

import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from clinic.addresses import client_ip

log = logging.getLogger(__name__)


class ScopeThrottle(SimpleRateThrottle):
    scope = ""

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        # Not DRF's own: without NUM_PROXIES it takes the whole X-Forwarded-For header, which
        # a caller can change on every request (clinic/addresses.py).
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        user = request.user
        ident = f"user-{user.pk}" if user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            log.warning("Rate limit for %r not checked, the cache is down: %s", self.scope, error)
            return True


class BookingThrottle(ScopeThrottle):
    """Booking, cancelling, rescheduling."""

    scope = "booking"


class TokenThrottle(ScopeThrottle):
    """Password guesses at the token endpoint (django-axes also locks an account+IP out)."""

    scope = "token"


class LookupThrottle(ScopeThrottle):
    """Reading one appointment by reference (guessing references), and client search."""

    scope = "lookup"


class SearchThrottle(ScopeThrottle):
    """Availability: the most expensive public read."""

    scope = "search"
