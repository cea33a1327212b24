"""Written-out INSERTs with the values the ORM would send: for the writes a request makes
every time (a booking's rows, an audit entry), where building and compiling the ORM's insert
cost more CPU than PostgreSQL spends running it (issue 16). Plain SQL with named parameters,
which PostgreSQL and SQLite both run. In clinic/, the bottom layer, so that every part can
write this way (bookings/db.py gathers a booking's inserts into one round trip)."""

from collections.abc import Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault


def insert_sql(objs: Sequence[Model], params: dict, *, ignore_conflicts: bool = False) -> str:
    """A written-out INSERT of `objs` (of one model), every concrete column given (the
    primary key too once it is set), its values added to `params` under names of their own.
    The values are the ORM's (pre_save, get_db_prep_save): defaults, auto_now_add, JSON; a
    field left to its db_default is given as DEFAULT."""
    fields, head = _columns(type(objs[0]), with_pk=objs[0].pk is not None)
    # The connection itself, not the proxy `connection`: each field's get_db_prep_save asks
    # it for its operations, some sixty times a booking.
    db = connections[DEFAULT_DB_ALIAS]
    rows = []
    for obj in objs:
        names = []
        for f in fields:
            value = f.pre_save(obj, True)
            if isinstance(value, DatabaseDefault):  # a field left to its db_default
                names.append("DEFAULT")
                continue
            name = f"v{len(params)}"
            params[name] = f.get_db_prep_save(value, db)
            names.append(f"%({name})s")
        rows.append(f"({', '.join(names)})")
    return f"{head} VALUES {', '.join(rows)}" + (
        " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    )


@cache
def _columns(model: type[Model], *, with_pk: bool) -> tuple[list, str]:
    """The fields an INSERT of `model` gives, and its `INSERT INTO table (columns)`."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
    quote = connection.ops.quote_name
    return (
        fields,
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})",
    )


def saved(objs: Sequence[Model]) -> None:
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
