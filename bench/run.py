"""`make bench` (`make bench ARGS=--quick`): the benchmarks of issues 7 and 16, one after another.

Availability on a generated clinic, the same question put to a peer (django-appointment),
booking under contention against gunicorn beside pgbench's insert rate, aftercare
throughput (Celery workers draining the outbox into an SMTP sink), every page on a realistic
clinic group, and the booking POST beside the floor of a booking. Each benchmark makes its
own `bench_*` databases from a migrated template and drops them; every child process (Django
workers, gunicorn, pgbench, Celery, redis-server) runs in its own process group and is
stopped at the end, also on Ctrl-C or SIGTERM. The figures are printed as they come and
written to bench/results.md. Nothing here asserts anything about time: these are
measurements, not tests.
"""

import argparse
import hashlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench import (  # noqa: E402
    clinic_spec,
    cpu,
    group,
    loadgen,
    outbox_drain,
    pgadmin,
    pgbench,
    procs,
)
from bench.httpclient import Client, getter  # noqa: E402
from bench.report import Report, Section  # noqa: E402
from bench.stats import interleaved, summary  # noqa: E402

TEMPLATE = "bench_template"
PEER_VENV = Path(__file__).with_name(".peer-venv")
PEER_DIR = Path(__file__).with_name("peer")
SECTIONS = ("availability", "peer", "booking", "aftercare", "pages", "floor")
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plan:
    mode: str
    sizes: tuple[int, ...]  # N, appointments in the generated clinic
    repeats: int  # timed in-process searches per line
    http_repeats: int
    peer_repeats: int
    practitioners: int  # booking diary
    rooms: int
    load_seconds: int  # upper bound of the booking load
    pgbench_seconds: int
    messages: int  # aftercare's due messages
    drain_seconds: int  # upper bound of the wait for the last one
    group: str  # the clinic group's size (bench/group.py SIZES) for pages and floor
    page_passes: int
    floor_bookings: int  # per side
    floor_rounds: int  # each on a fresh copy of the group; the median is reported
    page_patterns: tuple[str, ...] = ()  # pages: only these (bench/pages.py `chosen`)


