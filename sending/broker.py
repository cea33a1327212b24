"""Whether the broker lost its queue since the sweeper last looked: a Redis restarted without
persistence comes back empty, and every send task queued before is gone. The sweeper
(sending/tasks.py) then gives their claims back at once (aftercare/outbox.py) instead of after
AFTERCARE_CLAIM_TIMEOUT, ten minutes in production.

A key the sweeper sets only when it is missing marks the broker's data as seen: it vanishes
with the queue. Redis only; the demo's filesystem broker keeps its queue on disk.
"""

import logging
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

MARK = "lumiere:outbox:broker-seen-since"
# The sweep must not wait long on a broker that does not answer: the claims then wait for
# their timeout, as before.
TIMEOUT_SECONDS = 2

_clients: dict[str, redis.Redis] = {}


def _redis() -> redis.Redis | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
    return _clients[url]


def queue_lost_at() -> datetime | None:
    """When the broker came back without its data, the first time it is asked after that;
    None while it kept it, or when it cannot be asked. Its start (from its uptime, which needs
    no shared clock) rather than now: a task queued since it started is still in its queue.
    A broker flushed without a restart started long before: its lost claims wait for their
    timeout, as before."""
    client = _redis()
    if client is None:
        return None
    now = timezone.now()
    try:
        if not client.set(MARK, now.isoformat(), nx=True):
            return None
        uptime = client.info("server")["uptime_in_seconds"]
    except redis.RedisError:
        logger.warning("Could not ask the broker whether it kept its queue", exc_info=True)
        return None
    return now - timedelta(seconds=uptime)
