"""Aftercare throughput: a bench database's outbox drained by Celery workers into an SMTP sink.

The workers are the project's own (`celery -A config worker`, prefork, the first with beat
embedded as the one dispatcher) on the project's settings, against a private redis-server
on loopback; the sink is an aiosmtpd server in a thread of this process that accepts every
message and notes when each outbox row arrives, by the id in its Message-ID. The rows are
made due at one instant once the workers are ready; lag runs from that instant to arrival.
"""

import contextlib
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

from bench import cpu, pgadmin, procs
from bench.stats import percentile

REDIS_SERVER = "/usr/bin/redis-server"
WORKERS = 2
CONCURRENCY = 2  # prefork processes per worker
LEAD_SECONDS = 2  # the rows are committed this long before the instant they fall due
# Waited after the last arrival before counting: more than a dispatcher tick, so a duplicate
# sent by a second claim would be seen.
SETTLE_SECONDS = 7
OUTBOX_ID = re.compile(rb"^Message-ID:\s*<outbox-(\d+)@", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Drain:
    database: str
    messages: int
    max_seconds: float  # the wait for the last message is bounded by this


class Sink:
    """Accepts every message; records (outbox id, arrival time, connection number), -1 for a
    foreign one. A send task sends its batch over one SMTP connection, so the messages per
    connection are the batches' sizes."""

    def __init__(self, port: int):
        self.port = port
        # Both appended to by the server's thread only; the sessions are kept so that no
        # connection's number is taken by a later one.
        self.arrivals: list[tuple[int, float, int]] = []
        self.connections: dict[object, int] = {}
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope):
        headers = envelope.content.partition(b"\r\n\r\n")[0]
        found = OUTBOX_ID.search(headers)
        connection = self.connections.setdefault(session, len(self.connections))
        self.arrivals.append((int(found[1]) if found else -1, time.time(), connection))
        return "250 Message accepted"

    def delivered(self) -> int:
        return len({pk for pk, _, _ in list(self.arrivals)})


@contextlib.contextmanager
def redis_server(folder: Path):
    """A redis-server of our own (no persistence); yields its URL."""
    port = procs.free_port()
    process = procs.start(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1, socket_timeout=1)
    try:
        _wait(lambda: _answers(client), timeout=15, what="redis-server to answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        procs.stop_group(process)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def celery_worker(name: str, *, env: dict, folder: Path, beat: bool):
    log = folder / f"{name}.log"
    argv = [procs.PROJECT_PYTHON, "-m", "celery", "-A", "config", "worker", "-n", f"{name}@%h"]
    argv += ["-c", str(CONCURRENCY), "-l", "info"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    if beat:
        argv += ["-B", "--schedule", str(folder / "beat-schedule")]
    with open(log, "wb") as out:
        process = procs.start(argv, cwd=procs.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"worker {name} exited:\n{log.read_text()[-3000:]}")
            return " ready." in log.read_text(errors="replace")

        _wait(ready, timeout=90, what=f"worker {name} to be ready")
        yield process
    finally:
        procs.stop_group(process)


def _wait(predicate, *, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def run(drain: Drain) -> dict:
    """Seed the outbox, start Redis, the sink and the workers, make every row due at once,
    wait (bounded) for the last to arrive; the figures."""
    url = pgadmin.url_for(drain.database)
    seeded = procs.worker("seed-outbox", str(drain.messages), database_url=url, timeout=600)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-outbox-")))
        broker = stack.enter_context(redis_server(folder))
        server = Sink(procs.free_port())
        server.controller.start()
        stack.callback(server.controller.stop)
        env = procs.django_env(
            url,
            REDIS_URL=broker,
            CELERY_BROKER_URL=broker,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(server.port),
            # Every process of every worker gets a share of each claim.
            AFTERCARE_SENDERS=str(WORKERS * CONCURRENCY),
        )
        workers = {
            stack.enter_context(
                celery_worker(f"bench{n + 1}", env=env, folder=folder, beat=n == 0)
            ).pid
            for n in range(WORKERS)
        }
        workers_before = cpu.groups_seconds(workers)
        backends = cpu.Backends(pgadmin.actual(drain.database))
        due = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        pgadmin.execute(drain.database, "UPDATE aftercare_message SET due_at = %s", (due,))
        print(f"  {drain.messages:,} messages due at {due:%H:%M:%S}; draining...", flush=True)
        try:
            _wait(
                lambda: server.delivered() >= drain.messages,
                timeout=LEAD_SECONDS + drain.max_seconds,
                what="the last message",
                interval=0.25,
            )
            finished = True
        except RuntimeError:
            finished = False
        spent = {
            "workers": cpu.groups_seconds(workers) - workers_before,
            "postgres": backends.seconds(),
        }
        time.sleep(SETTLE_SECONDS)
        arrivals = list(server.arrivals)
    statuses = dict(
        pgadmin.execute(
            drain.database, "SELECT status, count(*) FROM aftercare_message GROUP BY status"
        )
    )
    expected = {pk for (pk,) in pgadmin.execute(drain.database, "SELECT id FROM aftercare_message")}
    found = figures(arrivals, expected=expected, due=due.timestamp())
    return {
        **seeded,
        **found,
        # From the due instant to the last arrival; the workers' includes beat's idle ticks.
        "cpu_ms_per_message": {
            part: round(seconds * 1000 / found["delivered"], 2) for part, seconds in spent.items()
        }
        if found["delivered"]
        else None,
        "finished": finished,
        "statuses": statuses,
    }


def figures(arrivals: list[tuple[int, float, int]], *, expected: set[int], due: float) -> dict:
    """Throughput and lag (seconds) from the sink's record; lost and duplicated by id; the
    messages per SMTP connection (a send task's batch)."""
    first: dict[int, float] = {}
    copies: dict[int, int] = {}
    per_connection: dict[int, int] = {}
    for pk, at, connection in arrivals:
        first[pk] = min(at, first.get(pk, at))
        copies[pk] = copies.get(pk, 0) + 1
        per_connection[connection] = per_connection.get(connection, 0) + 1
    sizes = sorted(per_connection.values())
    delivered = [first[pk] for pk in expected if pk in first]
    lags = sorted(at - due for at in delivered)
    span = max(lags) if lags else 0.0
    return {
        "delivered": len(delivered),
        "lost": len(expected) - len(delivered),
        "duplicated": sum(copies[pk] - 1 for pk in expected if pk in copies),
        "foreign": sum(n for pk, n in copies.items() if pk not in expected),
        "per_second": round(len(delivered) / span, 1) if span > 0 else None,
        "seconds": round(span, 2),
        "lag": {
            "first": round(lags[0], 2),
            "median": round(statistics.median(lags), 2),
            "p95": round(percentile(lags, 0.95), 2),
            "max": round(lags[-1], 2),
        }
        if lags
        else None,
        "batches": {
            "count": len(sizes),
            "mean": round(statistics.mean(sizes), 1),
            "median": statistics.median(sizes),
            "of_one": sizes.count(1),
            "under_ten": sum(1 for n in sizes if n < 10),
            "max": sizes[-1],
        }
        if sizes
        else None,
    }