QUICK = Plan("quick", (5_000, 50_000), 10, 8, 2, 2, 2, 30, 5, 2_000, 300, "small", 10, 60, 1)
FULL = Plan(
    "full", (5_000, 50_000, 500_000), 50, 30, 5, 10, 8, 240, 15, 10_000, 900, "full", 30, 200, 5
)
CLIENTS = 50


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about 2 minutes")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these")
    parser.add_argument(
        "--size", choices=list(group.SIZES), help="the clinic group of pages and floor"
    )
    parser.add_argument(
        "--page",
        action="append",
        metavar="PATTERN",
        help="pages: only those whose label or route matches (shell pattern, repeatable)",
    )
    parser.add_argument("--passes", type=int, help="pages: timed passes (default 10 or 30)")
    parser.add_argument("--rounds", type=int, help="floor: rounds (default 1 or 5)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.size:
        plan = replace(plan, group=args.size)
    if args.page:
        plan = replace(plan, page_patterns=tuple(args.page))
    if args.passes:
        plan = replace(plan, page_passes=args.passes)
    if args.rounds:
        plan = replace(plan, floor_rounds=args.rounds)
    wanted = args.only or list(SECTIONS)
    _stop_on_signals()

    report = Report(plan.mode)
    try:
        _template()  # every part copies it
        for name in wanted:
            started = time.monotonic()
            SECTION_RUNNERS[name](plan, report)
            print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    finally:
        procs.stop_all()
        pgadmin.drop_all_created()
    print(f"\nwritten to {report.write(keep_others=bool(args.only))}")
    return 0


def _stop_on_signals() -> None:
    """SIGTERM ends the run like Ctrl-C: the finally blocks and atexit clean up."""

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _template() -> None:
    print("migrating the template database...", flush=True)
    pgadmin.create(TEMPLATE)
    procs.worker("migrate", database_url=pgadmin.url_for(TEMPLATE))


def _fresh(name: str) -> str:
    return pgadmin.create(name, template=TEMPLATE)


def _ms(figures: dict | None) -> str:
    """'median / p95 (min)' in milliseconds."""
    if not figures:
        return "-"
    return f"{figures['median']:.1f} / {figures['p95']:.1f} ({figures['min']:.1f})"


# Availability -----------------------------------------------------------------------------


def availability(plan: Plan, report: Report) -> None:
    section = Section(
        "Availability: generated clinic, searches from tomorrow",
        header=[
            "N appointments",
            "search",
            "slots",
            "in process ms: median / p95 (min)",
            "queries",
            "HTTP ms: median / p95 (min)",
            "HTTP queries",
        ],
    )
    for size in plan.sizes:
        name = f"bench_avail_{size // 1000}k"
        url = _fresh(name)
        print(f"seeding {size:,} appointments...", flush=True)
        seeded = procs.worker("seed-generated", str(size), database_url=url, timeout=1800)
        print(f"  seeded in {seeded['seconds']} s; searching in process...", flush=True)
        rows = procs.worker(
            "availability", str(plan.repeats), json.dumps(seeded), database_url=url
        )["rows"]
        print("  searching over HTTP...", flush=True)
        with procs.gunicorn(url, ready_path="/api/v1/treatments/") as server:
            client = Client(server.url)
            try:
                samples = interleaved(
                    [getter(client, row["http_paths"]) for row in rows],
                    repeats=plan.http_repeats,
                    warmup=2 * procs.gunicorn_workers(),  # every worker answers a few first
                )
            finally:
                client.close()
            for row, times in zip(rows, samples, strict=True):
                row["http"] = summary(times)
        pgadmin.drop(name)
        for row in rows:
            calls = len(row["http_paths"])
            section.rows.append(
                [
                    f"{size:,}",
                    row["label"] + (f" ({calls} API calls)" if calls > 1 else ""),
                    row["slots"],
                    _ms(row["latency"]),
                    row["queries"],
                    _ms(row["http"]),
                    row["http_queries"],
                ]
            )
    section.notes = [
        "Clinic: 50 practitioners (P = how many offer the treatment searched), 30 rooms, "
        "4 devices, weekday and Saturday shifts, a week of leave every 13 weeks each, bank "
        "holidays; the next 90 days about half booked, then history back to N appointments.",
        "Treatment 45 min + 15 min buffer, needs a room; 15-minute grid; online search.",
        "HTTP: GET /api/v1/availability/ against gunicorn "
        f"({procs.gunicorn_workers()} sync workers, DEBUG=0), one request at a time; the API "
        "takes at most 62 days, so 90 days is two calls and the figure is their sum.",
        "Queries: counted in process (the HTTP column runs the same view through Django's "
        "test client).",
    ]
    report.add(section)


# The peer -----------------------------------------------------------------------------------


def peer(plan: Plan, report: Report) -> None:
    section = Section("The peer: django-appointment on the same clinic")
    problem = _peer_venv()
    if problem:
        section.notes.append(f"peer: not measured ({problem})")
        report.add(section)
        return
    tomorrow = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=1)
    spec = clinic_spec.make(tomorrow)
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        spec_path = Path(folder) / "clinic.json"
        clinic_spec.save(spec, spec_path)
        print("our side of the peer question...", flush=True)
        ours_url = _fresh("bench_peer_ours")
        procs.worker("seed-peer-clinic", str(spec_path), database_url=ours_url)
        ours = procs.worker(
            "peer-question", str(spec_path), str(plan.repeats), database_url=ours_url
        )
        pgadmin.drop("bench_peer_ours")
        print("the peer's side (seconds per search)...", flush=True)
        peer_url = pgadmin.create("bench_peer")
        theirs = procs.run_json(
            [str(PEER_VENV / "bin" / "python"), "peer_bench.py", str(spec_path)]
            + [str(plan.peer_repeats)],
            env={**os.environ, "PEER_DATABASE_URL": peer_url},
            cwd=PEER_DIR,
            timeout=1200,
        )
        pgadmin.drop("bench_peer")
    sample = spec["sample_day"]
    agree_days = sum(ours["per_day"][day] == theirs["per_day"][day] for day in spec["dates"])
    ratio = theirs["latency"]["median"] / ours["latency"]["median"]
    best_ratio = theirs["latency"]["min"] / ours["latency"]["min"]
    section.header = [
        "",
        "median ms",
        "p95 ms",
        "min ms",
        "queries",
        f"free 1-hour starts on {sample}",
    ]
    section.rows = [
        ["Lumière (find_slots, one search)", *_pair(ours), ours["per_day"][sample]],
        [
            "django-appointment {} (get_available_slots_for_staff, per staff and day)".format(
                theirs["versions"]["django-appointment"]
            ),
            *_pair(theirs),
            theirs["per_day"][sample],
        ],
    ]
    section.notes = [
        f"ratio (peer median / ours): {ratio:,.0f}x (fastest / fastest: {best_ratio:,.0f}x)",
        "agreement: "
        + ("AGREE" if ours["per_day"][sample] == theirs["per_day"][sample] else "DISAGREE")
        + f" on the sample day; the per-day counts agree on {agree_days} of {len(spec['dates'])}"
        " days",
        f"Clinic: {len(spec['staff'])} staff, Mon-Fri 9-18 and Saturday 9-14 for half of them, "
        f"one off for three days, {len(spec['appointments'])} one-hour appointments "
        f"({clinic_spec.occupancy(spec):.0%} of working time) over the 14 days from "
        f"{spec['dates'][0]}; 60-minute service, 30-minute slots. Both on PostgreSQL, same "
        "server, each in its own process and virtualenv.",
        f"Peer: {plan.peer_repeats} timed searches after one warm-up (seeded in "
        f"{theirs['seed_seconds']} s); ours: {plan.repeats} after three.",
    ]
    report.add(section)


