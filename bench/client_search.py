"""Client search over 50,000 clients: the median latency of the staff lookup
(clinic/search.py), query by query, on a PostgreSQL database of its own.

    .venv/bin/python bench/client_search.py [--clients 50000] [--repeat 100]

It creates `bench_client_search` on BENCH_POSTGRES_URL's server (default: postgres on
127.0.0.1:5432), migrates it, bulk-creates the clients, times each query `--repeat` times
after one warm-up and drops the database again, even when interrupted. Prints figures; it
is not a test (the index use is asserted with EXPLAIN in tests/workspace/).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "bench_client_search"
SURNAMES = ["Turner", "Okafor", "Nguyen", "Müller", "García", "Kowalski", "O'Brien", "Sato"]
FIRST = ["Olivia", "Amara", "Linh", "Jürgen", "Inés", "Zofia", "Siobhán", "Hana", "Zoë"]
QUERIES = {
    "full name, accents typed": "Zoë Ångström",
    "surname, no accents": "angstrom",
    "first name, many matches": "ines",
    "part of an email": "zoe.a@",
    "phone with a space": "07911 123456",
    "unknown": "xqzv",
}


def _server(dbname: str) -> str:
    return urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{dbname}"))


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


def _drop() -> None:
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = _server(DATABASE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fill(count: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from bench.catalogue import client_row, clinic_create
    from clinic.models import Client

    call_command("migrate", verbosity=0)
    clinic = clinic_create(name="Bench", slug="bench")
    Client.objects.bulk_create(
        (
            client_row(
                clinic,
                name=f"{FIRST[n % len(FIRST)]} {SURNAMES[n % len(SURNAMES)]} {n}",
                email=f"client{n}@example.com",
                phone=f"07700 {n:06d}",
            )
            for n in range(count)
        ),
        batch_size=5_000,
    )
    client_row(clinic, name="Zoë Ångström", email="zoe.a@example.com", phone="07911 123456").save()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clinic_client")


def _measure(repeat: int) -> None:
    from clinic.search import INDEX_NAME, client_search

    medians = []
    print(f"{'query':<28}{'found':>6}{'median ms':>11}{'p95 ms':>9}  index used")
    for label, q in QUERIES.items():
        found = len(list(client_search(q=q)))  # warm-up
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            list(client_search(q=q))
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        median = statistics.median(samples)
        medians.append(median)
        p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
        uses_index = INDEX_NAME in client_search(q=q).explain()
        print(f"{label:<28}{found:>6}{median:>11.2f}{p95:>9.2f}  {uses_index}")
    print(f"median over all queries: {statistics.median(medians):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    _drop()
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    try:
        _setup_django()
        print(f"filling {args.clients} clients...", flush=True)
        _fill(args.clients)
        _measure(args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        _drop()


if __name__ == "__main__":
    main()
