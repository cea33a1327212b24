"""What a web process does once, when it has loaded the project and is about to serve."""

import gc

from django.urls import get_resolver

# The collector's thresholds while serving (gc.set_threshold): a young collection once
# 10,000 more container objects are alive than at the last one, instead of Python's 700;
# the older generations' counts as Python has them.
YOUNG_THRESHOLD = 10_000


def ready_to_serve() -> None:
    """Load every view (through the URLconf), collect what start-up left behind, move every
    object alive into the garbage collector's permanent generation (gc.freeze), and collect
    the young generation less often.

    A serving process holds some 200,000 long-lived objects (modules, models, URL patterns,
    forms, serializers) that the collector would otherwise walk in each full collection, a
    pause of tens of milliseconds landing on whichever request happened to allocate at that
    moment: the p95 spikes of cheap pages in issue 16's page benchmark. Frozen, a full
    collection walks only what was made since. Objects made later are collected as before;
    the frozen ones are never freed, which they would not be anyway.

    With Python's threshold of 700, a page that builds a few hundred model instances meets
    a young collection every 700 allocations while its objects are still in use: they
    survive it and are promoted, and once enough have piled up in the oldest generation a
    full collection (20-50 ms, with the templates and query objects cached by then) falls
    on whichever request is running. At 10,000 most of a request's objects are freed by
    their reference counts before a young collection comes, and few reach the oldest
    generation: in ten passes over every page of the page benchmark, full collections went
    from 14 to none and the collector's time in all fell by about a third (bench/README.md,
    "The collector's young threshold, 2026-12-01"); the cost is at most 10,000 dead
    objects waiting for a young collection (a few MB). Called by config/wsgi.py, and by
    bench/pages.py and bench/floor.py so that the benchmark's processes serve as the
    server does.
    """
    get_resolver().url_patterns  # noqa: B018 - imports the views and what they import
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
