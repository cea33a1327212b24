"""Written-out INSERTs with the values the ORM would send: for the writes a request makes
every time (a booking's rows, an audit entry), where building and compiling the ORM's insert
cost more CPU than PostgreSQL spends running it (issue 16). Plain SQL with named parameters,
which PostgreSQL and SQLite both run. In clinic/, the bottom layer, so that every part can
write this way (bookings/db.py gathers a booking's inserts into one round trip)."""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault


def insert_sql(objs: Sequence[Model], params: dict, *, ignore_conflicts: bool = False) -> str:
    """A written-out INSERT of `objs` (of one model), every concrete column given (the
    primary key too once it is set), its values added to `params` under names of their own.
    The values are the ORM's (pre_save, get_db_prep_save): defaults, auto_now_add, JSON; a
    field left to its db_default is given as DEFAULT."""
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if not (f.primary_key and objs[0].pk is None)]
    quote = connection.ops.quote_name
    rows = []
    for obj in objs:
        names = []
        for f in fields:
            value = f.pre_save(obj, True)
            if isinstance(value, DatabaseDefault):  # a field left to its db_default
                names.append("DEFAULT")
                continue
            name = f"v{len(params)}"
            params[name] = f.get_db_prep_save(value, connection)
            names.append(f"%({name})s")
        rows.append(f"({', '.join(names)})")
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES {', '.join(rows)}" + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    )


def saved(objs: Sequence[Model]) -> None:
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
