"""Reads planned once per database connection on PostgreSQL (Prepared)."""

from django.conf import settings
from django.db import connection


class Prepared:
    """A read the booking path sends on almost every request, planned once per database
    connection on PostgreSQL: PREPAREd the first time the connection needs it, then run by
    name (EXECUTE), so PostgreSQL parses and plans it once, not on every request.

    `statement` takes named parameters (%(name)s); `types` gives each one's PostgreSQL type,
    in the order PREPARE numbers them. What is sent is `EXECUTE name (%(a)s, %(b)s...)`,
    bound on the client as every statement here is, so Django logs it and the tests count
    it as one query, as before. Prepared: the slot search's calendar, resources and busy
    time, the lock step, the address's recent holds (diary/sql.py), the treatment and a
    booking's practitioner (clinic/sql.py), the clinical rules and words, the prerequisite
    rules and one client's record (clinical/sql.py), the form rules (consent/selectors.py).
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
        if not (connection.vendor == "postgresql" and settings.DB_PREPARED_READS):
            return self.statement
        connection.ensure_connection()
        session = connection.connection  # psycopg's: a new one for each session
        prepared = getattr(session, PREPARED, None)
        if prepared is None:
            prepared = set()
            setattr(session, PREPARED, prepared)
        if self.name not in prepared:
            # Django's error wrapper, as its cursor has: a dropped connection is its
            # OperationalError (a 503, the connection closed after the request), not psycopg's.
            with connection.wrap_database_errors:
                session.execute(self._prepare)
            prepared.add(self.name)
        return self._execute


# The attribute of psycopg's connection naming the statements prepared in its session.
PREPARED = "lumiere_prepared"


def text(statement: str | Prepared) -> str:
    """What to send for `statement`: itself, or a Prepared one's text for this connection."""
    return statement.sql() if isinstance(statement, Prepared) else statement
