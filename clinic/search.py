"""Client lookup by name, email or phone: partial, any case, accents ignored.

On PostgreSQL the search runs on one text per client (name, email and the phone's digits,
lowercased and unaccented) through a GIN trigram index over that same expression
(migration workspace/0003), so `LIKE '%turner%'` over tens of thousands of clients reads
the index instead of every row. The expression is IMMUTABLE, as an index needs: unaccent()
itself is only STABLE (its dictionary could change), so the migration wraps it in
`immutable_unaccent`. On SQLite (the first-run demo) each connection gets a `search_fold`
function, `fold` below, and the search compares folded name and email without an index.
"""

import unicodedata

from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Lower, Replace

from clinic.models import Client

CLIENT_SEARCH_LIMIT = 50
INDEX_NAME = "client_search_trgm"

# The indexed expression, with the columns to fill in. The query and the index must spell
# it the same way, or PostgreSQL will not match them.
SEARCH_TEXT_SQL = (
    "lower(immutable_unaccent({name} || ' ' || {email} || ' ' || "
    "regexp_replace({phone}, '[^0-9]', '', 'g')))"
)


class ImmutableUnaccent(Func):
    function = "immutable_unaccent"
    output_field = TextField()


class ClientSearchText(Func):
    """SEARCH_TEXT_SQL over a client's columns (PostgreSQL only)."""

    output_field = TextField()

    def __init__(self):
        super().__init__(F("name"), F("email"), F("phone"))

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        (name, _), (email, _), (phone, _) = compiled  # plain columns: no parameters
        return SEARCH_TEXT_SQL.format(name=name, email=email, phone=phone), []


class SearchFold(Func):
    """fold() of a column, run by SQLite through the function workspace/apps.py registers."""

    function = "search_fold"
    output_field = TextField()


def fold(text: str | None) -> str | None:
    """Lowercase, with accents and other combining marks dropped: "Zoë Ångström" -> "zoe
    angstrom". For SQLite, whose lower() knows only ASCII and which has no unaccent()."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created handler: give each SQLite connection search_fold()."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("search_fold", 1, fold, deterministic=True)


def digits_of(q: str) -> str:
    return "".join(ch for ch in q if ch.isdigit())


def client_search(
    *, q: str, clients: QuerySet[Client] | None = None, limit: int = CLIENT_SEARCH_LIMIT
) -> QuerySet[Client]:
    """Clients (among `clients`, all by default) whose name, email or phone contains `q`;
    the newest first when `q` is empty. Phone numbers match on their digits, however they
    were typed ("07700 900101", "07700900101")."""
    clients = (Client.objects.all() if clients is None else clients).select_related("home_clinic")
    q = q.strip()
    if not q:
        return clients.order_by("-created_at", "-pk")[:limit]
    digits = digits_of(q)
    if connection.vendor == "postgresql":
        clients = clients.alias(search_text=ClientSearchText())
        match = Q(search_text__contains=Lower(ImmutableUnaccent(Value(q))))
        if len(digits) >= 3:
            match |= Q(search_text__contains=digits)
    else:
        clients = clients.alias(name_folded=SearchFold("name"), email_folded=SearchFold("email"))
        folded = fold(q)
        match = Q(name_folded__contains=folded) | Q(email_folded__contains=folded)
        match |= Q(phone__icontains=q)
        if len(digits) >= 3:
            # The phone without the spaces and dashes people type in it.
            clients = clients.alias(phone_digits=Replace(Replace("phone", Value(" ")), Value("-")))
            match |= Q(phone_digits__contains=digits)
    return clients.filter(match).order_by("name", "pk")[:limit]
