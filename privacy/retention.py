"""How long the site keeps what it needs only for a while, and the sweeps that forget it.

- An Idempotency-Key's row (the key and a SHA-256 of the caller and the booking's body,
  which names the client) is useful for a day (online/api/idempotency.py replays a retry
  inside KEEP_FOR): older rows are deleted.
- A booking page's draft (name, email, phone, health answers), its last refusal and the
  hold it asked for live in the visitor's session (online/pages/forms.py, outcomes.py) and
  are used for DRAFT_MINUTES; the session itself lasts two weeks. A draft older than that
  is cut out of every session that still holds it, and expired sessions are deleted.

The tasks are in privacy/tasks.py, their schedule in config/celery.py.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from bookings.models import IdempotencyKey

# online/api/idempotency.py's KEEP_FOR (that layer sits above this one): a retry comes within
# minutes; after a day the row only keeps a fingerprint of someone's booking.
IDEMPOTENCY_KEEP_FOR = timedelta(hours=24)

# The session keys the booking pages keep personal data under (online/pages/forms.py,
# online/pages/outcomes.py, online/pages/views.py; tests/privacy/test_retention.py checks
# that these are their names). The draft dates itself ("saved_at"); the others are dated by
# the session's last save.
DRAFT_KEY = "booking_draft"
VISIT_KEYS = (DRAFT_KEY, "booking_outcome", "booking_held")

SESSION_BATCH = 500


def idempotency_purge(*, now=None) -> int:
    """Delete the Idempotency-Key rows older than IDEMPOTENCY_KEEP_FOR. Returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - IDEMPOTENCY_KEEP_FOR).delete()
    return deleted


def _stale_keys(data: dict, *, saved_at: float, now: float, keep_for: float) -> list[str]:
    """The visit keys in a session's `data` older than `keep_for` seconds: the draft by its
    own time, the others by the session's last save."""
    stale = []
    for key in VISIT_KEYS:
        if key not in data:
            continue
        value = data[key]
        when = saved_at
        if key == DRAFT_KEY and isinstance(value, dict) and isinstance(value.get("saved_at"), int):
            when = value["saved_at"]
        if now - when > keep_for:
            stale.append(key)
    return stale


def _rewrite(session: Session, store, data: dict) -> bool:
    """Write `data` back unless the session changed since it was read (a request saved it
    meanwhile: its own copy wins, and the next sweep looks again)."""
    return bool(
        Session.objects.filter(
            session_key=session.session_key, session_data=session.session_data
        ).update(session_data=store.encode(data))
    )


def _sessions(queryset):
    store = Session.get_session_store_class()()
    for session in queryset.iterator(chunk_size=SESSION_BATCH):
        yield session, store, store.decode(session.session_data)


def drafts_forget(*, now=None) -> int:
    """Cut the booking pages' drafts, refusals and held references older than DRAFT_MINUTES
    out of the live sessions. Returns how many sessions were rewritten."""
    now = now or timezone.now()
    keep_for = settings.DRAFT_MINUTES * 60
    age = settings.SESSION_COOKIE_AGE
    rewritten = 0
    for session, store, data in _sessions(Session.objects.filter(expire_date__gt=now)):
        # A session is saved with its expiry SESSION_COOKIE_AGE ahead.
        saved_at = session.expire_date.timestamp() - age
        stale = _stale_keys(data, saved_at=saved_at, now=now.timestamp(), keep_for=keep_for)
        if stale:
            for key in stale:
                data.pop(key)
            rewritten += _rewrite(session, store, data)
    return rewritten


def sessions_forget_person(*, user_id: int | None, needles: list[str]) -> int:
    """A person's data is being anonymised: delete their login's sessions, and cut out of
    any other session a visit key whose contents name them (a draft typed with their
    email). Returns how many sessions were deleted or rewritten."""
    touched = 0
    needles = [n.lower() for n in needles if n]
    for session, store, data in _sessions(Session.objects.all()):
        if user_id is not None and str(data.get("_auth_user_id")) == str(user_id):
            touched += Session.objects.filter(session_key=session.session_key).delete()[0]
            continue
        naming = [
            key
            for key in VISIT_KEYS
            if key in data and any(n in str(data[key]).lower() for n in needles)
        ]
        if naming:
            for key in naming:
                data.pop(key)
            touched += _rewrite(session, store, data)
    return touched


def sessions_clear_expired() -> None:
    """What `manage.py clearsessions` does: delete the sessions past their expiry."""
    Session.get_session_store_class().clear_expired()
