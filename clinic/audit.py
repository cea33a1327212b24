"""Writing and finding the audit trail: one AuditEntry per view or change of health data,
naming every client it showed (one in `client`, or many as AuditSubject rows).

`audit_write` is the one writer. Front ends call `audit_record` with the request after their
permission check and before they answer, so nothing is shown that was not recorded; the
services that change health data or book past a rule write their own entries, whatever the
caller, with the `Origin` the caller passes (the request's path, address and browser).
`entries_about` is how every reader finds a client's entries, of either kind.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qsl, urlencode

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import Resolver404, resolve
from django.utils import timezone

from clinic.addresses import client_ip
from clinic.models import AuditEntry, AuditSubject
from clinic.prepared import Prepared, kept_cursor

USER_AGENT_LENGTH = AuditEntry._meta.get_field("user_agent").max_length
PATH_LENGTH = AuditEntry._meta.get_field("path").max_length

# What was seen or changed, as the trail names it.
CLIENT_PAGE = "client page"
INJECTABLES = "injectables"
DECLARATIONS = "declarations"
ELIGIBILITY = "eligibility"
DAY_SHEET = "day sheet cautions"
DAY_LIST = "day list cautions"
APPOINTMENT = "appointment cautions"
APPOINTMENT_FLAGS = "appointment flag and override"
MESSAGE_DATA = "message data"
PERSONAL_DATA = "all personal data"

# Where an entry was written from (AuditEntry.via).
WORKSPACE, API, ADMIN, PAGES, SYSTEM = "workspace", "api", "admin", "pages", "system"

# What stands in the trail's path for a secret or a person's words that were in the address.
HIDDEN = "[hidden]"
# The query parameters whose values the trail keeps: ids, dates, slugs and the admin's
# filters and paging, which say what page was seen. Any other value (a search for a name or
# an email, an override's reason sent by GET, a token) is replaced by HIDDEN.
KEPT_QUERY = frozenset(
    {
        "app_label",
        "model_name",
        "field_name",
        "clinic",
        "client",
        "treatment",
        "practitioner",
        "date",
        "from",
        "to",
        "span",
        "day",
        "page",
        "p",
        "o",
        "flagged",
        "status",
        "kind",
        "action",
        "via",
    }
)
# A kept value is still only an id, a date or a slug, whatever its parameter's name.
PLAIN_VALUE = re.compile(r"[\w.:+-]{0,40}", re.ASCII)


def audit_path(full_path: str) -> str:
    """`full_path` as the trail keeps it: no signed token (a booking's manage link, a held
    booking's link, an unsubscribe link: anyone who read the trail could use them), and
    no query value but plain ids, dates and slugs of the parameters in KEPT_QUERY."""
    path, _, query = full_path.partition("?")
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    if match is not None:
        for name, value in match.kwargs.items():
            if "token" in name and value:
                path = path.replace(str(value), HIDDEN)
    if query:
        pairs = [
            (key, value if key in KEPT_QUERY and PLAIN_VALUE.fullmatch(value) else HIDDEN)
            for key, value in parse_qsl(query, keep_blank_values=True)
        ]
        path = f"{path}?{urlencode(pairs, safe='[]')}"
    return path[:PATH_LENGTH]


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the front end, the clinic the staff member acted in, and
    the request's path, address and browser. A command or a task has no request:
    Origin(via=SYSTEM)."""

    via: str
    clinic_id: int | None = None
    path: str = ""
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, request, *, via: str, clinic=None) -> "Origin":
        return cls(
            via=via,
            clinic_id=getattr(clinic, "pk", clinic),
            path=_request_path(request),
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        )


def _request_path(request) -> str:
    """audit_path of the request's full path, worked out once per request: a view may write
    more than one entry, or pass an Origin to a service and write its own entry too (the
    booking POST), and each resolved the path again."""
    request = getattr(request, "_request", request)  # Django's request under DRF's
    path = getattr(request, "_audit_path", None)
    if path is None:
        path = request._audit_path = audit_path(request.get_full_path())
    return path


def acting_user(user):
    """The user to record as the author of a change or a record: None for an anonymous
    caller."""
    return user if user is not None and user.is_authenticated else None


def audit_write(
    *,
    user,
    origin: Origin | None,
    action: str,
    what: str,
    clients: Iterable,
    clinic=None,
    **details,
) -> None:
    """Record that `user` did `action` (AuditEntry.Action) on `what` of `clients` (Client
    instances or ids): one entry, whatever their number (one query for one client, two for
    many). `clinic` is where it happened when the caller knows better than the origin (an
    appointment's clinic)."""
    client_ids = list(dict.fromkeys(getattr(c, "pk", c) for c in clients))
    if not client_ids:
        return
    user = acting_user(user)
    origin = origin or Origin(via=SYSTEM)
    common = {
        "clinic_id": getattr(clinic, "pk", clinic) or origin.clinic_id,
        "user": user,
        "username": user.get_username() if user else "",
        "action": action,
        "what": what,
        "via": origin.via,
        "path": origin.path,
        "ip": origin.ip,
        "user_agent": origin.user_agent,
        "details": details,
    }
    if len(client_ids) == 1:
        _entry_insert(client_id=client_ids[0], **common)
        return
    with transaction.atomic():  # an entry without its clients would hide who was seen
        entry = AuditEntry.objects.create(client=None, **common)
        _subjects_write(entry.pk, client_ids)