def _pair(result: dict) -> list:
    latency = result["latency"]
    return [
        f"{latency['median']:,.1f}",
        f"{latency['p95']:,.1f}",
        f"{latency['min']:,.1f}",
        f"{result['queries']:,}",
    ]


def _peer_venv() -> str | None:
    """Create bench/.peer-venv from bench/peer/requirements.txt if it is missing; the reason
    it cannot be had, or None."""
    python = PEER_VENV / "bin" / "python"
    if python.exists():
        return None
    print("installing the peer into bench/.peer-venv (once)...", flush=True)
    try:
        for argv in (
            [sys.executable, "-m", "venv", str(PEER_VENV)],
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            + ["-r", str(PEER_DIR / "requirements.txt")],
        ):
            process = procs.start(argv)
            try:
                if process.wait(timeout=900) != 0:
                    return f"{' '.join(argv[:3])} failed"
            finally:
                procs.stop_group(process)
    except OSError as error:
        return str(error)
    return None


# Booking under contention -------------------------------------------------------------------


def booking(plan: Plan, report: Report) -> None:
    name = "bench_booking"
    url = _fresh(name)
    diary = procs.worker(
        "seed-booking", str(plan.practitioners), str(plan.rooms), "14", database_url=url
    )
    print(f"booking with {CLIENTS} clients until the diary is full...", flush=True)
    with procs.gunicorn(url, ready_path="/api/v1/treatments/") as server:
        before = cpu.sample(server.group)
        load = loadgen.run(
            loadgen.Load(
                base_url=server.url,
                treatment=diary["treatment"],
                first_day=diary["first_day"],
                last_day=diary["last_day"],
                clients=CLIENTS,
                max_requests=20_000,
                max_seconds=plan.load_seconds,
            )
        )
        spent = cpu.per_event(before, cpu.sample(server.group), load["booked"])
    overlaps = _overlaps(name)
    stored = pgadmin.execute(name, "SELECT count(*) FROM bookings_appointment")[0][0]
    pgadmin.drop(name)

    print("pgbench...", flush=True)
    problem = pgbench.missing()
    tps = (
        None
        if problem
        else pgbench.insert_tps(clients=procs.gunicorn_workers(), seconds=plan.pgbench_seconds)
    )
    section = Section(
        f"Booking under contention: {CLIENTS} clients, {plan.practitioners} practitioners, "
        f"{plan.rooms} rooms, 14 days",
        header=["figure", "value"],
        rows=[
            ["bookings made (201, or held: 202)", load["booked"]],
            ["bookings per second", load["bookings_per_second"]],
            ["POST /appointments/ ms: median / p95 (min)", _ms(load["book_latency"])],
            ["409 rate (of POSTs)", f"{load['conflict_rate']:.1%}"],
            ["GET /availability/ ms: median / p95 (min)", _ms(load["availability_latency"])],
            ["other answers", load["failures"] or "none"],
            ["diary full at the end", "yes" if load["diary_full"] else "no (stopped by a limit)"],
            ["seconds to fill", load["seconds"]],
            ["appointments stored / 201s and 202s", f"{stored} / {load['booked']}"],
            ["overlapping active pairs (practitioner, room)", f"{overlaps[0]}, {overlaps[1]}"],
        ],
    )
    if spent:
        section.rows.append(
            [
                "CPU ms per booking: web workers / PostgreSQL / load generator (machine)",
                f"{spent['web']} / {spent['postgres']} / {spent['generator']} ({spent['machine']})",
            ]
        )
        cores = os.cpu_count() or 1
        section.notes.append(
            f"CPU per booking covers everything a booking took: its availability look, its "
            f"POST, the 409s and their alternatives. At {spent['machine']} ms of CPU per "
            f"booking, {cores} cores allow at most {cores * 1000 / spent['machine']:,.0f} "
            "bookings per second whatever the locks do."
        )
    if tps is None:
        section.notes.append(f"pgbench: not measured ({problem})")
    else:
        section.rows.append(
            [f"pgbench single-row INSERT TPS ({procs.gunicorn_workers()} clients)", f"{tps:,.0f}"]
        )
        ratio = tps / load["bookings_per_second"] if load["bookings_per_second"] else float("inf")
        section.rows.append(["pgbench TPS / bookings per second", f"{ratio:,.1f}x"])
    section.notes.append(
        f"gunicorn {procs.gunicorn_workers()} sync workers, DEBUG=0, PostgreSQL on loopback; "
        "each visit loads the 14-day availability, books a random free start (half the time "
        "naming one of its practitioners), and on a 409 tries up to two of the alternatives "
        f"offered. Bounded: at most 20,000 requests and {plan.load_seconds} s."
    )
    report.add(section)


