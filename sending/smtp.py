"""Sending over SMTP for the outbox: one connection per batch (Sender), and Django's SMTP
backend with one thing added, knowing how far a failed send got.

A failure before the whole message was transmitted delivered nothing. Once the message and
its final "." have gone, a timeout or a dropped connection while waiting for the reply may
have been a delivery (RFC 5321 section 4.5.3.2.6 gives the server 10 minutes to answer the
end of DATA); Sender raises Unconfirmed for that case, and delivery.py decides what it means.
The subclass watches smtplib's own DATA step rather than copying it.
"""

import contextlib
import smtplib

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends import smtp


class Unconfirmed(Exception):
    """The whole message went to the SMTP server, but its reply to the end of DATA did not
    come back (the cause): it may have been delivered."""


class PhasedSMTP(smtplib.SMTP):
    """smtplib's client, noting whether the whole message (its final ".") was transmitted
    and its reply is awaited: a failure then may have been a delivery."""

    message_transmitted = False
    _in_data = False

    def sendmail(self, *args, **kwargs):
        self.message_transmitted = False
        return super().sendmail(*args, **kwargs)

    def data(self, msg):
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s):
        if not (self._in_data and isinstance(s, bytes)):  # a command, not the message
            return super().send(s)
        self.message_transmitted = True  # before, so no signal can slip between the two
        try:
            return super().send(s)
        except BaseException:
            self.message_transmitted = False  # sendall stopped short of the final "."
            raise


class PhasedSMTP_SSL(PhasedSMTP, smtplib.SMTP_SSL):  # noqa: N801 (smtplib's own name)
    pass


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend over PhasedSMTP. The settings (and tests) name Django's
    backend; Sender uses this one in its place."""

    @property
    def connection_class(self):
        return PhasedSMTP_SSL if self.use_ssl else PhasedSMTP

    def message_transmitted(self) -> bool:
        return bool(self.connection and self.connection.message_transmitted)


DJANGO_SMTP = "django.core.mail.backends.smtp.EmailBackend"


class Sender:
    """One SMTP connection for a batch, opened at the first message and again after a
    failure (which may have left it broken). Once it cannot be opened at all, the batch's
    remaining messages fail with the same error at once instead of each waiting out
    EMAIL_TIMEOUT for an unreachable server. A failure after the whole message was
    transmitted is raised as Unconfirmed."""

    def __init__(self):
        backend = f"{__name__}.EmailBackend" if settings.EMAIL_BACKEND == DJANGO_SMTP else None
        self.connection = get_connection(backend)
        self.unreachable: Exception | None = None

    def send(self, email: EmailMessage) -> None:
        if self.unreachable is not None:
            raise self.unreachable
        try:
            self.connection.open()  # nothing to do while it is open
        except Exception as error:
            self.unreachable = error
            raise
        try:
            self.connection.send_messages([email])
        except Exception as error:
            transmitted = isinstance(self.connection, EmailBackend) and (
                self.connection.message_transmitted()
            )
            self.close()
            if transmitted and not isinstance(error, smtplib.SMTPResponseException):
                raise Unconfirmed(f"{type(error).__name__}: {error}") from error
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError, SoftTimeLimitExceeded):  # smtplib's are OSErrors
            self.connection.close()
