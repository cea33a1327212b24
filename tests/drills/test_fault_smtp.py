"""Fault drills for sending, against a deliberately slow SMTP server on loopback
(tests/slow_smtp.py) and real Celery workers: a late reply to the end of DATA, every command
slow enough that the batch's time budget bites, a slow server with several worker processes
(throughput), the database connection cut under a worker mid-batch, and (on the demo's
SQLite configuration, through gunicorn) clients booking while every message takes 5 s to be
accepted. Each prints its figures and asserts counts: 5xx, timeouts, lost, duplicated,
stuck claims; the timings are printed, never asserted.

The workers here run with production's EMAIL_TIMEOUT (10 s) and a claim timeout of 300 s:
a claim left stranded shows as stuck at the end instead of being swept back mid-drill.
"""

import json
import os
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from aftercare.models import Message
from tests.aftercare.test_outbox import make_messages
from tests.loopback import CeleryWorker, Process, free_port, wait_until

pytestmark = [pytest.mark.drill, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

WORKERS, CONCURRENCY = 2, 2  # four send processes in all


@pytest.fixture(scope="module")
def worker_settings():
    return {
        "AFTERCARE_DISPATCH_SECONDS": "1",
        "AFTERCARE_SWEEP_SECONDS": "1",
        "AFTERCARE_CLAIM_TIMEOUT": "300",
        "AFTERCARE_RETRY_SECONDS": "2",
        "AFTERCARE_MAX_ATTEMPTS": "5",
        "AFTERCARE_MAX_IN_FLIGHT": "50",
        "AFTERCARE_SENDERS": str(WORKERS * CONCURRENCY),
        "EMAIL_TIMEOUT": "10",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture(scope="module")
def worker_env(worker_env, slow_smtp):
    """The loopback fixtures' worker environment, sending to the slow server."""
    return {**worker_env, "EMAIL_PORT": str(slow_smtp.port)}


@pytest.fixture(scope="module")
def workers(start_worker):
    return [start_worker(f"slow{n}") for n in range(WORKERS)]


@pytest.fixture
def server(slow_smtp, workers):
    slow_smtp.clear()
    yield slow_smtp
    # The workers must be done with this test's rows before the database is emptied.
    slow_smtp.delays = {}
    Message.objects.filter(status=Message.Status.PENDING).update(status=Message.Status.CANCELLED)
    wait_until(
        lambda: not Message.objects.filter(status=Message.Status.SENDING).exists(),
        timeout=60,
        what="in-flight sends to finish",
    )
    slow_smtp.clear()


def wait_settled(messages, *, timeout: float) -> float:
    """Wait, at most `timeout` seconds, until none of `messages` is pending or claimed, then a
    dispatcher tick more (a duplicate would show by then); the seconds it took. Never fails:
    the drill reports what it found."""
    ids = [m.pk for m in messages]
    unsettled = Message.objects.filter(
        pk__in=ids, status__in=[Message.Status.PENDING, Message.Status.SENDING]
    )
    started = time.monotonic()
    while unsettled.exists() and time.monotonic() - started < timeout:
        time.sleep(0.5)
    took = time.monotonic() - started
    time.sleep(3)
    return took


def figures(server, messages) -> dict:
    ids = [m.pk for m in messages]
    counts = server.outbox_counts()
    arrived = [counts.get(pk, 0) for pk in ids]
    rows = Message.objects.filter(pk__in=ids)
    return {
        "expected": len(ids),
        "sent": sum(1 for n in arrived if n),
        "lost": sum(1 for n in arrived if n == 0),
        "duplicated": sum(n - 1 for n in arrived if n > 1),
        "failed": rows.filter(status=Message.Status.FAILED).count(),
        "unconfirmed": rows.filter(last_error__startswith="Unconfirmed").count(),
        "stuck claims": rows.filter(status=Message.Status.SENDING).count(),
    }


def line(what: str, found: dict, **more) -> str:
    return f"{what}: " + ", ".join(f"{key} {value}" for key, value in {**found, **more}.items())


def test_a_late_reply_to_the_end_of_data_delivers_each_message_once(server, drill_report):
    """12 s to answer the end of DATA, over EMAIL_TIMEOUT (10 s): the messages got there."""
    server.delays = {"end_of_data": 12}
    messages = make_messages(6, due_at=timezone.now())

    took = wait_settled(messages, timeout=75)

    found = figures(server, messages)
    drill_report(line("end of DATA answered after 12 s (timeout 10 s)", found, seconds=round(took)))
    assert found == {**found, "sent": 6, "lost": 0, "duplicated": 0, "failed": 0}
    assert (found["unconfirmed"], found["stuck claims"]) == (6, 0)
    assert set(Message.objects.values_list("status", "attempts")) == {(Message.Status.SENT, 1)}


def test_every_command_slow_sends_no_message_twice(server, drill_report):
    """MAIL, RCPT, DATA and the end of DATA each answered after 8 s: a send takes 32 s,
    past the batch's budget and past the soft time limit the send task used to have."""
    server.delays = dict.fromkeys(["mail", "rcpt", "data", "end_of_data"], 8)
    messages = make_messages(4, due_at=timezone.now())

    took = wait_settled(messages, timeout=80)

    found = figures(server, messages)
    drill_report(line("every command answered after 8 s", found, seconds=round(took)))
    assert found == {**found, "sent": 4, "lost": 0, "duplicated": 0, "failed": 0}
    assert (found["unconfirmed"], found["stuck claims"]) == (0, 0)


def test_a_slow_server_is_worked_by_every_worker_process(server, drill_report):
    """5 s to accept each message: the claim is cut so that all four processes send."""
    server.delays = {"end_of_data": 5}
    messages = make_messages(32, due_at=timezone.now())

    took = wait_settled(messages, timeout=75)

    found = figures(server, messages)
    rate = found["sent"] / took if took else 0
    drill_report(
        line(
            f"5 s per message, {WORKERS}x{CONCURRENCY} worker processes",
            found,
            seconds=round(took),
            messages_per_second=f"{rate:.2f} (one process alone: 0.20)",
        )
    )
    assert found == {**found, "sent": 32, "lost": 0, "duplicated": 0, "failed": 0}
    assert found["stuck claims"] == 0


def cut_worker_connections() -> int:
    """From a connection of our own, end every other backend on the test database (the
    workers', their beats'), as a failover or a network cut would; how many."""
    connection.ensure_connection()
    ours = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        rows = other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s) "
            "AND backend_type = 'client backend'",
            [ours],
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


def test_a_database_connection_cut_mid_batch_strands_nothing(server, drill_report):
    server.delays = {"end_of_data": 0.05}  # so that a cut finds batches half done
    messages = make_messages(200, due_at=timezone.now())
    cuts = []
    for delivered in (30, 90, 150):
        wait_until(
            lambda d=delivered: sum(server.outbox_counts().values()) >= d,
            timeout=60,
            what=f"{delivered} deliveries",
            interval=0.05,
        )
        cuts.append(cut_worker_connections())

    took = wait_settled(messages, timeout=60)

    found = figures(server, messages)
    rows = Message.objects.filter(pk__in=[m.pk for m in messages])
    charged = rows.filter(attempts__gt=1).count()
    drill_report(
        line(
            f"database connections cut 3 times mid-batch ({sum(cuts)} backends ended)",
            found,
            attempts_charged_without_smtp=charged,
            seconds=round(took),
        )
    )
    assert found == {**found, "sent": 200, "lost": 0, "duplicated": 0, "failed": 0}
    assert (found["stuck claims"], charged) == (0, 0)
    assert not rows.exclude(last_error="").exists()


# -- the demo's configuration: SQLite, gunicorn, a worker with its beat -----------------------

# Each start time is asked for four times, by four clients in turn: two are held (one per
# practitioner) and emailed, two are refused (409) after taking the write lock all the same.
CLIENTS, ATTEMPTS_EACH, ASKS_PER_TIME, PAUSE = 30, 6, 4, 0.5
# A booking unanswered after this long is counted a timeout; none starts after BOOKING_SECONDS.
ANSWER_SECONDS, BOOKING_SECONDS = 30, 60
SENDERS = 12  # 12 x 0.2 messages a second drain the held bookings' emails within the drill
SQLITE_SETUP = """
from datetime import time
from tests import factories
clinic = factories.ClinicFactory(slug="drill", min_notice_minutes=0, max_advance_days=60)
treatment = factories.TreatmentFactory(clinic=clinic, slug="drill-facial", duration_minutes=30)
practitioners = [
    factories.PractitionerFactory(clinic=clinic, name=name, treatments=[treatment])
    for name in ("Amelia", "Sofia")
]
for weekday in range(7):
    factories.OpeningHoursFactory(
        clinic=clinic, weekday=weekday, opens=time(0), closes=time(23, 59)
    )
    for p in practitioners:
        factories.WorkingHoursFactory(
            practitioner=p, weekday=weekday, starts=time(0), ends=time(23, 59)
        )
"""


@pytest.fixture
def demo_site(tmp_path, worker_env, slow_smtp, private_redis):
    """`make run`'s configuration on a fresh SQLite file: gunicorn with 3 workers, a Celery
    worker with SENDERS processes and its beat, sending to the slow server. No Django in this
    process touches the file: it is read with sqlite3 afterwards."""
    database = tmp_path / "demo.sqlite3"
    env = {key: value for key, value in worker_env.items() if key != "DATABASE_URL"}
    # A Redis database of its own: the module's PostgreSQL workers must not take its tasks.
    broker = private_redis.url.rsplit("/", 1)[0] + "/1"
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        REDIS_URL=broker,
        CELERY_BROKER_URL=broker,
        AFTERCARE_CLAIM_TIMEOUT="600",  # the demo's
        AFTERCARE_SENDERS=str(SENDERS),
        THROTTLE_BOOKING="off",
        CACHE_URL="locmem://",
    )
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "--noinput"], ["shell", "-c", SQLITE_SETUP]):
        Process([*manage, *args], log=tmp_path / f"{args[0]}.log", env=env).popen.wait(120)
    port = free_port()
    web = Process(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "config.wsgi"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "3", "--timeout", "120"],
        log=tmp_path / "gunicorn.log",
        env=env,
    )
    worker = CeleryWorker("demo", env=env, workdir=tmp_path, concurrency=SENDERS)
    try:
        wait_until(lambda: _answers(port), timeout=30, what="gunicorn to answer")
        worker.wait_ready()
        yield f"http://127.0.0.1:{port}", database
    finally:
        worker.stop()
        web.stop()