# The columns of an entry for one client, each with its PostgreSQL type (every concrete
# field but the id: tests/clinic/test_audit_write.py).
ENTRY_COLUMNS = {
    "at": "timestamptz",
    "user": "integer",
    "username": "text",
    "action": "text",
    "what": "text",
    "client": "bigint",
    "clinic": "bigint",
    "via": "text",
    "path": "text",
    "ip": "inet",
    "user_agent": "text",
    "details": "jsonb",
}
_IP = AuditEntry._meta.get_field("ip")


@cache
def _entry_statement() -> Prepared:
    meta, quote = AuditEntry._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ENTRY_COLUMNS)
    values = ", ".join(f"%({name})s" for name in ENTRY_COLUMNS)
    return Prepared(
        "clinic_auditentry_insert",
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})",
        ENTRY_COLUMNS,
    )


def _entry_insert(*, user, client_id, clinic_id, ip, details, **text) -> None:
    """Write an entry for one client, with the values the ORM would store (the time now,
    the address as GenericIPAddressField keeps it, the details as JSON; `text`: the entry's
    text fields), by a statement prepared once per connection (clinic/prepared.py): most
    audited requests write one entry, and building an instance and its INSERT on each was
    most of the write's CPU, parsing it most of PostgreSQL's (issue 16). Its id is not read
    back: nothing uses it."""
    params = {
        **text,
        "at": connection.ops.adapt_datetimefield_value(timezone.now()),
        "user": user.pk if user else None,
        "client": client_id,
        "clinic": clinic_id,
        "ip": _IP.get_prep_value(ip) or None,
        "details": json.dumps(details),
    }
    with kept_cursor() as cursor:
        cursor.execute(_entry_statement().sql(), params)


# One row per client shown, written by one statement with the ids as one array: a busy
# week's diary shows 250 clients, and bulk_create (which sends arrays too) built, saved and
# numbered an instance of each, a fifth of the page's time (issue 16).
SUBJECTS_INSERT = f"""
    INSERT INTO {AuditSubject._meta.db_table} (entry_id, client_id)
    SELECT %(entry)s, client_id FROM unnest(%(clients)s::bigint[]) AS client_id
"""


def _subjects_write(entry_id: int, client_ids: list[int]) -> None:
    """The AuditSubject rows of entry `entry_id`, one per id of `client_ids` (distinct), in
    one statement on PostgreSQL; a bulk insert elsewhere (the SQLite demo has no arrays)."""
    if connection.vendor != "postgresql":
        AuditSubject.objects.bulk_create(
            AuditSubject(entry_id=entry_id, client_id=pk) for pk in client_ids
        )
        return
    with kept_cursor() as cursor:
        cursor.execute(SUBJECTS_INSERT, {"entry": entry_id, "clients": client_ids})


def entries_about(clients) -> Q:
    """The condition on AuditEntry for the entries that name any of `clients` (instances,
    ids, or a queryset of ids): a view of one of them alone (`client`), and the lists that
    showed them (AuditSubject). One subquery, a UNION ALL of the two indexed reads, so the
    database never meets an OR across two tables (which PostgreSQL answers by reading every
    entry)."""
    ids = clients if hasattr(clients, "query") else [getattr(c, "pk", c) for c in clients]
    alone = AuditEntry.objects.filter(client__in=ids).order_by().values("pk")
    listed = AuditSubject.objects.filter(client__in=ids).order_by().values("entry_id")
    return Q(pk__in=alone.union(listed, all=True))


def listed_count():
    """An annotation for AuditEntry: how many clients an entry of a list showed (0 for an
    entry of one client or none); computed for the rows of a page only."""
    per_entry = (
        AuditSubject.objects.filter(entry=OuterRef("pk"))
        .order_by()
        .values("entry")
        .annotate(shown=Count("*"))
        .values("shown")
    )
    return Coalesce(Subquery(per_entry), 0)


def audit_record(
    request,
    *,
    action: str,
    what: str,
    clients: Iterable,
    via: str = WORKSPACE,
    clinic=None,
    **details,
) -> None:
    """audit_write for a view: who and from where come from the request; `clinic` is the
    one the staff member acted in. The request is marked as showing health data, so its
    answer is never cached (web/caching.py)."""
    mark_health_shown(request)
    audit_write(
        user=request.user,
        origin=Origin.of(request, via=via, clinic=clinic),
        action=action,
        what=what,
        clients=clients,
        **details,
    )


# Set on a request whose answer shows health data (on Django's request under DRF's).
HEALTH_SHOWN = "health_shown"


def mark_health_shown(request) -> None:
    setattr(getattr(request, "_request", request), HEALTH_SHOWN, True)


def audit_api(request, *, action: str, what: str, clients: Iterable, clinic=None, **details):
    audit_record(
        request, action=action, what=what, clients=clients, via=API, clinic=clinic, **details
    )


def audit_setting(request, *, clinic, what: str, before: str, after: str, via: str = ADMIN):
    """A clinic setting that routes mail (its email address, where replies go) changed: who
    changed it, from what to what."""
    user = acting_user(request.user)
    origin = Origin.of(request, via=via, clinic=clinic)
    AuditEntry.objects.create(
        user=user,
        username=user.get_username() if user else "",
        action=AuditEntry.Action.SETTING,
        what=what,
        client=None,
        clinic_id=origin.clinic_id,
        via=origin.via,
        path=origin.path,
        ip=origin.ip,
        user_agent=origin.user_agent,
        details={"from": before, "to": after},
    )
