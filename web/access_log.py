"""One line per request for the web server's console, as gunicorn's access log wrote them:
the peer, the request line, the status, the size and the time the app took. Waitress (the
Procfile's server) writes none of its own.

The line holds none of the secrets some URLs carry: a booking's manage token
(/booking/<reference>/<token>/...), a hold's confirmation token (/hold/<reference>/<token>/),
an unsubscribe token (/aftercare/unsubscribe/<token>/) and the API's `token` parameter each
become `[token]`, so a log shipped elsewhere or read by whoever runs the servers opens
nobody's booking (it still says which booking was asked for).
"""

import logging
import re
import time
from urllib.parse import quote

log = logging.getLogger("web.access")

REDACTED = "[token]"
SECRET_IN_URL = re.compile(
    r"(?P<keep>/(?:booking|hold)/[^/?#\s]+/|/unsubscribe/|[?&]token=)[^/?&#\s\"]+"
)


def redact(text: str) -> str:
    return SECRET_IN_URL.sub(lambda match: match["keep"] + REDACTED, text)


class AccessLog:
    """WSGI middleware around the whole site, static files included."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        began = time.monotonic()
        answer = {"status": "-", "length": "-"}

        def start_response_noted(status, headers, exc_info=None):
            answer["status"] = status.split(" ", 1)[0]
            answer["length"] = next(
                (value for name, value in headers if name.lower() == "content-length"), "-"
            )
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start_response_noted)
        finally:
            log.info(
                '%s "%s %s %s" %s %s %.3fs',
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                _target(environ),
                environ.get("SERVER_PROTOCOL", "-"),
                answer["status"],
                answer["length"],
                time.monotonic() - began,
            )


def _target(environ) -> str:
    """The path and query as sent, percent-encoded: a decoded newline or escape sequence in
    a path cannot forge a log line or colour a terminal."""
    path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    target = quote(path, safe="/;:@&=+$,-_.!~*'()%")
    query = environ.get("QUERY_STRING", "")
    if query:
        target += "?" + quote(query, safe="/;:@&=+$,-_.!~*'()%?")
    return redact(target)