def _answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def test_clients_book_on_sqlite_while_the_mail_server_is_slow(demo_site, slow_smtp, drill_report):
    """Each message takes 5 s to be accepted while 30 clients book (each booking is held and
    its confirmation link emailed): bookings are answered at once, mail goes at its pace."""
    site, database = demo_site
    slow_smtp.clear()
    slow_smtp.delays = {"end_of_data": 5}
    first = timezone.localdate() + timedelta(days=2)
    answers: list[tuple[int, float]] = []
    lock = threading.Lock()

    stop_at = time.monotonic() + BOOKING_SECONDS

    def client(n: int) -> None:
        for k in range(ATTEMPTS_EACH):
            if time.monotonic() > stop_at:
                return
            slot = (k * CLIENTS + n) // ASKS_PER_TIME
            start = f"{first + timedelta(days=slot // 20)}T{slot % 20 + 2:02d}:00:00+00:00"
            body = {
                "treatment": "drill-facial",
                "start": start,
                "client": {"name": f"Client {n}", "email": f"client{n}.{k}@example.com"},
            }
            request = urllib.request.Request(
                f"{site}/api/v1/appointments/",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            began = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=ANSWER_SECONDS) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except TimeoutError:
                status = 0  # no answer in time
            with lock:
                answers.append((status, time.monotonic() - began))
            time.sleep(PAUSE)

    clients = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=max(0, stop_at + ANSWER_SECONDS + 5 - time.monotonic()))

    def read(sql: str) -> list:
        with sqlite3.connect(database, timeout=30) as db:
            return db.execute(sql).fetchall()

    def messages(*statuses: str) -> int:
        marks = ", ".join("?" * len(statuses))
        with sqlite3.connect(database, timeout=30) as db:
            sql = f"SELECT count(*) FROM aftercare_message WHERE status IN ({marks})"
            return db.execute(sql, statuses).fetchone()[0]

    def unsettled() -> int:
        return messages("pending", "sending")

    began = time.monotonic()
    while unsettled() and time.monotonic() - began < 75:
        time.sleep(1)
    time.sleep(3)
    holds = [pk for (pk,) in read("SELECT id FROM aftercare_message WHERE kind = 'hold'")]
    counts = slow_smtp.outbox_counts()
    arrived = [counts.get(pk, 0) for pk in holds]
    latencies = sorted(seconds for _, seconds in answers)
    found = {
        "bookings attempted": len(answers),
        "stored": read("SELECT count(*) FROM bookings_appointment")[0][0],
        "5xx": sum(1 for status, _ in answers if status >= 500),
        "timeouts": sum(1 for status, _ in answers if status == 0),
        "p95 s": round(latencies[int(len(latencies) * 0.95) - 1], 2) if latencies else None,
        "emails expected": len(holds),
        "sent": sum(1 for n in arrived if n),
        "lost": sum(1 for n in arrived if n == 0),
        "duplicated": sum(n - 1 for n in arrived if n > 1),
        "stuck claims": messages("sending"),
    }
    drill_report(line("SQLite demo, 5 s per message accepted, 30 clients booking", found))
    assert len(answers) == CLIENTS * ATTEMPTS_EACH
    assert (found["5xx"], found["timeouts"]) == (0, 0)
    assert {status for status, _ in answers} <= {202, 409}
    assert found["stored"] == found["emails expected"] > 0
    assert (found["lost"], found["duplicated"], found["stuck claims"]) == (0, 0, 0)
