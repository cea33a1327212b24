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

from django.conf import settings


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
