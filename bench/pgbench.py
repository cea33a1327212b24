"""The physical limit beside the booking figures: pgbench's single-row INSERT rate into a
table with an exclusion constraint like ours, on the same server in the same run."""

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from bench import pgadmin, procs

SCRIPT = Path(__file__).with_name("pgbench_insert.sql")
DATABASE = "bench_pgbench"
SETUP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "CREATE SEQUENCE bench_tick",
    """CREATE TABLE bench_slot (
        id bigserial PRIMARY KEY,
        practitioner_id bigint NOT NULL,
        start timestamptz NOT NULL,
        blocked_until timestamptz NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'confirmed',
        EXCLUDE USING gist (practitioner_id WITH =, tstzrange(start, blocked_until, '[)') WITH &&)
            WHERE (status IN ('confirmed', 'completed', 'no_show'))
    )""",
]


def missing() -> str | None:
    """Why pgbench cannot run here, or None."""
    if shutil.which("pgbench") is None:
        return "pgbench is not installed (Debian: apt-get install postgresql-client)"
    return None


def insert_tps(*, clients: int, seconds: int) -> float:
    """Transactions per second of SCRIPT with `clients` connections for `seconds`."""
    pgadmin.create(DATABASE)
    try:
        for statement in SETUP:
            pgadmin.execute(DATABASE, statement)
        server = urlsplit(pgadmin.SERVER_URL)
        argv = ["pgbench", "--no-vacuum", "--client", str(clients), "--jobs", str(min(clients, 2))]
        argv += ["--time", str(seconds), "--file", str(SCRIPT), "--host", server.hostname or ""]
        argv += ["--port", str(server.port or 5432), "--username", server.username or "postgres"]
        process = procs.start([*argv, pgadmin.actual(DATABASE)], stdout=subprocess.PIPE, text=True)
        try:
            out, _ = process.communicate(timeout=seconds + 60)
        finally:
            procs.stop_group(process)
        found = re.search(r"^tps = ([\d.]+)", out, re.MULTILINE)
        if process.returncode != 0 or found is None:
            raise RuntimeError(f"pgbench failed ({process.returncode}): {out[-500:]}")
        return float(found.group(1))
    finally:
        pgadmin.drop(DATABASE)
