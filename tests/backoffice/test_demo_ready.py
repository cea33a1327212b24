"""`manage.py demo_ready`, the last lines of `make run`: it waits for the web server, then
prints the addresses and logins; a server that never answers is said in one line."""

import socket
from io import StringIO

import pytest
from django.core.management import call_command

from backoffice.management.commands import demo_ready


def run(*args) -> str:
    out = StringIO()
    call_command("demo_ready", *args, "--once", stdout=out)
    return out.getvalue()


@pytest.fixture
def no_worker_wait(monkeypatch):
    monkeypatch.setattr(demo_ready, "worker_answers", lambda: True)
    monkeypatch.setattr(demo_ready.time, "sleep", lambda seconds: None)


def test_it_prints_the_logins_once_the_web_server_answers(live_server, no_worker_wait):
    printed = run("--url", live_server.url, "--timeout", "10")

    assert "is ready." in printed
    assert "Username:  admin" in printed
    assert "Workspace: http://127.0.0.1:8000/staff/" in printed
    assert printed.rstrip().endswith("Ctrl-C stops it all.")


def test_a_server_that_never_answers_is_said_in_one_line(db, no_worker_wait):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    printed = run("--url", f"http://127.0.0.1:{port}/", "--timeout", "0.5")

    assert printed.strip() == f"The web server did not answer at http://127.0.0.1:{port}/ in 0 s."
