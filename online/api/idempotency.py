"""Idempotent booking: the same Idempotency-Key and body give the same booking.

The key's row is inserted first, in the booking's own transaction. A concurrent retry with
the same key waits on the unique index until the first request commits or rolls back, so it
either replays the finished booking or takes the key over from a booking that failed.
"""

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.models import Appointment, IdempotencyKey

KEEP_FOR = timedelta(hours=24)


class KeyReused(Exception):
    """The key was used before with a different body or by another caller."""


def fingerprint(*, body, user_id: int | None) -> str:
    canonical = json.dumps([user_id, body], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_claim(*, key: str, fingerprint: str) -> Appointment | None:
    """Claim `key` inside the caller's transaction. Returns the booking to replay if the key
    already made one; None if the caller now owns the key. Raises KeyReused."""
    IdempotencyKey.objects.filter(key=key, created_at__lt=timezone.now() - KEEP_FOR).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(key=key, fingerprint=fingerprint)
            return None
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.select_related(
        "appointment__clinic", "appointment__treatment", "appointment__practitioner"
    ).get(key=key)
    if existing.fingerprint != fingerprint or existing.appointment is None:
        raise KeyReused
    return existing.appointment


def idempotency_record(*, key: str, appointment: Appointment) -> None:
    IdempotencyKey.objects.filter(key=key).update(appointment=appointment)


def idempotency_forget(*, key: str) -> None:
    """The booking `key` made was undone at once (its deposit could not be asked): a retry
    with the same key books afresh rather than replaying a released time."""
    IdempotencyKey.objects.filter(key=key).delete()
