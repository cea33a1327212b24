"""Real servers on loopback for the aftercare tests: an SMTP inbox (aiosmtpd, in this process),
a private redis-server and Celery worker processes. Each starts on a free port, is stopped
with its whole process group, and every wait is bounded."""

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Inbox:
    """An SMTP server that keeps what it receives; `refuse` makes it answer DATA with a
    temporary failure, as a mail relay does when it is overloaded, and `refuse_recipients`
    answers RCPT for some addresses with the reply given."""

    def __init__(self):
        self.port = free_port()
        self.refuse: str | None = None
        self.refuse_recipients: dict[str, str] = {}
        self._lock = threading.Lock()
        self._messages: list[email.message.EmailMessage] = []
        self._peers: list[tuple] = []  # the client's address and port, per message
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._messages.append(parsed)
            self._peers.append(session.peer)
        return "250 Message accepted"

    @property
    def messages(self) -> list:
        with self._lock:
            return list(self._messages)

    def go_down(self) -> None:
        """Stop listening: senders now get "connection refused", as when the relay is down."""
        self.controller.stop()

    def come_back(self) -> None:
        """Listen again on the same port (the workers were told that port)."""
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._peers.clear()
        self.refuse = None
        self.refuse_recipients = {}

    def connections(self) -> int:
        """How many SMTP connections the messages kept so far arrived over."""
        with self._lock:
            return len(set(self._peers))

    def for_outbox(self, message_id: int) -> list:
        return [m for m in self.messages if m["Message-ID"].startswith(f"<outbox-{message_id}@")]

    def outbox_counts(self) -> Counter:
        """How many times each outbox row arrived, by the id in its Message-ID."""
        return Counter(int(m["Message-ID"].split("-")[1].split("@")[0]) for m in self.messages)


class Process:
    """A child process in its own session (process group), logging to a file."""

    def __init__(self, args, *, log: Path, env: dict | None = None):
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                args,
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to the leader (Celery then shuts its pool and beat down itself), then
        SIGKILL to whatever is left of the group."""
        try:
            if self.popen.poll() is None:
                self.popen.terminate()
                try:
                    self.popen.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=5)


class RedisServer:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: Process | None = None
        self.started = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        """Start on self.port (again, after stop(): the workers were told that port). The
        first start takes another free port if this one went to someone else (another test
        process under pytest -n) between free_port() and redis-server's bind."""
        for attempt in range(3):
            args = ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            args += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
            self.process = Process(args, log=self.workdir / "redis.log")
            wait_until(
                lambda: self.ping() or self.process.popen.poll() is not None,
                timeout=15,
                what="redis-server to answer",
            )
            if self.process.popen.poll() is None:  # ours answered, not another's on the port
                self.started = True
                return
            if self.started or attempt == 2:
                raise AssertionError(f"redis-server did not start:\n{self.process.output()}")
            self.port = free_port()

    def stop(self) -> None:
        if self.process:
            self.process.stop(timeout=10)  # returns once the process has exited

    def queue_length(self) -> int:
        return self.client().llen("celery")


class CeleryWorker:
    """`celery worker -B`: a worker with its own beat, so each one is also a dispatcher."""

    def __init__(self, name: str, *, env: dict, workdir: Path, concurrency: int = 2):
        self.name = name
        schedule = workdir / f"beat-{name}"
        args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-B"]
        args += ["--schedule", str(schedule), "-n", f"{name}@%h", "-c", str(concurrency)]
        args += ["-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.process = Process(args, log=workdir / f"{name}.log", env=env)

    def wait_ready(self, timeout: float = 60) -> None:
        def ready():
            if self.process.popen.poll() is not None:
                raise AssertionError(f"worker {self.name} exited:\n{self.process.output()}")
            return " ready." in self.process.output()

        wait_until(ready, timeout=timeout, what=f"worker {self.name} to be ready", interval=0.2)

    def mark(self) -> int:
        """A place in the log; the counts below read from there on."""
        return len(self.process.output())

    def _succeeded(self, task: str, since: int) -> list[str]:
        lines = self.process.output()[since:].splitlines()
        return [line for line in lines if f"Task {task}[" in line and " succeeded " in line]

    def sends(self, since: int = 0) -> int:
        """Send tasks this worker ran to the end."""
        return len(self._succeeded("aftercare.send", since))

    def claims(self, since: int = 0) -> int:
        """Messages this worker's dispatch tasks claimed (each logs how many it returned)."""
        return sum(
            int(line.rsplit(":", 1)[1]) for line in self._succeeded("aftercare.dispatch", since)
        )

    def stop(self) -> None:
        self.process.stop()
