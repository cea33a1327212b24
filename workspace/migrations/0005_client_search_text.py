"""The client search reads a stored column, not an expression (PostgreSQL only; nothing
happens on SQLite).

0003 indexed the expression clinic/search.py matches (name, email and phone digits,
unaccented and lowercased). A trigram match is always rechecked against the row, so every
candidate the index finds computed that expression again, through `immutable_unaccent`,
a SQL function PostgreSQL cannot inline (its body calls the STABLE unaccent()): ~5 us a
row, 30-60 ms for a common surname on 50,000 clients ("turner": 6,250 matches). Here the
expression is computed once, when a client is written, into a generated column
`search_text`, and the trigram index (same name) covers that column: the recheck is a
plain LIKE on stored text.

The index is built without GIN's pending list (`fastupdate = off`): a new client's
trigrams go into the index when it is written, not into a list every search reads through
and the planner prices in. With the recheck now cheap, that price made PostgreSQL read
every client for a long term (a phone number) instead of the index.

`search_text` is not a field of the Client model: the ORM never writes it (PostgreSQL
does) and reads it only through clinic/search.py. PostgreSQL refuses to change the type
of a column a generated column uses: a later migration that alters the type of
clinic_client's name, email or phone must drop `search_text` (and its index) first and
add them again after, as below.
"""

from django.db import migrations

INDEX_NAME = "client_search_trgm"
# The expression of 0003's index, as it was written there.
SEARCH_TEXT = (
    "lower(immutable_unaccent(name || ' ' || email || ' ' || "
    "regexp_replace(phone, '[^0-9]', '', 'g')))"
)


def store_search_text(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE clinic_client ADD COLUMN search_text text "
        f"GENERATED ALWAYS AS ({SEARCH_TEXT}) STORED"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(
        f"CREATE INDEX {INDEX_NAME} ON clinic_client "
        "USING gin (search_text gin_trgm_ops) WITH (fastupdate = off)"
    )


def index_the_expression(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute("ALTER TABLE clinic_client DROP COLUMN IF EXISTS search_text")
    schema_editor.execute(
        f"CREATE INDEX {INDEX_NAME} ON clinic_client USING gin (({SEARCH_TEXT}) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0004_move_auditentry_to_clinic"),
        ("clinic", "0019_client_phone_e164"),
    ]

    operations = [migrations.RunPython(store_search_text, index_the_expression)]
