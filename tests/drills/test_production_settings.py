"""Production settings: with DEBUG off, Django's deployment check finds nothing; secrets come
only from the environment; responses carry the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


def test_without_a_secret_key_production_refuses_to_start():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="clinic.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(("name", "value"), [("DEBUG", "maybe"), ("THROTTLE_BOOKING", "fast")])
def test_a_bad_setting_stops_start_up_with_its_name(name, value):
    result = manage("check", **{name: value})

    assert result.returncode != 0
    assert name in result.stderr


def test_pages_and_api_carry_the_security_headers(world, client):
    for url in ["/api/v1/treatments/", "/admin/login/", "/api/docs/"]:
        response = client.get(url)

        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
