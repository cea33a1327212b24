"""gunicorn's access log without the secrets some URLs carry: a booking's manage token
(/booking/<reference>/<token>/...), a hold's confirmation token (/hold/<reference>/<token>/),
an unsubscribe token (/aftercare/unsubscribe/<token>/) and the API's `token` parameter. Each
becomes `[token]` in every field of the line (request line, path, query, referer), so a
log shipped elsewhere or read by whoever runs the servers opens nobody's booking.

Wired with gunicorn's `--logger-class config.access_log.RedactingLogger` (Procfile).
"""

import re

from gunicorn.glogging import Logger

REDACTED = "[token]"
SECRET_IN_URL = re.compile(
    r"(?P<keep>/(?:booking|hold)/[^/?#\s]+/|/unsubscribe/|[?&]token=)[^/?&#\s\"]+"
)


def redact(text: str) -> str:
    return SECRET_IN_URL.sub(lambda match: match["keep"] + REDACTED, text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        found = super().atoms(resp, req, environ, request_time)
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in found.items()
        }
