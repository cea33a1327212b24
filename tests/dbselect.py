"""Pytest plugin, loaded with `-p tests.dbselect` before Django starts: run the suite on
PostgreSQL, the database we ship on, whenever one answers on 127.0.0.1; otherwise say
loudly that it fell back to SQLite (where the exclusion-constraint tests are skipped).
"""

import os

_BACKEND = "from DATABASE_URL"


def _postgres_url() -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    for user in ("postgres", "root"):
        url = f"postgres://{user}@127.0.0.1:5432/postgres"
        try:
            with psycopg.connect(url, connect_timeout=2):
                return f"postgres://{user}@127.0.0.1:5432/clinic"
        except psycopg.Error:
            continue
    return None


# Rate-limit counters in process memory, cleared before each test (tests/conftest.py): tests
# running side by side must not share counters in one Redis. Tests of the Redis path set it.
os.environ.setdefault("CACHE_URL", "locmem://")

if not os.environ.get("DATABASE_URL"):
    _url = _postgres_url()
    if _url:
        os.environ["DATABASE_URL"] = _url
        _BACKEND = "PostgreSQL on 127.0.0.1:5432"
    else:
        _BACKEND = "SQLite FALLBACK: PostgreSQL did not answer on 127.0.0.1:5432"


def pytest_report_header(config):
    return f"database: {_BACKEND}"


def pytest_terminal_summary(terminalreporter):
    if _BACKEND.startswith("SQLite"):
        terminalreporter.write_line(
            "WARNING: this run used SQLite; the double-booking constraint was not tested.",
            yellow=True,
        )
