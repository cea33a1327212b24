"""Production settings: production is the default (DEBUG off unless asked for); with DEBUG
off, Django's deployment check finds nothing; secrets come only from the environment, and the
key an early version published signs nothing; responses carry the security headers."""

import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import signing
from django.urls import reverse

from aftercare.services import UNSUBSCRIBE_SALT
from bookings.models import MANAGE_TOKEN_SALT
from diary import services
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
# The development key ccf2631 and before carried in config/settings.py, so anybody could sign
# with it. In two pieces: this file must not carry it whole either.
PUBLISHED_KEY = "dev-only-insecure-key-" + "do-not-use-in-production"


# What the test process sets for itself (the browser tests allow Django's ORM next to
# Playwright's event loop) and must not leak into a production-like start.
NOT_INHERITED = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def manage(*args, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_deployment_check_finds_nothing_with_debug_off():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="clinic.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_without_debug_in_the_environment_the_settings_are_production():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)",
        SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False []"


@pytest.mark.parametrize("debug", ["0", "1", None])
def test_without_a_secret_key_the_app_refuses_to_start(debug):
    result = manage(
        "check", ALLOWED_HOSTS="clinic.example.com", **({"DEBUG": debug} if debug else {})
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("debug", ["0", "1"])
def test_the_published_development_key_refuses_to_start(debug):
    result = manage(
        "check", DEBUG=debug, SECRET_KEY=PUBLISHED_KEY, ALLOWED_HOSTS="clinic.example.com"
    )

    assert result.returncode != 0
    assert "This SECRET_KEY was published" in result.stderr


def test_the_published_development_key_is_nowhere_in_the_tree():
    found = subprocess.run(
        ["git", "grep", "-n", "-F", PUBLISHED_KEY], cwd=ROOT, capture_output=True, text=True
    )

    assert found.returncode == 1, found.stdout  # 1: no match; 0 would list where it is
    assert found.stdout == ""


def test_links_signed_with_the_published_key_open_nothing(world, client):
    """What an attacker did with the public key: forged a client's unsubscribe link (which
    showed their email) and a booking's manage link (which showed the booking, 200)."""
    erin = factories.ClientFactory(clinic=world.clinic, email="erin@example.com")
    appointment = services.appointment_book(
        treatment=world.treatment, start=datetime(2027, 3, 4, 10, tzinfo=UTC), client=erin, by=None
    ).appointment
    forged_unsubscribe = signing.Signer(key=PUBLISHED_KEY, salt=UNSUBSCRIBE_SALT).sign(str(erin.pk))
    forged_manage = signing.Signer(key=PUBLISHED_KEY, salt=MANAGE_TOKEN_SALT).signature(
        appointment.reference
    )

    unsubscribe = client.get(reverse("aftercare:unsubscribe", args=[forged_unsubscribe]))
    manage = client.get(reverse("online:manage", args=[appointment.reference, forged_manage]))

    assert unsubscribe.status_code == 404 and "erin@example.com" not in unsubscribe.content.decode()
    assert manage.status_code == 404 and appointment.reference not in manage.content.decode()


@pytest.mark.parametrize(("name", "value"), [("DEBUG", "maybe"), ("THROTTLE_BOOKING", "fast")])
def test_a_bad_setting_stops_start_up_with_its_name(name, value):
    result = manage("check", SECRET_KEY=secrets.token_urlsafe(50), **{name: value})

    assert result.returncode != 0
    assert name in result.stderr


def test_pages_and_api_carry_the_security_headers(world, client):
    for url in ["/api/v1/treatments/", "/admin/login/", "/api/docs/"]:
        response = client.get(url)

        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
