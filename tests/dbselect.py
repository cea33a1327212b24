"""Pytest plugin, loaded with `-p tests.dbselect` before Django starts: run the suite on
PostgreSQL, the database we ship on, whenever one answers on 127.0.0.1; otherwise say
loudly that it fell back to SQLite (where the exclusion-constraint tests are skipped).

The database is named after the checkout (clinic_<8 hex of its path>, so the tests use
test_clinic_<...>): two checkouts testing on one server at once never share a test database.
An explicit DATABASE_URL wins. The line saying which database is printed at the start of
every run, -q included (pytest hides its report header then).
"""

import hashlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]
DATABASE_NAME = "clinic_" + hashlib.sha256(str(CHECKOUT).encode()).hexdigest()[:8]


def _postgres_url() -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    for user in ("postgres", "root"):
        url = f"postgres://{user}@127.0.0.1:5432/postgres"
        try:
            with psycopg.connect(url, connect_timeout=2):
                return f"postgres://{user}@127.0.0.1:5432/{DATABASE_NAME}"
        except psycopg.Error:
            continue
    return None


def _describe(url: str) -> str:
    """Engine, host and database of a URL, never its password."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return f"SQLite {parts.path}"
    name = parts.path.lstrip("/")
    where = f"{parts.hostname or 'local socket'}:{parts.port or 5432}"
    return f"{parts.scheme} {name} on {where}, tests in test_{name}"


# The settings default to production and carry no key: the suite runs the app as `make run`
# does, in development mode (test hosts allowed, no HTTPS redirect), with a key made for this
# run. Subprocesses (workers, the demo) inherit both; tests/drills/test_production_settings.py
# starts the settings without them.
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

# Rate-limit counters in process memory, cleared before each test (tests/conftest.py): tests
# running side by side must not share counters in one Redis. Tests of the Redis path set it.
os.environ.setdefault("CACHE_URL", "locmem://")

if os.environ.get("DATABASE_URL"):
    _BACKEND = f"{_describe(os.environ['DATABASE_URL'])} (from DATABASE_URL)"
else:
    _url = _postgres_url()
    if _url:
        os.environ["DATABASE_URL"] = _url
        _BACKEND = f"PostgreSQL on 127.0.0.1:5432, test_{DATABASE_NAME} (named after {CHECKOUT})"
    else:
        _BACKEND = "SQLite FALLBACK: PostgreSQL did not answer on 127.0.0.1:5432"
_SQLITE = _BACKEND.startswith("SQLite")


# A wrapper, so the line comes after the terminal reporter's own session start (its banner).
@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session):
    yield
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"database: {_BACKEND}", yellow=_SQLITE, bold=_SQLITE)


def pytest_terminal_summary(terminalreporter):
    if _SQLITE:
        terminalreporter.write_line(
            "WARNING: this run used SQLite; the double-booking constraint was not tested.",
            yellow=True,
        )