OVERLAPS = {
    "practitioner": """
        SELECT count(*) FROM bookings_appointment a JOIN bookings_appointment b
          ON a.practitioner_id = b.practitioner_id AND a.id < b.id
         AND a.start < b.blocked_until AND b.start < a.blocked_until
       WHERE a.status IN ('confirmed', 'completed', 'no_show', 'held')
         AND b.status IN ('confirmed', 'completed', 'no_show', 'held')""",
    "resource": """
        SELECT count(*) FROM bookings_appointmentresource a
          JOIN bookings_appointmentresource b
          ON a.resource_id = b.resource_id AND a.id < b.id
         AND a.start < b.blocked_until AND b.start < a.blocked_until
       WHERE a.active AND b.active""",
}


def _overlaps(database: str) -> tuple[int, int]:
    """Pairs of active appointments that overlap for one practitioner, and for one room
    (held ones included: the load's anonymous bookings are holds)."""
    return tuple(pgadmin.execute(database, query)[0][0] for query in OVERLAPS.values())


# Aftercare ----------------------------------------------------------------------------------


def aftercare(plan: Plan, report: Report) -> None:
    name = "bench_outbox"
    _fresh(name)
    load = os.getloadavg()[0]
    print(f"aftercare: {plan.messages:,} messages, {outbox_drain.WORKERS} Celery workers...")
    result = outbox_drain.run(
        outbox_drain.Drain(database=name, messages=plan.messages, max_seconds=plan.drain_seconds)
    )
    pgadmin.drop(name)
    load = f"{load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    lag = result["lag"] or {}
    batches = result["batches"] or {}
    spent = result["cpu_ms_per_message"] or {}
    settings = result["settings"]
    section = Section(
        f"Aftercare throughput: {result['messages']:,} due messages, "
        f"{outbox_drain.WORKERS} Celery workers",
        header=["figure", "value"],
        rows=[
            ["messages delivered", f"{result['delivered']:,} of {result['messages']:,}"],
            ["messages per second (due to last delivered)", result["per_second"] or "-"],
            ["seconds from due to last delivered", result["seconds"]],
            [
                "lag due -> delivered s: median / p95 / max",
                f"{lag.get('median', '-')} / {lag.get('p95', '-')} / {lag.get('max', '-')}",
            ],
            ["first delivered after (s)", lag.get("first", "-")],
            [
                "send batches (SMTP connections): count, mean / median / max size",
                f"{batches.get('count', '-')}: {batches.get('mean', '-')} / "
                f"{batches.get('median', '-')} / {batches.get('max', '-')}",
            ],
            [
                "batches of one message / of fewer than ten",
                f"{batches.get('of_one', '-')} / {batches.get('under_ten', '-')}",
            ],
            [
                "CPU ms per message: the workers / their database's PostgreSQL backends",
                f"{spent.get('workers', '-')} / {spent.get('postgres', '-')}",
            ],
            ["lost / duplicated", f"{result['lost']} / {result['duplicated']}"],
            ["outbox rows by status at the end", _statuses(result["statuses"])],
        ],
    )
    if not result["finished"]:
        section.notes.append(f"STOPPED by the {plan.drain_seconds} s limit before the last one")
    if result["foreign"]:
        section.notes.append(f"{result['foreign']} messages arrived without an outbox id")
    section.notes += [
        f"Workers: {outbox_drain.WORKERS} x `celery -A config worker -c "
        f"{outbox_drain.CONCURRENCY}` (prefork), the first with `-B` (the one beat, so one "
        "dispatcher), on the project's settings with DEBUG=0 and a private redis-server on "
        "loopback (no persistence): dispatch every "
        f"{settings['AFTERCARE_DISPATCH_SECONDS']} s, at most "
        f"{settings['AFTERCARE_MAX_IN_FLIGHT']} messages in flight, "
        f"{settings['AFTERCARE_BATCH_SIZE']} per send task.",
        "Messages: one clinic, confirmed appointments in the coming weeks, each with "
        f"{', '.join(result['kinds'])} (the confirmation carries an .ics), every one to its "
        "own client, written in bulk, then all made due at one instant once the workers were "
        "ready.",
        "SMTP: aiosmtpd on loopback in a thread of the bench process, accepting every "
        "message and counting each by the outbox id in its Message-ID; no TLS, no auth.",
        f"Load average (1 min) of this part: {load}.",
    ]
    report.add(section)


