"""The client search index (PostgreSQL only; nothing happens on SQLite).

unaccent and pg_trgm, an IMMUTABLE wrapper around unaccent() (which is only STABLE, so it
cannot appear in an index), and a GIN trigram index over the expression that
clinic/search.py queries: `LIKE '%...%'` on it reads the index, not every client. The
expression is written out here as it was when the index was made; the query must keep
spelling it the same way (clinic/search.py), or PostgreSQL will not use the index.
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
INDEX_NAME = "client_search_trgm"
SEARCH_TEXT = (
    "lower(immutable_unaccent(name || ' ' || email || ' ' || "
    "regexp_replace(phone, '[^0-9]', '', 'g')))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON clinic_client "
        f"USING gin (({SEARCH_TEXT}) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
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
