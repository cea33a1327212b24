"""Fixtures for the tests that send email or run Celery (tests/aftercare, tests/drills): a
real SMTP inbox on loopback for every test that sends, and for the worker tests a private
Redis and Celery workers running against the test database. Loaded as a plugin by
tests/conftest.py."""

import os
from urllib.parse import quote

import pytest
from django.db import connection

from tests.loopback import CeleryWorker, Inbox, RedisServer


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


# -- worker tests: a private Redis and real Celery workers on the test database ---------------

# Fast clocks for the outbox, so retries, sweeps and dispatches happen within a test.
WORKER_SETTINGS = {
    "AFTERCARE_DISPATCH_SECONDS": "1",
    "AFTERCARE_SWEEP_SECONDS": "1",
    "AFTERCARE_CLAIM_TIMEOUT": "8",
    "AFTERCARE_RETRY_SECONDS": "1",
    "AFTERCARE_MAX_ATTEMPTS": "3",
    "AFTERCARE_MAX_IN_FLIGHT": "50",
    "EMAIL_TIMEOUT": "5",
    "LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="module")
def celery_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("celery")


@pytest.fixture(scope="module")
def private_redis(celery_dir):
    """Our own redis-server: the shared one on 6379 is never touched, and this one can be
    stopped and started again by the tests."""
    server = RedisServer(celery_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def worker_settings() -> dict:
    """The outbox's clocks for the workers of a module; a module overrides this fixture to
    run them at other speeds."""
    return dict(WORKER_SETTINGS)


@pytest.fixture(scope="module")
def worker_env(
    django_db_setup, django_db_blocker, private_redis, smtp_server, worker_settings
) -> dict:
    if connection.vendor != "postgresql":
        pytest.skip("the worker tests share the test database with a worker process")
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(worker_settings)
    env.update(
        DATABASE_URL=f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}",
        REDIS_URL=private_redis.url,
        CELERY_BROKER_URL=private_redis.url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
    )
    return env


@pytest.fixture(scope="module")
def start_worker(worker_env, celery_dir):
    """Start a named worker (with its own beat) for the rest of the module."""
    workers = []

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(name, env=worker_env, workdir=celery_dir)
        workers.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture(scope="module")
def worker(start_worker):
    return start_worker("w1")


# -- a deliberately slow SMTP server (tests/slow_smtp.py) ----------------------------------------


@pytest.fixture(scope="session")
def slow_smtp():
    """An SMTP server whose replies can be held back by phase; set its `delays` per test."""
    from tests.slow_smtp import SlowSMTP

    server = SlowSMTP()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- Twilio's REST API, faked on loopback (tests/fake_twilio.py) ---------------------------------


@pytest.fixture(scope="session")
def twilio_server():
    from tests.fake_twilio import FakeTwilio

    server = FakeTwilio()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def twilio(twilio_server, settings):
    """The fake Twilio, emptied, with the settings pointing the real library at it."""
    from tests import fake_twilio

    settings.TWILIO_ACCOUNT_SID = fake_twilio.ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = fake_twilio.AUTH_TOKEN
    settings.TWILIO_FROM = fake_twilio.FROM
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = twilio_server.base_url
    settings.TWILIO_TIMEOUT = 5
    twilio_server.clear()
    yield twilio_server
    twilio_server.clear()
