"""The booking load: concurrent clients filling a diary through the public API until no
slot is left. Standard library only (threads and http.client) on loopback.

Each client visit is what a person does: load the availability of the diary, pick a free
start at random (half the time also one of the practitioners offered for it), and POST the
booking. A 409 is a normal answer when another client got there first: the visitor tries
one of the alternatives it offers, twice at most, then leaves. The run stops by itself when
the availability comes back empty, after `max_requests` requests, or after `max_seconds`.
"""

import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.httpclient import Client
from bench.stats import summary

RETRIES_AFTER_CONFLICT = 2


@dataclass
class Tally:
    """What the clients saw, shared under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    booked: int = 0
    conflicts: int = 0
    failures: dict[int, int] = field(default_factory=dict)  # status -> count (0: no answer)
    post_statuses: dict[int, int] = field(default_factory=dict)  # every POST's answer
    book_ms: list[float] = field(default_factory=list)
    availability_ms: list[float] = field(default_factory=list)
    full: bool = False  # a client saw an empty diary
    last_booking_at: float = 0.0

    def record(self, kind: str, status: int, elapsed: float) -> None:
        with self.lock:
            self.requests += 1
            (self.book_ms if kind == "book" else self.availability_ms).append(elapsed)
            if kind == "book":
                self.post_statuses[status] = self.post_statuses.get(status, 0) + 1
            # The clients are not signed in, so a booking is held for its address to
            # confirm (202): the hold takes the time in the diary as a booking does (the
            # same locks and constraints), so it counts as one here.
            if kind == "book" and status in (201, 202):
                self.booked += 1
                self.last_booking_at = time.perf_counter()
            elif kind == "book" and status == 409:
                self.conflicts += 1
            elif status != 200:
                self.failures[status] = self.failures.get(status, 0) + 1


@dataclass(frozen=True)
class Load:
    base_url: str
    treatment: str
    first_day: str
    last_day: str
    clients: int
    max_requests: int
    max_seconds: float


def run(load: Load) -> dict:
    tally = Tally()
    stop = threading.Event()
    deadline = time.perf_counter() + load.max_seconds
    threads = [
        threading.Thread(target=_client, args=(load, number, tally, stop, deadline), daemon=True)
        for number in range(load.clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        # Each request times out after httpclient.TIMEOUT: no thread outlives this.
        thread.join(timeout=max(0.0, deadline - time.perf_counter()) + 60)
    stop.set()
    # Throughput over the time it took to fill the diary, not the clients' last empty looks.
    elapsed = (tally.last_booking_at or time.perf_counter()) - started
    return {
        "clients": load.clients,
        "requests": tally.requests,
        "booked": tally.booked,
        "conflicts": tally.conflicts,
        "failures": tally.failures,
        "post_statuses": dict(sorted(tally.post_statuses.items())),
        "conflict_rate": round(tally.conflicts / max(1, len(tally.book_ms)), 3),
        "seconds": round(elapsed, 1),
        "bookings_per_second": round(tally.booked / elapsed, 1) if elapsed > 0 else 0.0,
        "book_latency": summary(tally.book_ms) if tally.book_ms else None,
        "availability_latency": summary(tally.availability_ms) if tally.availability_ms else None,
        "diary_full": tally.full,
        "stopped_by": "full" if tally.full else "limit",
    }


def warm(load: Load, seconds: float) -> int:
    """Before a measured load: `load.clients` clients each asking for the availability, and
    POSTing one empty booking (a 400) to reach the booking's code, for `seconds`, so that
    every server worker has started, imported what it serves lazily and answered before
    the CPU is first sampled. Books nothing. Returns the number of requests answered."""
    deadline = time.perf_counter() + seconds
    answered = []
    path = "/api/v1/availability/?" + urlencode(
        {"treatment": load.treatment, "from": load.first_day, "to": load.last_day}
    )

    def ask() -> None:
        client = Client(load.base_url)
        try:
            client.request("POST", "/api/v1/appointments/", {})
            while time.perf_counter() < deadline:
                client.request("GET", path)
                answered.append(1)
        finally:
            client.close()

    threads = [threading.Thread(target=ask, daemon=True) for _ in range(load.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)  # each request times out after httpclient.TIMEOUT
    return len(answered)


def _client(load: Load, number: int, tally: Tally, stop, deadline: float) -> None:
    rng = random.Random(number)
    client = Client(load.base_url)
    path = "/api/v1/availability/?" + urlencode(
        {"treatment": load.treatment, "from": load.first_day, "to": load.last_day}
    )
    visit = 0
    try:
        while not stop.is_set() and time.perf_counter() < deadline:
            with tally.lock:
                if tally.requests >= load.max_requests:
                    return
            status, data, elapsed = client.request("GET", path)
            tally.record("availability", status, elapsed)
            if status != 200:
                continue
            if not data["slots"]:
                tally.full = True
                stop.set()
                return
            visit += 1
            _book(client, load, tally, rng, data["slots"], email=f"c{number}-{visit}@bench.test")
    finally:
        client.close()


def _book(client: Client, load: Load, tally: Tally, rng: random.Random, slots, *, email):
    for _ in range(1 + RETRIES_AFTER_CONFLICT):
        slot = rng.choice(slots)
        body = {
            "treatment": load.treatment,
            "start": slot["start"],
            "client": {"name": "Bench Client", "email": email},
        }
        if rng.random() < 0.5:
            body["practitioner"] = rng.choice(slot["practitioners"])
        status, data, elapsed = client.request("POST", "/api/v1/appointments/", body)
        tally.record("book", status, elapsed)
        if status != 409 or not data or not data.get("alternatives"):
            return
        slots = data["alternatives"]