def _statuses(counts: dict) -> str:
    return ", ".join(f"{status} {count:,}" for status, count in sorted(counts.items()))


# The clinic group: pages and floor ----------------------------------------------------------


def _group_template(size: str) -> str:
    """The name of a database holding the seeded group of `size`, seeded now if there is
    none yet. It is kept between runs (not dropped at the end): its name carries a digest of
    the generator and of every migration, so a change to either seeds a new one, and the
    old ones of that size are dropped then."""
    digest = hashlib.sha256(Path(__file__).with_name("group.py").read_bytes())
    for migration in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(migration.read_bytes())
    name = f"bench_group_{size}_{digest.hexdigest()[:10]}"
    try:
        pgadmin.execute(name, "SELECT seeded FROM bench_group")
        print(f"reusing the clinic group {name}", flush=True)
        return name
    except psycopg.Error:  # not there, or a run stopped while seeding it
        pass
    # Runs from two checkouts with different migrations would drop each other's group (and
    # a copy being made from it): BENCH_KEEP_GROUPS=1 keeps the others.
    if not os.environ.get("BENCH_KEEP_GROUPS"):
        stale = pgadmin.execute(
            "postgres",
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [f"bench\\_group\\_{size}\\_%"],
        )
        for (old,) in stale:
            pgadmin.drop(old)
    print(f"seeding the clinic group ({size}) into {name}, once...", flush=True)
    url = _fresh(name)
    seeded = procs.run_json(
        [procs.PROJECT_PYTHON, "-m", "bench.pages", "seed", size],
        env=procs.django_env(url),
        timeout=3600,
    )
    print(f"  seeded in {seeded['seconds']} s: {seeded['counts']}", flush=True)
    pgadmin.keep(name)
    return name


