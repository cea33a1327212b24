"""The bench's own PostgreSQL databases: created per run, always dropped afterwards.

Every name starts with `bench_` so a database left by a killed run is easy to recognise;
the next run drops it before starting. Plain psycopg, no Django: the orchestrator never
loads a Django project (the project's and the peer's live in their own processes).
"""

import atexit
import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

# The server the bench uses; its `postgres` database is only the door to CREATE DATABASE.
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PREFIX = "bench_"
# Two runs at once (two checkouts benchmarking on one server) keep apart by BENCH_DB_SUFFIX:
# every database a run makes carries it, so neither drops the other's. The seeded clinic
# groups are shared caches and keep their names.
SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")
SHARED = "bench_group_"

_created: set[str] = set()


def actual(name: str) -> str:
    """The name a run's database `name` has on the server (with this run's suffix)."""
    if (
        not SUFFIX
        or not name.startswith(PREFIX)  # the server's own `postgres`, the door
        or name.startswith(SHARED)
        or name.endswith(f"_{SUFFIX}")
    ):
        return name
    return f"{name}_{SUFFIX}"


def url_for(name: str) -> str:
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path=f"/{actual(name)}"))


def _admin() -> psycopg.Connection:
    return psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5)


def server_version() -> str:
    with _admin() as conn:
        return conn.execute("SELECT version()").fetchone()[0]


def drop(name: str) -> None:
    assert name.startswith(PREFIX), name
    name = actual(name)
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    _created.discard(name)


def create(name: str, *, template: str | None = None) -> str:
    """A fresh, empty database (or a copy of `template`); returns its URL."""
    name = actual(name)
    drop(name)
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(actual(template)))
    with _admin() as conn:
        conn.execute(query)
    _created.add(name)
    return url_for(name)


def keep(name: str) -> None:
    """Leave `name` in place at the end of the run (a cache for the next one)."""
    _created.discard(actual(name))


def drop_all_created() -> None:
    for name in sorted(_created):
        try:
            drop(name)
        except psycopg.Error as error:  # keep cleaning the others
            print(f"could not drop {name}: {error}")


atexit.register(drop_all_created)


def execute(name: str, statement: str, params=None) -> list[tuple]:
    with psycopg.connect(url_for(name), autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []
