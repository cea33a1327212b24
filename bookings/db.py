"""Database helpers that only apply on PostgreSQL, kept out of the migrations' bodies."""

from django.db import connection
from django.db.migrations.operations import AddConstraint


class AddConstraintOnPostgreSQL(AddConstraint):
    """AddConstraint that creates its constraint only on PostgreSQL.

    The exclusion constraints against double booking need btree_gist; SQLite, the embedded
    first-run database, cannot express them and relies on IMMEDIATE transactions instead.
    The model state always has the constraint, so makemigrations stays quiet.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