def _group_run(plan: Plan, database: str, *args: str) -> dict:
    """`python -m bench.pages ARGS` on a fresh copy of the group's template."""
    url = pgadmin.create(database, template=_group_template(plan.group))
    try:
        return procs.run_json(
            [procs.PROJECT_PYTHON, "-m", "bench.pages", *args],
            env=procs.django_env(url),
            timeout=3600,
        )
    finally:
        pgadmin.drop(database)


def _group_note(world: dict) -> str:
    counts, shape = world["counts"], world["shape"]
    return (
        f"Clinic group ({world['size']}, bench/group.py): {shape['clinics']} clinics of "
        f"{shape['practitioners']} practitioners, {counts['clinic_client']:,} clients, "
        f"{counts['bookings_appointment']:,} appointments, "
        f"{counts['bookings_appointmentchange']:,} change records, "
        f"{counts['aftercare_message']:,} outbox rows, {counts['clinic_auditentry']:,} audit "
        f"entries, {counts['clinical_injectablerecord']:,} injectables; one client with "
        "520+ visits."
    )


def pages(plan: Plan, report: Report) -> None:
    print(f"pages: {plan.page_passes} passes over every page...", flush=True)
    result = _group_run(plan, "bench_pages", "measure", str(plan.page_passes), *plan.page_patterns)
    rows = result["rows"]
    title = "Pages: every page on a realistic clinic group, server time in process"
    if plan.page_patterns:  # its own section: the whole table of an earlier run stays
        title = title.replace(
            "every page", "the pages " + ", ".join(f"'{pattern}'" for pattern in plan.page_patterns)
        )
    section = Section(
        title,
        header=["who", "page", "median ms", "p95 ms", "CPU ms", "queries", "KB", ""],
    )
    for row in rows:
        queries = row["queries"]
        if row["queries_min"] != queries:
            queries = f"{row['queries_min']}-{queries}"
        section.rows.append(
            [
                row["who"],
                f"{row['label']} (`{row['method']} {row['route']}`)",
                f"{row['median']:,.1f}",
                f"{row['p95']:,.1f}",
                f"{row['cpu']:,.1f}",
                queries,
                f"{row['bytes'] / 1024:,.1f}",
                "**over 100 ms**" if row["slow"] else "",
            ]
        )
    slow = sum(row["slow"] for row in rows)
    section.notes = [
        f"{len(rows)} pages, {slow} with p95 at or over 100 ms (issue 16's target: every "
        "page under 100 ms, login's password hashing excepted).",
        _group_note(result["world"]),
        f"django.test.Client in one process, DEBUG=0, {plan.page_passes} interleaved passes "
        "after 2 untimed ones; server time is from the request built to the body read "
        "(middleware, view, templates; no network). Queries: SQL statements per request "
        "(a range when passes differ). Staff passwords are MD5-hashed for the bench, so only "
        "the login lines pay for their (fast) hashing.",
        "Not measured (writes, redirects, steps needing the one before): bench/pages.py "
        "NOT_MEASURED; a URL pattern in neither list stops the benchmark.",
        _collections_note(result.get("full_collections")),
    ]
    report.add(section)


