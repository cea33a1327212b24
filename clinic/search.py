"""Client lookup by name, email or phone: partial, any case, accents ignored.

On PostgreSQL the search runs on one text per client (name, email and the phone's digits,
lowercased and unaccented), stored in the column `search_text` that PostgreSQL computes
when a client is written (migration workspace/0005; not a field of the model), through a
GIN trigram index over it, so `LIKE '%turner%'` over tens of thousands of clients reads
the index instead of every row. The expression is IMMUTABLE, as a generated column needs:
unaccent() itself is only STABLE (its dictionary could change), so migration
workspace/0003 wraps it in `immutable_unaccent`. The term is folded the same way.

The matches are sorted by name in memory (`UnindexedName`): PostgreSQL would otherwise walk
the name index and test each client until it has a page, which costs as many rows as
sort before the first matches (a common surname: 18,800 clients read for 50 on the bench
group), against the matches alone here.

On SQLite (the first-run demo) each connection gets a `search_fold` function, `fold`
below, and the search compares folded name and email without an index.
"""

import unicodedata

from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Lower, Replace

from clinic.models import Client

CLIENT_SEARCH_LIMIT = 50
INDEX_NAME = "client_search_trgm"

SEARCH_COLUMN = "search_text"


class ImmutableUnaccent(Func):
    function = "immutable_unaccent"
    output_field = TextField()


class ClientSearchText(Func):
    """The client's `search_text` column (PostgreSQL only), which the model does not know:
    the name column's reference, under the alias the query gives the table, renamed."""

    output_field = TextField()

    def __init__(self):
        super().__init__(F("name"))

    def as_sql(self, compiler, connection, **extra_context):
        name, _ = compiler.compile(self.get_source_expressions()[0])  # '"clinic_client"."name"'
        quoted = connection.ops.quote_name("name")
        assert name.endswith(quoted), name
        return name.removesuffix(quoted) + connection.ops.quote_name(SEARCH_COLUMN), []


class UnindexedName(Func):
    """`name || ''`: sorts as the name does, but no index serves it (module docstring)."""

    template = "(%(expressions)s || '')"
    output_field = TextField()

    def __init__(self):
        super().__init__(F("name"))


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
    return client_matches(q=q, clients=clients).order_by(*by_name())[:limit]


def by_name() -> tuple:
    """The order of the search's results: by name, then id (see the module's docstring)."""
    if connection.vendor == "postgresql":
        return UnindexedName().asc(), "pk"
    return "name", "pk"


def client_matches(*, q: str, clients: QuerySet[Client]) -> QuerySet[Client]:
    """`clients` whose name, email or phone contains `q` (stripped, not empty), unordered."""
    digits = digits_of(q)
    if connection.vendor == "postgresql":
        clients = clients.alias(search_text=ClientSearchText())
        match = Q(search_text__contains=Lower(ImmutableUnaccent(Value(q))))
        if len(digits) >= 3:
            match |= Q(search_text__contains=digits)
        return clients.filter(match)
    clients = clients.alias(name_folded=SearchFold("name"), email_folded=SearchFold("email"))
    folded = fold(q)
    match = Q(name_folded__contains=folded) | Q(email_folded__contains=folded)
    match |= Q(phone__icontains=q)
    if len(digits) >= 3:
        # The phone without the spaces and dashes people type in it.
        clients = clients.alias(phone_digits=Replace(Replace("phone", Value(" ")), Value("-")))
        match |= Q(phone_digits__contains=digits)
    return clients.filter(match)
