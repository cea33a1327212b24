"""Child processes of the bench: Django workers that print JSON, and gunicorn.

Each child gets its own process group, so stopping it stops everything it forked (gunicorn's
workers included); every group still alive at exit is stopped by atexit.
"""

import atexit
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PYTHON = sys.executable  # run.py runs under the project's .venv


def _ports(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


# The range this machine leaves to the bench; BENCH_PORTS=8200-8299 moves it (a machine
# where something else uses these).
PORTS = _ports(os.environ.get("BENCH_PORTS", "8100-8199"))

_children: set[subprocess.Popen] = set()


def start(argv: list[str], **kwargs) -> subprocess.Popen:
    """Start a child as the leader of a new process group, remembered until stopped."""
    process = subprocess.Popen(argv, start_new_session=True, **kwargs)
    _children.add(process)
    return process


def stop_group(process: subprocess.Popen, *, grace: float = 10.0) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it is still there after
    `grace`. Only a group whose leader we have not reaped yet is signalled, so a recycled
    process id is never hit."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    _children.discard(process)


def stop_all() -> None:
    for process in list(_children):
        stop_group(process, grace=3)


atexit.register(stop_all)


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """The project's settings as production would have them, on a bench database."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
        # One load generator on one address stands for 50 clients: the per-address rate
        # limits would turn the benchmark into a measure of themselves.
        THROTTLE_BOOKING="off",
        THROTTLE_TOKEN="off",
        THROTTLE_LOOKUP="off",
        THROTTLE_SEARCH="off",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def run_json(argv: list[str], *, env: dict[str, str], cwd: Path = ROOT, timeout: float) -> dict:
    """Run a worker to completion in its own process group; its last stdout line is JSON."""
    process = start(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(process)
        raise RuntimeError(
            f"{' '.join(argv[:4])} ran past {timeout:.0f} s and was stopped"
        ) from None
    finally:
        stop_group(process)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed with exit code {process.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def worker(command: str, *args: str, database_url: str, timeout: float = 600) -> dict:
    """Run `python -m bench.worker COMMAND ARGS` (the project's Django) against a database."""
    return run_json(
        [PROJECT_PYTHON, "-m", "bench.worker", command, *args],
        env=django_env(database_url),
        timeout=timeout,
    )


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def gunicorn_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class Server:
    url: str  # the base URL, http://127.0.0.1:port
    group: int  # the process group of gunicorn and its workers


@contextlib.contextmanager
def gunicorn(database_url: str, *, workers: int | None = None, ready_path: str):
    """The project's WSGI app under gunicorn on a free loopback port; yields its Server.

    Its output goes to a temporary file, shown only if it fails to start: under load the
    app logs every 409 at WARNING through Django's request logger.
    """
    port = free_port()
    workers = workers or gunicorn_workers()
    with tempfile.TemporaryFile(mode="w+") as log:
        process = start(
            [
                str(Path(PROJECT_PYTHON).with_name("gunicorn")),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--backlog",
                "256",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=django_env(database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                _wait_ready(process, base + ready_path, timeout=60)
            except RuntimeError:
                log.seek(0)
                print(log.read()[-3000:], file=sys.stderr)
                raise
            yield Server(url=base, group=process.pid)
        finally:
            stop_group(process)


def _wait_ready(process: subprocess.Popen, url: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")
