"""Database helpers that only apply on PostgreSQL."""

from collections.abc import Sequence

from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import BigIntegerField, Func


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


def rows_together(statements: Sequence[str], params: dict) -> list[list[tuple]]:
    """The rows of each of `statements` (reads), in order. On PostgreSQL in one round trip:
    sent as one string (the simple query protocol: Django's psycopg cursors bind on the
    client), run in order, each statement with its own snapshot as if sent alone; elsewhere
    (SQLite, which runs one statement per call) one by one. `params` holds the named
    parameters of them all."""
    with connection.cursor() as cursor:
        if not is_postgresql():
            found = []
            for statement in statements:
                cursor.execute(statement, params)
                found.append(cursor.fetchall())
            return found
        cursor.execute(";\n".join(statements), params)
        found = [cursor.fetchall()]
        for _ in statements[1:]:
            cursor.nextset()
            found.append(cursor.fetchall())
        return found


class Epoch(Func):
    """Whole seconds since 1970 of a datetime column, computed by the database.

    A slot search reads thousands of instants and only compares them: integers load many
    times faster than timezone-aware datetimes. Truncated like intervals.to_epoch.
    """

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint",
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