def _collections_note(figures: dict | None) -> str:
    if not figures:
        return "Full garbage collections: not counted."
    young = (
        f" Young collections: {figures['young']:,}, {figures['young_ms']:,} ms in all."
        if "young" in figures
        else ""
    )
    return (
        f"Full garbage collections during the timed passes: {figures['count']}, "
        f"{figures['median_ms']} ms median, {figures['max_ms']} ms the longest, each walking "
        f"~{figures['objects']:,} objects (the process froze its start-up objects first and "
        f"collects its young objects at the server's thresholds: web/serving.py).{young}"
    )


def floor(plan: Plan, report: Report) -> None:
    """The floor and our two POSTs, `plan.floor_rounds` rounds, each on a fresh copy of the
    group: per side the median over the rounds, and each round's ratio to its floor (the
    machine's speed moves between rounds, the three sides of one round share it)."""
    rounds = []
    for number in range(plan.floor_rounds):
        print(
            f"floor: round {number + 1} of {plan.floor_rounds}, up to {plan.floor_bookings} "
            "bookings per side...",
            flush=True,
        )
        rounds.append(_group_run(plan, "bench_floor", "floor", str(plan.floor_bookings)))
    section = Section(
        "Booking beside the floor: CPU per booking on the clinic group",
        header=[
            "",
            "bookings (409s)",
            "ms: median / p95",
            "CPU ms per booking: web / PostgreSQL / both",
            "x the floor's CPU: median (each round)",
        ],
    )
    names = list(rounds[0]["sides"])
    for name in names:
        sides = [result["sides"][name] for result in rounds]
        floors = [result["sides"][names[0]] for result in rounds]
        ratios = [_cpu(side) / _cpu(low) for side, low in zip(sides, floors, strict=True)]
        section.rows.append(
            [
                name,
                f"{sum(side['bookings'] for side in sides)} "
                f"({sum(side['conflicts'] for side in sides)})",
                f"{_median(sides, 'median')} / {_median(sides, 'p95')}",
                f"{_median(sides, 'web_cpu_ms')} / {_median(sides, 'postgres_cpu_ms')} / "
                f"{statistics.median(_cpu(side) for side in sides):.2f}",
                f"{statistics.median(ratios):.2f}x ("
                + ", ".join(f"{ratio:.2f}x" for ratio in ratios)
                + ")",
            ]
        )
    section.notes = [
        "The floor (bench/floor.py, never routed in the product) books with only the SQL a "
        "safe booking needs: the treatment, the client by address, the practitioner's lock, "
        "the overlap checks, the appointment, its change record, a room hold and two outbox "
        "rows. Issue 16's target: our booking POST within 2x of the floor's CPU.",
        f"{len(rounds)} rounds, each on a fresh copy of the group; figures are the median over "
        "the rounds, the ratio each round's own (its sides ran interleaved on the same "
        "machine at the same moments). One process, django.test.Client, DEBUG=0, one booking "
        "at a time, the three in turn on free one-hour starts of the coming weeks at the "
        "group's first clinic, each for a client on record, a different one each time. Web "
        "CPU: this process's CPU time per request (request, view, ORM, psycopg); PostgreSQL: "
        "its backend's, from /proc/<pid>/schedstat (nanoseconds).",
        _group_note(rounds[0]["world"]),
    ]
    report.add(section)


def _cpu(side: dict) -> float:
    return side["web_cpu_ms"] + side["postgres_cpu_ms"]


def _median(sides: list[dict], key: str) -> str:
    values = [side[key] for side in sides if side[key] is not None]
    return f"{statistics.median(values):.2f}" if values else "-"


SECTION_RUNNERS = {
    "availability": availability,
    "peer": peer,
    "booking": booking,
    "aftercare": aftercare,
    "pages": pages,
    "floor": floor,
}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
