"""Django's database sessions (SESSION_ENGINE), with the one read every signed-in request
makes written out as SQL, and planned once per connection on PostgreSQL.

The same table, rows, expiry and encoding as django.contrib.sessions.backends.db: only the
read of a session by its key is a plain statement rather than a queryset built and compiled
on every request (its CPU was most of the read's, issue 16: bench/README.md). A session that
is gone (a logout, a flush, the sweep of expired ones) or past its expiry date is found by
nobody, as before; writes go through Django's own code.
"""

from functools import cache

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone

from clinic.prepared import Prepared, kept_cursor


def possible_key(key: str | None) -> bool:
    """Whether `key` could be a key this site issued (a session's: lowercase letters and
    digits; an API token's: hexadecimal digits): only such a key is looked up. A forged
    cookie, X-Session-Token or token holding a NUL byte made PostgreSQL refuse the
    statement, a 500 (Django's and REST framework's own reads did the same)."""
    return key is not None and key.isascii() and key.isalnum()


class SessionStore(DatabaseSessionStore):
    def exists(self, session_key):
        return possible_key(session_key) and super().exists(session_key)

    def load(self):
        data = self._session_data_from_db()
        return {} if data is None else self.decode(data)

    def _session_data_from_db(self) -> str | None:
        """The stored data of the session if it exists and has not expired; otherwise None,
        and the key is dropped so that a save makes a new one (Django's behaviour)."""
        data = None
        if possible_key(self.session_key):
            with kept_cursor() as cursor:
                cursor.execute(
                    _read_query(self.model).sql(),
                    {
                        "key": self.session_key,
                        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
                    },
                )
                row = cursor.fetchone()
            data = row[0] if row else None
        if data is None:
            self._session_key = None
        return data


@cache
def _read_query(model) -> Prepared:
    """Planned once per connection on PostgreSQL (clinic/prepared.py)."""
    meta, quote = model._meta, connection.ops.quote_name
    statement = (
        f"SELECT {quote(meta.get_field('session_data').column)} FROM {quote(meta.db_table)}"
        f" WHERE {quote(meta.get_field('session_key').column)} = %(key)s"
        f" AND {quote(meta.get_field('expire_date').column)} > %(now)s"
    )
    return Prepared(f"{meta.db_table}_by_key", statement, {"key": "text", "now": "timestamptz"})
