"""Booking under contention, checkouts side by side in one run (issue 16: "the booking
rate under contention at least 2x today's on the same machine in the same run").

    .venv/bin/python -m bench.contention old=../wt-old new=. [--rounds 3] [--server sync]
        [--warm 3]

Each round runs the booking part's load (bench/run.py `booking`) once against each side in
turn, in the order given: a fresh copy of the side's own migrated template, the same empty
two-week diary seeded by the side's own `bench.worker seed-booking` (bench/booking_clinic.py,
which all must share: the run refuses to start if the files differ), the side's own
code under gunicorn (the same workers, settings and environment, bench/procs.py), and the
load generator of THIS checkout (bench/loadgen.py) in this process for all, so all are
asked the same questions and their answers counted the same way: a POST answered 201 (a
booking) or 202 (a held booking: the public's anonymous POST) books the time. Every POST's
status is tallied per side, so a side that answers differently shows.

Before each measured load, `--warm` seconds (3 by default) of the same clients looking at the
availability (and POSTing one empty booking each, a 400): every gunicorn worker has then
started, frozen its start-up objects or imported its views lazily (as 920b9f1 does on a first
request), so the sides are compared as a clinic runs them, warm, not by their start-ups.
`--warm 0` measures from the first answer, as before 2026-12-01's last stop.

CPU is read from /proc as in bench/cpu.py, and also for the PostgreSQL backends of the
side's own database only (their process title names it; sampled twice a second, so one
that exits still counts), which other work on a shared server does not inflate. The load
averages are read at each run's start and end.
"""

import argparse
import contextlib
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cpu, loadgen, pgadmin, procs  # noqa: E402
from bench.run import CLIENTS, FULL, _overlaps  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
SHARED_FILES = ("bench/booking_clinic.py", "bench/catalogue.py", "bench/worker.py")


def _python(root: Path) -> str:
    return str(root / ".venv" / "bin" / "python")


def _env(root: Path, url: str) -> dict[str, str]:
    return procs.django_env(url, PYTHONPATH=str(root))


def _worker(root: Path, url: str, *args: str) -> dict:
    return procs.run_json(
        [_python(root), "-m", "bench.worker", *args], env=_env(root, url), cwd=root, timeout=600
    )


# How the server runs (--server for every side, or LABEL=CHECKOUT@SERVER for one):
# "sync" is bench/run.py's (gunicorn, 2 x cores + 1 sync workers, one connection per
# request), "sync:N" the same with N workers (ec8a1ee^'s Procfile: 3); "gthread" the same
# workers with threads and kept-alive connections; "waitress" today's Procfile web line
# (one process, six threads), for a checkout that has waitress.
SERVERS = ("sync", "gthread", "waitress")


def _server_kind(text: str) -> str:
    kind, _, workers = text.partition(":")
    if kind not in SERVERS or (workers and not (kind == "sync" and workers.isdigit())):
        raise argparse.ArgumentTypeError(f"{text!r}: one of {', '.join(SERVERS)}, or sync:N")
    return text


