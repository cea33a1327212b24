"""Drill: slow clients against the web server exactly as `make run` starts it (Procfile's
`web:` line, on a free loopback port, against the test database). 150 connections each
promise a 1,000-byte body and send 10 bytes, then hang (more than waitress's default limit
of 100 connections); meanwhile plain GETs must all be answered, none with a 5xx or a
timeout. A server that reads the body in the thread or process that runs the app
(gunicorn's sync workers) is starved by three of them."""

import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.loopback import free_port, wait_until

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SLOW_CLIENTS = 150
GETS = 20
GET_TIMEOUT = 3.0  # seconds; a GET that takes longer counts as a timeout
GET_PHASE = 20.0  # seconds; the GETs not begun by then count as not answered
PAGE = "/"


def web_command(port: int) -> list[str]:
    """Procfile's `web:` line, its port replaced: the drill runs what `make run` runs."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    return shlex.split(line.removeprefix("web:").replace("127.0.0.1:8000", f"127.0.0.1:{port}"))


def get(port: int, path: str) -> int | None:
    """The status of one plain GET on a new connection; None if no answer in time."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=GET_TIMEOUT) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            status_line = sock.makefile("rb").readline()
    except OSError:  # includes socket.timeout
        return None
    parts = status_line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def slow_client(port: int) -> socket.socket:
    """A form POST that promises 1,000 bytes and sends 10. With a CSRF cookie of the right
    shape, Django's CSRF check reads the form for its token: whoever runs the app waits for
    the body there."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=GET_TIMEOUT)
    sock.sendall(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken=" + b"a" * 32 + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        b"q=slow&x=1"
    )
    return sock


@pytest.fixture
def web_server():
    """The Procfile's web server on a free port, against the test database; its output is
    kept to check that it logged the requests."""
    port = free_port()
    settings = connection.settings_dict
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        ),
    }
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        web_command(port),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: get(port, PAGE) == 200, timeout=30, what="the web server")
        yield port, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def test_slow_request_bodies_do_not_starve_plain_requests(web_server, drill_report):
    if connection.vendor != "postgresql":
        pytest.skip("the server process needs a database it can share with the test")
    port, log = web_server
    slow = [slow_client(port) for _ in range(SLOW_CLIENTS)]
    try:
        time.sleep(0.5)  # let the server take them all in
        statuses, seconds = [], []
        deadline = time.monotonic() + GET_PHASE
        while len(statuses) < GETS and time.monotonic() < deadline:
            began = time.monotonic()
            statuses.append(get(port, PAGE))
            seconds.append(time.monotonic() - began)
    finally:
        for sock in slow:
            sock.close()

    attempted = len(statuses)
    answered = sum(status == 200 for status in statuses)
    errors = sum(status is not None and status >= 500 for status in statuses)
    timeouts = statuses.count(None)
    p95 = sorted(seconds)[int(0.95 * (len(seconds) - 1))]
    drill_report(
        f"slow clients: {SLOW_CLIENTS} bodies hanging; GETs attempted {attempted}, answered "
        f"{answered}, 5xx {errors}, timed out {timeouts}, p95 {p95 * 1000:.0f} ms"
    )
    assert (errors, timeouts) == (0, 0), statuses
    assert answered == attempted == GETS, statuses
    log.seek(0)
    assert log.read().decode(errors="replace").count(f"GET {PAGE}") >= GETS, "no access log"
