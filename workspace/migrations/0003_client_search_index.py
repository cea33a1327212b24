"""The client search index (PostgreSQL only; nothing happens on SQLite).

unaccent and pg_trgm, an IMMUTABLE wrapper around unaccent() (which is only STABLE, so it
cannot appear in an index), and a GIN trigram index over the expression that
workspace/search.py queries: `LIKE '%...%'` on it reads the index, not every client.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

# The dictionary is named with its schema so the function does not depend on search_path.
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION immutable_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS immutable_unaccent(text)"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from workspace.search import INDEX_NAME, SEARCH_TEXT_SQL

    expression = SEARCH_TEXT_SQL.format(name="name", email="email", phone="phone")
    schema_editor.execute(CREATE_FUNCTION)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON clinic_client "
        f"USING gin (({expression}) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from workspace.search import INDEX_NAME

    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_default_rules"),
        ("workspace", "0002_roles"),
    ]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
