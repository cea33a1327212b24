"""Django's database sessions (SESSION_ENGINE), with the one read every signed-in request
makes written out as SQL, and planned once per connection on PostgreSQL.

The same table, rows, expiry and encoding as django.contrib.sessions.backends.db: only the
read of a session by its key is a plain statement rather than a queryset built and compiled
on every request (its CPU was most of the read's, issue 16: bench/README.md). A session that
is gone (a logout, a flush, the sweep of expired ones) or past its expiry date is found by
nobody, as before; writes go through Django's own code.

On PostgreSQL a session whose key this process has read before is read together with its
user and their memberships (access.user_query), in one round trip, and the user's rows are
handed to access.UserBackend.get_user, which Django's get_user then asks for that user: a
signed-in request's two reads before its view become one. Django's get_user still checks
the session's backend and the password's hash, as before.
"""

from functools import cache

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

import access
from bookings.db import rows_together
from clinic.prepared import Prepared


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
        access.read_with_session(None)
        guess = _users_by_key.get(self.session_key) if connection.vendor == "postgresql" else None
        data, user_rows = self._session_data_from_db(guess)
        if data is None:
            return {}
        session = self.decode(data)
        user_id = _user_id(session)
        if user_id is not None:
            _remember(self.session_key, user_id)
            if user_id == guess:
                access.read_with_session(user_id, user_rows)
        return session

    def _session_data_from_db(self, user_id: int | None = None) -> tuple[str | None, list]:
        """The stored data of the session if it exists and has not expired; otherwise None,
        and the key is dropped so that a save makes a new one (Django's behaviour). With
        `user_id`, the rows of that user (access.user_query) are read in the same round
        trip, and given with the data."""
        data, user_rows = None, []
        if possible_key(self.session_key):
            params = {
                "key": self.session_key,
                "now": connection.ops.adapt_datetimefield_value(timezone.now()),
            }
            statements = [_read_query(self.model)]
            if user_id is not None:
                statements.append(access.user_query())
                params["user"] = user_id
            rows, *user = rows_together(statements, params)
            user_rows = user[0] if user else []
            data = rows[0][0] if rows else None
        if data is None:
            self._session_key = None
        return data, user_rows


# Whose session each key is (the user's id), as this process last read it: a session's key
# is never given to another user (signing in makes a new one, signing out ends it), so a
# request whose key is known here reads its user with its session, in one round trip, and
# the signed-in request's second round trip goes (issue 16). A guess only: the user read is
# used only when the session read with it names that user (SessionStore.load). At most
# _KEYS_KEPT keys, forgotten all at once when full.
_users_by_key: dict[str, int] = {}
_KEYS_KEPT = 20_000


def _remember(key: str, user_id: int) -> None:
    if len(_users_by_key) >= _KEYS_KEPT:
        _users_by_key.clear()
    _users_by_key[key] = user_id


def _user_id(session: dict) -> int | None:
    """The signed-in user's id the session holds, as Django's get_user reads it, or None."""
    try:
        return get_user_model()._meta.pk.to_python(session[SESSION_KEY])
    except (KeyError, ValidationError, TypeError, ValueError):
        return None


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
