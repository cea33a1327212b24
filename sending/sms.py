"""Sending text messages for the outbox through Twilio's official library (the `twilio`
package): one client per batch, as the SMTP Sender holds one connection.

TWILIO_API_BASE_URL, when set, replaces the scheme and host of every URL the library asks
for (https://api.twilio.com...): the library builds its URLs itself and its edge and region
settings only choose among Twilio's own hosts, so the tests hand it an HTTP client of its
own kind (TwilioHttpClient, subclassed) that talks to a server on loopback instead. The
library, its request shapes and its error handling are the real ones.

How far a failed send got, as for email: a connection that could not be made, or an error
status, delivered nothing (429 and 5xx are worth another try; any other 4xx is final). A
request sent whose reply did not come within TWILIO_TIMEOUT may have been accepted: raised
as Unconfirmed, and delivery.py records it as sent, unconfirmed, rather than text the client
twice.
"""

import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from aftercare.planning import sms_enabled as configured
from sending.smtp import Unconfirmed


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str


class NotConfigured(RuntimeError):
    pass


class SmsRefused(Exception):
    """Twilio answered with an error status: nothing was sent."""

    def __init__(self, error: TwilioRestException):
        self.status, self.code = error.status, error.code
        super().__init__(f"Twilio answered HTTP {error.status}, error {error.code}: {error.msg}")


class BaseUrlHttpClient(TwilioHttpClient):
    """The library's own HTTP client, sending to `base_url` instead of Twilio's hosts."""

    def __init__(self, *, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base = urlsplit(base_url)

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        prefix = self.base.path.rstrip("/")
        url = urlunsplit((self.base.scheme, self.base.netloc, prefix + parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def twilio_client() -> TwilioClient:
    if not configured():
        raise NotConfigured("SMS is not configured: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
    options = {"timeout": settings.TWILIO_TIMEOUT}
    if settings.TWILIO_API_BASE_URL:
        http_client = BaseUrlHttpClient(base_url=settings.TWILIO_API_BASE_URL, **options)
    else:
        http_client = TwilioHttpClient(**options)
    return TwilioClient(
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
    )


def is_permanent(error: Exception) -> bool:
    """Twilio refused it for a reason another try cannot fix (a number it cannot text, an
    unsubscribed recipient: any 4xx but 429)."""
    if isinstance(error, SmsRefused):
        return 400 <= error.status < 500 and error.status != 429
    return isinstance(error, NotConfigured)


class SmsSender:
    """One Twilio client for a batch, made at its first text. Once Twilio cannot be reached
    at all, the batch's other texts fail with the same error at once rather than each
    waiting out its own timeout."""

    def __init__(self):
        self.client: TwilioClient | None = None
        self.unreachable: Exception | None = None

    def send(self, sms: Sms) -> str:
        """Send one text; Twilio's id for it (its SID)."""
        if self.unreachable is not None:
            raise self.unreachable
        if self.client is None:
            self.client = twilio_client()
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM}
        )
        try:
            created = self.client.messages.create(to=sms.to, body=sms.body, **sender)
        except TwilioRestException as error:
            raise SmsRefused(error) from error
        except requests.ReadTimeout as error:  # the request went; its answer did not come
            raise Unconfirmed(f"{type(error).__name__}: {error}") from error
        except requests.ConnectionError as error:
            self.unreachable = error
            raise
        return created.sid

    def close(self) -> None:
        http_client = self.client.http_client if self.client else None
        if http_client is not None and getattr(http_client, "session", None):
            with contextlib.suppress(Exception):
                http_client.session.close()
