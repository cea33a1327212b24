"""In-process figures of the slot search on a seeded bench database: latency of
diary.availability.find_slots, and the SQL queries of one search and of one API request.

Each search is repeated after a warm-up so the figures are the steady state of a running
server (Django's caches and PostgreSQL's buffers warm), as in production.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.stats import interleaved, summary
from clinic.models import Treatment
from diary.availability import find_slots


def query_count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries.captured_queries)


def availability_path(slug: str, first, last, practitioner: int | None = None) -> str:
    query = {"treatment": slug, "from": first.isoformat(), "to": last.isoformat()}
    if practitioner is not None:
        query["practitioner"] = practitioner
    return f"/api/v1/availability/?{urlencode(query)}"


def api_queries(paths: list[str]) -> int:
    """SQL queries of the API requests for `paths`, through Django's whole stack in process
    (gunicorn runs the same code, but its queries cannot be counted from outside)."""
    client = HttpClient()

    def get_all():
        for path in paths:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")

    get_all()  # warm: the first request loads URL patterns and the like
    return query_count(get_all)


def search_rows(plan: list[dict], *, repeats: int) -> list[dict]:
    """The availability table's lines: for each of `plan` (label, slug, days[, practitioner])
    a search of `days` days from tomorrow (clinic-local), timed round-robin with the others.

    The API answers at most 62 days, so a longer range is asked over HTTP in chunks.
    """
    rows, calls = [], []
    for line in plan:
        treatment = Treatment.objects.select_related("clinic").get(slug=line["slug"])
        first = timezone.now().astimezone(treatment.clinic.tzinfo).date() + timedelta(days=1)
        last = first + timedelta(days=line["days"] - 1)
        practitioner = line.get("practitioner")

        def search(treatment=treatment, first=first, last=last, practitioner=practitioner):
            return find_slots(
                treatment=treatment, first_day=first, last_day=last, practitioner_id=practitioner
            )

        paths = []
        chunk_start = first
        while chunk_start <= last:
            chunk_end = min(last, chunk_start + timedelta(days=61))
            paths.append(availability_path(line["slug"], chunk_start, chunk_end, practitioner))
            chunk_start = chunk_end + timedelta(days=1)
        calls.append(search)
        rows.append(
            {
                "label": line["label"],
                "days": line["days"],
                "slots": len(search()),
                "queries": query_count(search),
                "http_paths": paths,
                "http_queries": api_queries(paths),
            }
        )
    for row, samples in zip(rows, interleaved(calls, repeats=repeats), strict=True):
        row["latency"] = summary(samples)
    return rows
