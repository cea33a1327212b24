"""Database helpers that only apply on PostgreSQL."""

from collections.abc import Sequence
from contextvars import ContextVar

from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import BigIntegerField, Func, Model

from clinic.inserts import insert_sql, saved
from clinic.prepared import Prepared, kept_cursor, text


class PostgreSQLExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that exists only on PostgreSQL.

    The constraints against double booking need btree_gist. SQLite, the embedded first-run
    database, cannot express them (it relies on IMMEDIATE transactions instead), so there
    the constraint renders no SQL at all, including when SQLite rebuilds a table.
    """

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def rows_together(statements: Sequence[str | Prepared], params: dict) -> list[list[tuple]]:
    """The rows of each of `statements` (reads), in order. On PostgreSQL in one round trip:
    sent as one string (the simple query protocol: Django's psycopg cursors bind on the
    client), run in order, each statement with its own snapshot as if sent alone; elsewhere
    (SQLite, which runs one statement per call) one by one. `params` holds the named
    parameters of them all."""
    with kept_cursor() as cursor:
        if not is_postgresql():
            found = []
            for statement in statements:
                cursor.execute(text(statement), params)
                found.append(cursor.fetchall())
            return found
        cursor.execute(";\n".join(text(statement) for statement in statements), params)
        found = [cursor.fetchall()]
        for _ in statements[1:]:
            cursor.nextset()
            found.append(cursor.fetchall())
        return found


def insert_returning_id(obj: Model) -> None:
    """Insert `obj` and set its primary key: on PostgreSQL as a written-out INSERT ...
    RETURNING (no query compiled), elsewhere through the ORM."""
    if not is_postgresql():
        obj.save(force_insert=True)
        return
    params: dict = {}
    statement = insert_sql([obj], params)
    with kept_cursor() as cursor:
        cursor.execute(
            f"{statement} RETURNING {connection.ops.quote_name(obj._meta.pk.column)}", params
        )
        obj.pk = cursor.fetchone()[0]
    saved([obj])


# The inserts a `together()` block gathers, or None outside one.
_gathered: ContextVar[list | None] = ContextVar("gathered_inserts", default=None)


def insert(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """Insert `objs` (of one model; with `ignore_conflicts`, those whose unique key is taken
    are left out): now through the ORM, or, inside a `together()` block on PostgreSQL,
    written out and sent with the block's other inserts (their primary keys stay unset
    unless given, as bulk_create leaves them with ignore_conflicts)."""
    if not objs:
        return
    gathered = _gathered.get()
    if gathered is None or not is_postgresql():
        type(objs[0])._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    gathered.append((list(objs), ignore_conflicts))


class together:
    """Gather the inserts made inside the block (`insert`), then `send` them. On PostgreSQL
    they go as one string in one round trip, in order, with a last statement whose rows
    are returned; elsewhere each insert ran when asked and the last statement runs alone.
    Only for writes nothing inside the block reads back before `send`."""

    def __enter__(self):
        self._inserts: list = []
        self._token = _gathered.set(self._inserts)
        return self

    def __exit__(self, *exc):
        _gathered.reset(self._token)
        return False

    def send(self, last: str, params: dict) -> list[tuple]:
        # Each statement is bound on its own (mogrify) and the string sent with no
        # parameters: psycopg parses a query for its placeholders again each time unless it
        # is short (4,096 bytes, 50 parameters), which these statements are one by one and
        # the string of them all is not.
        with kept_cursor() as cursor:
            statements = []
            for objs, ignore_conflicts in self._inserts:
                values: dict = {}
                insert = insert_sql(objs, values, ignore_conflicts=ignore_conflicts)
                statements.append(cursor.mogrify(insert, values))
            statements.append(cursor.mogrify(last, params))
            cursor.execute(";\n".join(statements))
            for _ in statements[1:]:
                cursor.nextset()
            rows = cursor.fetchall()
        for objs, _ in self._inserts:
            saved(objs)
        self._inserts.clear()
        return rows


class Epoch(Func):
    """Whole seconds since 1970 of a datetime column, computed by the database.

    A slot search reads thousands of instants and only compares them: integers load many
    times faster than timezone-aware datetimes. Truncated like intervals.to_epoch. On
    PostgreSQL through date_part's float, as diary/sql.py's BUSY, not EXTRACT's numeric.
    """

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(date_part('epoch', %(expressions)s))::bigint",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores UTC as 'YYYY-MM-DD HH:MM:SS[.ffffff]'; '%%%%s' reaches SQLite as '%s'.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
            **extra_context,
        )