def _server_argv(root: Path, server: str, port: int) -> list[str]:
    bin_dir = root / ".venv" / "bin"
    if server == "waitress":
        return [
            str(bin_dir / "waitress-serve"),
            f"--listen=127.0.0.1:{port}",
            "--threads=6",
            "--connection-limit=500",
            "--asyncore-use-poll",
            "--channel-timeout=60",
            "--ident=lumiere",
            "config.wsgi:application",
        ]
    argv = [str(bin_dir / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    kind, _, workers = server.partition(":")
    workers = workers or str(procs.gunicorn_workers())
    argv += ["--workers", workers, "--backlog", "256", "--timeout", "60"]
    if kind == "gthread":
        argv += ["--worker-class", "gthread", "--threads", "4", "--keep-alive", "5"]
    return argv


@contextlib.contextmanager
def _server(root: Path, url: str, server: str):
    port = procs.free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        process = procs.start(
            _server_argv(root, server, port),
            cwd=root,
            env=_env(root, url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                procs._wait_ready(process, base + "/api/v1/treatments/", timeout=60)
            except RuntimeError:
                log.seek(0)
                print(log.read()[-3000:], file=sys.stderr)
                raise
            yield procs.Server(url=base, group=process.pid)
        finally:
            procs.stop_group(process)


def one_run(
    label: str, root: Path, template: str, server_kind: str = "sync", warm: float = 0.0
) -> dict:
    name = f"bench_cbook_{label}"
    url = pgadmin.create(name, template=template)
    database = pgadmin.actual(name)
    diary = _worker(root, url, "seed-booking", str(FULL.practitioners), str(FULL.rooms), "14")
    load_before = os.getloadavg()
    with _server(root, url, server_kind) as server:
        load = loadgen.Load(
            base_url=server.url,
            treatment=diary["treatment"],
            first_day=diary["first_day"],
            last_day=diary["last_day"],
            clients=CLIENTS,
            max_requests=20_000,
            max_seconds=FULL.load_seconds,
        )
        if warm:
            loadgen.warm(load, warm)
        before = cpu.sample(server.group)
        backends = cpu.Backends(database)
        load = loadgen.run(load)
        after = cpu.sample(server.group)
        own = backends.seconds()
    load_after = os.getloadavg()
    spent = cpu.per_event(before, after, load["booked"]) or {}
    if load["booked"]:
        spent["own_postgres"] = round(own * 1000 / load["booked"], 1)
    overlaps = _overlaps(name)
    stored = pgadmin.execute(
        name,
        "SELECT status, count(*) FROM bookings_appointment GROUP BY status ORDER BY status",
    )
    pgadmin.drop(name)
    return {
        "side": label,
        "server": server_kind,
        "load": load,
        "cpu": spent,
        "overlaps": overlaps,
        "stored": dict(stored),
        "loadavg": (load_before[0], load_after[0]),
    }


def _line(run: dict) -> str:
    load, spent = run["load"], run["cpu"]
    book = load["book_latency"] or {}
    get = load["availability_latency"] or {}
    return (
        f"| {run['side']} ({run['server']}) | {load['booked']} | {load['bookings_per_second']} "
        f"| {book.get('median', 0):.0f} / {book.get('p95', 0):.0f} "
        f"| {get.get('median', 0):.0f} / {get.get('p95', 0):.0f} "
        f"| {spent.get('web')} / {spent.get('own_postgres')} ({spent.get('postgres')}) "
        f"| {spent.get('machine')} | {load['conflict_rate']:.1%} "
        f"| {load['post_statuses']} | {run['overlaps'][0]}, {run['overlaps'][1]} "
        f"| {run['stored']} | {run['loadavg'][0]:.1f} -> {run['loadavg'][1]:.1f} |"
    )


HEADER = (
    "| side | booked | per s | POST ms median / p95 | GET ms median / p95 "
    "| CPU ms per booking: web / PostgreSQL, own db (all postgres) | machine | 409 share "
    "| POST answers | overlaps (practitioner, room) | stored by status | load average |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "sides",
        nargs="+",
        metavar="LABEL=CHECKOUT",
        help="the checkouts (each with its .venv installed), run in this order every round; "
        "a bare path is labelled by its folder's name",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", type=_server_kind, default="sync", help="for every side")
    parser.add_argument(
        "--warm",
        type=float,
        default=3.0,
        help="seconds of availability looks before each side's measured load (0: none), so "
        "that every worker has started and imported what it serves: steady states compared",
    )
    args = parser.parse_args(argv)
    sides = []
    for side in args.sides:
        label, _, path = side.rpartition("=")
        path, _, server = path.partition("@")
        try:
            server = _server_kind(server) if server else args.server
        except argparse.ArgumentTypeError as error:
            parser.error(str(error))
        root = Path(path).resolve()
        label = label or root.name
        if not label.replace("_", "").isalnum():
            parser.error(f"{label!r}: a label names databases, letters, digits and _ only")
        for shared in SHARED_FILES:
            if not filecmp.cmp(root / shared, HERE / shared, shallow=False):
                parser.error(f"{root}: {shared} differs from this checkout's")
        sides.append((label, root, server))
    runs = []
    try:
        templates = {}
        for label, root, _ in sides:
            templates[label] = f"bench_ctemplate_{label}"
            url = pgadmin.create(templates[label])
            print(f"migrating {label}'s template ({root})...", flush=True)
            _worker(root, url, "migrate")
        print(HEADER, flush=True)
        for _ in range(args.rounds):
            for label, root, server in sides:
                run = one_run(label, root, templates[label], server, args.warm)
                runs.append(run)
                print(_line(run), flush=True)
                time.sleep(2)
    finally:
        procs.stop_all()
        pgadmin.drop_all_created()
    for label, _, _ in sides:
        rates = sorted(r["load"]["bookings_per_second"] for r in runs if r["side"] == label)
        web = sorted(r["cpu"].get("web") for r in runs if r["side"] == label)
        print(f"{label}: bookings per second {rates}, web CPU ms per booking {web}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
