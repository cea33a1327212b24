"""The schema's indexes: none of our tables keeps an index that another of its indexes
already answers.

Django gives every ForeignKey (and every field with db_index) an index of its own; where a
model also has an index or a unique constraint that starts with that column, the lone one
answers no query the longer one cannot (PostgreSQL reads a btree by its leading columns,
and the foreign key's own checks look rows up the same way), yet every insert writes both
and every update of the column both: a booking wrote eight such index entries (issue 16).
Kept: unique indexes (they are constraints), partial ones and ones on expressions (they
answer other questions), the LIKE indexes Django adds to unique text columns, and the
tables Django makes for a ManyToManyField (their indexes come with them).
"""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"),
]

# Each btree index on the tables: whether it is unique, whether partial or on expressions,
# the columns it is on, in order.
INDEXES = """
SELECT table_class.relname, index_class.relname, pg_get_indexdef(i.indexrelid),
       i.indisunique, i.indpred IS NOT NULL OR i.indexprs IS NOT NULL,
       string_to_array(i.indkey::text, ' ')::int[]
  FROM pg_index i
  JOIN pg_class index_class ON index_class.oid = i.indexrelid
  JOIN pg_class table_class ON table_class.oid = i.indrelid
  JOIN pg_am am ON am.oid = index_class.relam
 WHERE am.amname = 'btree' AND table_class.relname = ANY(%s)
"""


def _our_tables() -> list[str]:
    root = Path(settings.BASE_DIR).resolve()
    return [
        model._meta.db_table
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == root  # the project's apps, not installed ones
        for model in config.get_models()
    ]


def redundant_indexes() -> list[str]:
    """`table: index (answered by other)` for each lone index whose columns lead another."""
    with connection.cursor() as cursor:
        cursor.execute(INDEXES, [_our_tables()])
        indexes = cursor.fetchall()
    found = []
    for table, name, definition, unique, partial, columns in indexes:
        if unique or partial or "pattern_ops" in definition:
            continue
        for other_table, other, _, _, other_partial, other_columns in indexes:
            if (
                other_table == table
                and not other_partial  # one that reads every row
                and other != name
                and len(other_columns) > len(columns)
                and other_columns[: len(columns)] == columns
            ):
                found.append(f"{table}: {name} (answered by {other})")
                break
    return sorted(found)


def test_no_index_of_ours_is_answered_by_another():
    assert redundant_indexes() == []


def test_the_check_finds_a_lone_index_that_a_longer_one_answers():
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX test_lone_start ON bookings_appointment (start)")
    assert "bookings_appointment: test_lone_start (answered by appointment_start_id)" in (
        redundant_indexes()
    )


def _lone_indexes(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, about in constraints.items()
        if about["index"] and not about["unique"] and about["columns"] == [column]
    ]


def _foreign_key(table: str, column: str) -> int:
    """The oid of the foreign key constraint on `table`.`column`: a new one if it was
    dropped and added again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid FROM pg_constraint c JOIN pg_attribute a"
            " ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
            " WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s",
            [table, column],
        )
        (oid,) = cursor.fetchone()
    return oid


def test_the_migration_drops_the_lone_index_alone_and_can_make_it_again():
    """clinic/migration_operations.py DropFieldIndex, as bookings/0012 runs it for an
    appointment's client: the foreign key is left as it is (Django's AlterField drops it
    and adds it again, checking every row under a lock), and going back makes the index."""
    loader = MigrationExecutor(connection).loader
    key = ("bookings", "0012_indexes_answered_by_others")
    operation = loader.get_migration(*key).operations[0]
    assert (operation.model_name, operation.name) == ("appointment", "client")
    before = loader.project_state(key, at_end=False)
    after = before.clone()
    operation.state_forwards("bookings", after)
    foreign_key = _foreign_key("bookings_appointment", "client_id")
    assert _lone_indexes("bookings_appointment", "client_id") == []

    with connection.schema_editor() as editor:
        operation.database_backwards("bookings", editor, after, before)
    assert _lone_indexes("bookings_appointment", "client_id") == [
        "bookings_appointment_client_id_b6950817"
    ]
    with connection.schema_editor() as editor:
        operation.database_forwards("bookings", editor, before, after)
    assert _lone_indexes("bookings_appointment", "client_id") == []
    assert _foreign_key("bookings_appointment", "client_id") == foreign_key
