"""Statements planned once per database connection on PostgreSQL (Prepared), and the cursor
the SQL written out in this project is sent through (kept_cursor)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


class Prepared:
    """A statement the booking path sends on almost every request, planned once per
    database connection on PostgreSQL: PREPAREd the first time the connection needs it, then
    run by name (EXECUTE), so PostgreSQL parses and plans it once, not on every request.

    `statement` takes named parameters (%(name)s); `types` gives each one's PostgreSQL type,
    in the order PREPARE numbers them. What is sent is `EXECUTE name (%(a)s, %(b)s...)`,
    bound on the client as every statement here is, so Django logs it and the tests count
    it as one query, as before. Prepared: the slot search's calendar, resources and busy
    time, the lock step, the address's recent holds and a booking's room holds (diary/
    sql.py), the treatment, a booking's practitioner and a client by address (clinic/sql.py),
    the clinical rules and words, the prerequisite rules and one client's record (clinical/
    sql.py), the form rules (consent/selectors.py), the signed-in session and user (web/
    sessions.py, access.UserBackend), an audit entry (clinic/audit.py).
    Measured in process on the booking benchmark's diary, PostgreSQL's CPU per
    availability GET 2.0 -> 0.9 ms and per public booking POST 4.5 -> 2.7 ms (bench/
    README.md, "The booking path's reads planned once").

    Why this is safe where preparing every statement was not (bench/README.md, "Prepared
    statements ... not merged"): a PREPAREd statement outlives a rolled-back transaction
    or savepoint (PostgreSQL's PREPARE is not transactional; psycopg's own preparing forgets
    everything on any rollback, which a booking's lost race is), and only these few reads,
    of small tables or through their own indexes, get a plan PostgreSQL may reuse; it keeps
    planning one afresh whenever the reusable plan looks dearer (plan_cache_mode auto).
    The PREPARE goes on the connection psycopg holds, past Django's cursor, so it is
    neither logged nor counted; a new connection (Django reconnects after CONN_MAX_AGE or
    a broken connection) prepares again. DB_PREPARED_READS=0 sends the statements as they
    are, for a connection pooler that shares sessions between clients (PgBouncer in
    transaction mode) and so cannot keep a session's prepared statements."""

    def __init__(self, name: str, statement: str, types: dict[str, str]):
        self.name = name
        self.statement = statement
        numbered = statement
        for number, param in enumerate(types, 1):
            numbered = numbered.replace(f"%({param})s", f"${number}")
        if "%(" in numbered:
            raise ValueError(f"{name}: a parameter has no type")
        self._prepare = f"PREPARE {name} ({', '.join(types.values())}) AS {numbered}"
        self._execute = f"EXECUTE {name} ({', '.join(f'%({param})s' for param in types)})"

    def sent_in(self, logged: str) -> bool:
        """Whether `logged` (what a cursor was sent, as Django logs it) runs this statement,
        prepared or written out."""
        before_parameters = self.statement.strip().split("%(")[0]
        return f"EXECUTE {self.name} (" in logged or before_parameters in logged

    def sql(self) -> str:
        """The text to send on the current connection, preparing the statement there first
        when it has not been."""
        db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the proxy: 17 a booking
        if not (db.vendor == "postgresql" and settings.DB_PREPARED_READS):
            return self.statement
        session = db.connection  # psycopg's: a new one for each session
        if session is None:
            db.ensure_connection()
            session = db.connection
        prepared = getattr(session, PREPARED, None)
        if prepared is None:
            prepared = set()
            setattr(session, PREPARED, prepared)
        if self.name not in prepared:
            # Django's error wrapper, as its cursor has: a dropped connection is its
            # OperationalError (a 503, the connection closed after the request), not psycopg's.
            with db.wrap_database_errors:
                session.execute(self._prepare)
            prepared.add(self.name)
        return self._execute


# The attribute of psycopg's connection naming the statements prepared in its session.
PREPARED = "lumiere_prepared"

# What a new PostgreSQL session is told when the reads are prepared (use_generic_plans).
GENERIC_PLANS = "SET plan_cache_mode = force_generic_plan"


def use_generic_plans(sender, connection, **kwargs) -> None:
    """connection_created: have PostgreSQL run every prepared read of this session by the
    plan it made once, never planning it again for the values at hand.

    By default (plan_cache_mode auto) PostgreSQL plans a prepared statement afresh on each
    of its first five runs and keeps doing so whenever the reusable plan's estimate looks
    dearer than those, however the runs went: the busy-time read (diary_busy), whose
    reusable plan's estimate is many times its custom plans' since it cannot know how
    narrow the window is, was planned on every run, 0.18 ms of PostgreSQL's CPU each, twice
    a booking. Its reusable plan is the same (the partial busy-lookup indexes), planned in
    0.01 ms. Every Prepared statement's reusable plan was read on the clinic group
    (bench/README.md, "Plans made once"): each reaches a large table through its indexes.

    Only prepared statements are affected (Django's cursors bind on the client and prepare
    nothing), and only when they are (DB_PREPARED_READS). Sent on psycopg's connection as
    Django opens it, in autocommit, so no rollback undoes it; not logged, not counted."""
    if connection.vendor == "postgresql" and settings.DB_PREPARED_READS:
        connection.connection.execute(GENERIC_PLANS)


def text(statement: str | Prepared) -> str:
    """What to send for `statement`: itself, or a Prepared one's text for this connection."""
    return statement.sql() if isinstance(statement, Prepared) else statement


# The attribute of psycopg's connection holding the cursor kept_cursor hands out, and whether
# it is handed out now.
KEPT_CURSOR = "lumiere_cursor"
KEPT_CURSOR_IN_USE = "lumiere_cursor_in_use"


@contextmanager
def kept_cursor() -> Iterator:
    """Django's cursor wrapper around one psycopg cursor kept for the connection's life, on
    PostgreSQL: for the statements written out in this project (Prepared reads, the booking's
    strings of statements, written-out INSERTs), sent several times on every request.

    Django's connection.cursor() makes a psycopg cursor for each statement, and each new one
    sets its adapters up again: its own map of dumpers and loaders, each parameter's dumper
    and each result column's loader looked up afresh, about 40 us of the web worker's CPU a
    statement on the benchmark machine (bench/README.md, "A cursor kept"). The wrapper is
    Django's own (connection._prepare_cursor, as connection.cursor() wraps a new cursor):
    the statement logged when queries are logged (CaptureQueriesContext counts it), the
    execute wrappers run, psycopg's errors turned into Django's, a broken transaction
    refused. The health check and the connection are seen to first, as connection.cursor()
    does. The cursor is not closed at the block's end (its last result stays until the next
    statement); a new connection gets a new one. A block inside another (a statement sent
    while the outer one's results are still being read) gets a cursor of its own, closed at
    its end, as does any other database."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    session = db.connection  # psycopg's: a new one for each session
    if getattr(session, KEPT_CURSOR_IN_USE, False):
        with db.cursor() as cursor:
            yield cursor
        return
    kept = getattr(session, KEPT_CURSOR, None)
    if kept is None or kept.closed:
        with db.wrap_database_errors:
            kept = db.create_cursor()
        setattr(session, KEPT_CURSOR, kept)
    setattr(session, KEPT_CURSOR_IN_USE, True)
    try:
        yield db._prepare_cursor(kept)
    finally:
        setattr(session, KEPT_CURSOR_IN_USE, False)
