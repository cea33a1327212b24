"""Fixtures for the aftercare tests: a real SMTP inbox on loopback for every test that
sends, and for the worker tests (test_worker.py) a private Redis and Celery workers
running against the test database."""

import pytest

from tests.aftercare.loopback import Inbox


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    inbox.controller.start()
    try:
        yield inbox
    finally:
        inbox.controller.stop()


@pytest.fixture
def inbox(smtp_server, settings):
    """The SMTP server, emptied, with Django's SMTP backend pointed at it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()
