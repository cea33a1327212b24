"""What a web process does once, when it has loaded the project and is about to serve."""

import gc

from django.urls import get_resolver


def ready_to_serve() -> None:
    """Load every view (through the URLconf), collect what start-up left behind, then move
    every object alive into the garbage collector's permanent generation (gc.freeze).

    A serving process holds some 200,000 long-lived objects (modules, models, URL patterns,
    forms, serializers) that the collector would otherwise walk in each full collection, a
    pause of tens of milliseconds landing on whichever request happened to allocate at that
    moment: the p95 spikes of cheap pages in issue 16's page benchmark. Frozen, a full
    collection walks only what was made since (~60,000 objects after a pass over every
    page). Objects made later are collected as before; the frozen ones are never freed,
    which they would not be anyway. Called by config/wsgi.py, and by bench/pages.py so that
    the benchmark's process serves as the server does."""
    get_resolver().url_patterns  # noqa: B018 - imports the views and what they import
    gc.collect()
    gc.freeze()
