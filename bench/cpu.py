"""Where the CPU went during a load: the web workers, PostgreSQL, the load generator.

Read from /proc (Linux): a process's user and system time from /proc/<pid>/stat, the whole
machine's busy time from /proc/stat. A sample before and after the load; the differences,
divided by the bookings made, say what one booking costs each part. Elsewhere than Linux
the figures are simply missing.
"""

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Sample:
    web: float  # seconds of CPU: the gunicorn process group
    postgres: float  # every process named postgres (its backends serve the load)
    generator: float  # this process: the load generator's threads
    machine: float  # every core's busy time (not idle, not waiting for I/O)


def _stat(pid_dir: Path) -> tuple[str, int, float] | None:
    """(command name, process group, CPU seconds) of one process, None if it has gone."""
    try:
        text = (pid_dir / "stat").read_text()
    except OSError:
        return None
    # The name is in parentheses and may hold spaces; the fields after it are plain.
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    pgrp = int(fields[2])
    utime, stime = int(fields[11]), int(fields[12])
    return name, pgrp, (utime + stime) / TICK


def runtime(pid: int) -> float | None:
    """Seconds one process (its main thread: a PostgreSQL backend has no other) has run on a
    CPU, from /proc/<pid>/schedstat in nanoseconds; None where there is none. /proc/<pid>/stat
    counts clock ticks (10 ms): a request of a millisecond reads as 0 or 10, and a sum over a
    few hundred of them drifts by a sixth."""
    try:
        return int((PROC / str(pid) / "schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _machine_busy() -> float:
    # cpu user nice system idle iowait irq softirq steal ...
    values = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = values[0] + values[1] + values[2] + sum(values[5:8])
    return busy / TICK


def sample(web_group: int) -> Sample | None:
    if not (PROC / "stat").exists():
        return None
    web = postgres = 0.0
    for pid_dir in PROC.iterdir():
        if not pid_dir.name.isdigit():
            continue
        stat = _stat(pid_dir)
        if stat is None:
            continue
        name, pgrp, seconds = stat
        if pgrp == web_group:
            web += seconds
        elif name == "postgres":
            postgres += seconds
    return Sample(
        web=web, postgres=postgres, generator=time.process_time(), machine=_machine_busy()
    )


def per_event(before: Sample | None, after: Sample | None, events: int) -> dict | None:
    """Milliseconds of CPU per event for each part, and the machine's total."""
    if before is None or after is None or events <= 0:
        return None
    return {
        part: round((getattr(after, part) - getattr(before, part)) * 1000 / events, 1)
        for part in ("web", "postgres", "generator", "machine")
    }


def groups_seconds(groups: set[int]) -> float:
    """CPU seconds of the live processes of the process groups `groups` (a prefork Celery
    worker and its children, which live as long as it does)."""
    total = 0.0
    for pid_dir in PROC.iterdir():
        if pid_dir.name.isdigit() and (stat := _stat(pid_dir)) is not None and stat[1] in groups:
            total += stat[2]
    return total


class Backends:
    """CPU seconds of the PostgreSQL backends connected to one database, sampled every
    half second in a thread while the load runs (their process title names the
    database), so a backend that exits during the load still counts up to its last
    sample; other work on a shared server is not counted."""

    def __init__(self, database: str):
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.others: set[int] = set()
        self.stop = threading.Event()
        self.sample()
        self.first = dict(self.last)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            self.sample()

    def sample(self) -> None:
        for pid_dir in PROC.iterdir():
            if not pid_dir.name.isdigit():
                continue
            pid = int(pid_dir.name)
            if pid in self.others:
                continue
            if pid not in self.last:
                try:
                    title = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except (OSError, UnicodeDecodeError):
                    continue
                if not title.startswith("postgres: ") or f" {self.database} " not in title:
                    self.others.add(pid)
                    continue
            stat = _stat(pid_dir)
            if stat is not None:
                self.last[pid] = stat[2]

    def seconds(self) -> float:
        self.stop.set()
        self.thread.join()
        self.sample()
        return sum(self.last[pid] - self.first.get(pid, 0.0) for pid in self.last)
