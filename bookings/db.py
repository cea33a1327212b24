"""Database helpers that only apply on PostgreSQL."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import BigIntegerField, Func, QuerySet


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
        from django.db import connections

        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


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


def plain_rows(queryset) -> list[tuple]:
    """The queryset's rows as the driver returns them.

    For queries of thousands of plain integers: Django's row iteration calls a converter
    for every value, which costs more than running the query.
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# -- compiled SQL of the slot search's queries, reused --------------------------------------

# Probe values of each type: far from any real id or date, and distinct from each other.
_PROBE_BASE = {
    int: -7_000_000,
    date: date(1901, 1, 1),
    datetime: datetime(1901, 1, 1, tzinfo=UTC),
}
_compiled: dict[tuple, tuple[str, list] | None] = {}


def _probe(value, n: int):
    base = _PROBE_BASE.get(type(value))
    if base is None:
        return value  # part of the shape (None, True, a string): kept as it is
    if isinstance(base, int):
        return base - n
    return base + timedelta(days=n)


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b  # True is not the id 1


def _template(build: Callable[..., QuerySet], values: tuple) -> tuple[str, list] | None:
    """The SQL of `build(*values)` and, per parameter, either the index of the value it
    carries or a constant: found by building the query a second time with probe values.
    None when that is not certain (the SQL differs, a value was transformed on its way)."""
    sql, params = build(*values).query.sql_with_params()
    probes = tuple(_probe(value, n) for n, value in enumerate(values))
    probe_sql, probe_params = build(*probes).query.sql_with_params()
    if probe_sql != sql or len(probe_params) != len(params):
        return None
    slots = []
    for real, probe in zip(params, probe_params, strict=True):
        if _same(real, probe) and not any(_same(real, value) for value in values):
            slots.append((None, real))  # a constant of the query itself
            continue
        carried = [
            n
            for n, (value, p) in enumerate(zip(values, probes, strict=True))
            if _same(value, real) and _same(p, probe) and not _same(value, p)
        ]
        if len(carried) != 1:
            return None
        slots.append((carried[0], None))
    return sql, slots


def compiled_rows(
    key: tuple, build: Callable[..., QuerySet], values: tuple, *, plain: bool = True
) -> list[tuple]:
    """The rows of `build(*values)`, compiling the queryset only once per `key` on
    PostgreSQL, where they come as the driver returns them (see plain_rows). Elsewhere the
    queryset is built every time and read with plain_rows, or with Django's conversions
    if not `plain` (SQLite returns times as text). `values` are ints, dates and datetimes.

    Building and compiling the slot search's querysets costs the web worker more CPU than
    PostgreSQL spends running them (about 1 ms each on the benchmark machine, three per
    search). `key` must name everything but `values` that shapes the SQL (which query, how
    many ids in each list). The first call per key builds the query twice, once with probe
    values, to learn which parameter carries which value; later calls only bind. Where the
    mapping is not certain (a value changed on its way to the database), the key is marked
    and every call builds the queryset as before.
    """
    if is_postgresql():
        key = (key, tuple(type(value) for value in values))
        if key not in _compiled:
            _compiled[key] = _template(build, values)
        template = _compiled[key]
    else:
        template = None
    if template is None:
        queryset = build(*values)
        return plain_rows(queryset) if plain else list(queryset)
    sql, slots = template
    params = [constant if index is None else values[index] for index, constant in slots]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
