"""What is kept only for a while is forgotten on schedule: Idempotency-Key rows after a
day, a booking page's draft (name, email, phone, health answers) and its refusal after
DRAFT_MINUTES, sessions past their expiry (issue 15, item 6)."""

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.sessions.models import Session
from django.test import Client as Browser

from bookings.models import IdempotencyKey
from config.celery import app as celery_app
from config.celery import beat_schedule
from online.pages.forms import DRAFT_KEY
from online.pages.outcomes import OUTCOME_KEY
from online.pages.views import HELD_KEY
from privacy import retention, tasks
from tests.helpers import book_on_pages, booking_form

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 1, 8, tzinfo=LONDON)  # tests/conftest.py's frozen clock
EMAIL = "dana.refused@example.com"


def sessions_holding(text: str) -> int:
    store = Session.get_session_store_class()()
    return sum(text in str(store.decode(s.session_data)) for s in Session.objects.all())


def refused_visit(world) -> Browser:
    """A visitor typed their details and a filler three days ago: refused, and the draft
    and the refusal stay in their session so they need not type it again."""
    day = date(2027, 3, 3)
    browser = Browser()
    response = book_on_pages(
        browser,
        world.treatment.slug,
        booking_form(
            datetime(2027, 3, 3, 11, tzinfo=LONDON),
            name="Dana Refused",
            email=EMAIL,
            phone="07911 123999",
            had_injectable="yes",
            **{"injectable-0-kind": "filler", "injectable-0-date": day - timedelta(days=3)},
        ),
    )
    assert "sorry" in response["Location"]
    return browser


def test_the_session_keys_swept_are_the_booking_pages_own():
    assert set(retention.VISIT_KEYS) == {DRAFT_KEY, OUTCOME_KEY, HELD_KEY}
    assert retention.DRAFT_KEY == DRAFT_KEY


def test_a_refused_draft_is_cut_out_of_the_session_after_draft_minutes(world, settings):
    refused_visit(world)
    assert sessions_holding(EMAIL) == 1
    assert tasks.drafts_forget() == 0  # still fresh: the visitor may come back to it

    later = NOW + timedelta(minutes=settings.DRAFT_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        swept = tasks.drafts_forget()

    assert swept == 1
    assert sessions_holding(EMAIL) == 0
    assert sessions_holding("Dana Refused") == 0 and sessions_holding("filler") == 0
    assert Session.objects.count() == 1  # the session itself stays (a signed-in visit would)


def test_another_visit_keeps_its_fresh_draft(world, settings):
    refused_visit(world)
    with time_machine.travel(NOW + timedelta(minutes=settings.DRAFT_MINUTES - 1), tick=False):
        assert retention.drafts_forget() == 0
    assert sessions_holding(EMAIL) == 1


def test_expired_sessions_are_cleared(world, settings):
    refused_visit(world)
    with time_machine.travel(NOW + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)):
        tasks.sessions_clear_expired()
    assert not Session.objects.exists()


def test_idempotency_rows_are_kept_a_day(db, frozen_now):
    IdempotencyKey.objects.create(key="old", fingerprint="a" * 64)
    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        IdempotencyKey.objects.create(key="recent", fingerprint="b" * 64)
        assert tasks.idempotency_purge() == 0
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        purged = tasks.idempotency_purge()

    assert purged == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


def test_beat_runs_the_sweeps(settings):
    entries = {}
    beat_schedule(
        SimpleNamespace(
            signature=str,
            add_periodic_task=lambda every, task, *, name, expires: entries.update(
                {name: (every, task)}
            ),
        )
    )

    assert entries["privacy-drafts-forget"] == (
        settings.DRAFT_SWEEP_SECONDS,
        "privacy.drafts_forget",
    )
    assert entries["privacy-idempotency-purge"] == (3600, "privacy.idempotency_purge")
    assert entries["privacy-sessions-clear-expired"] == (86400, "privacy.sessions_clear_expired")
    for name in (
        "privacy.drafts_forget",
        "privacy.idempotency_purge",
        "privacy.sessions_clear_expired",
    ):
        assert name in celery_app.tasks
