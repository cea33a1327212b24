"""A client's data export: everything the clinic holds about them, as plain JSON-ready data.

Every stored field of every row is included (read from the models' own field lists, so a
field added later is exported too), with users named by their username. Rows are read as
values, not model instances, one query per kind of row: a client with ten years of visits
costs the same number of queries as a new one, and no objects.

client_export_json gives the export as the JSON the manager downloads. On PostgreSQL its
long lists' timestamps come formatted by the database, as DjangoJSONEncoder writes them,
and their JSON fields as the stored JSON text, spliced in unparsed: a client with ten
years of visits holds thousands of each, and reading them into Python objects only to
write them out again was most of the export's time (issue 16).
"""

import base64
from collections import defaultdict

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import DateTimeField, F, Func, JSONField, Q, TextField
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Cast
from django.utils import timezone

from aftercare.models import Message
from bookings.db import is_postgresql
from bookings.models import Appointment, AppointmentChange, SignOff
from clinic.audit import entries_about
from clinic.models import AuditEntry, AuditSubject, Client, Resource
from clinical.models import HealthDeclaration, InjectableRecord
from records import storage as photo_files
from records.selectors import AnyOf, any_of

USER_FIELDS = ("username", "first_name", "last_name", "email", "date_joined", "last_login")


class _JsonTimestamp(Func):
    """A timestamp as DjangoJSONEncoder writes it, by PostgreSQL: UTC with a "Z", and
    its milliseconds (truncated) only when it has a fraction of a second."""

    output_field = TextField()
    # One to_char a row (the database's slowest step here): with milliseconds or without.
    template = (
        "CASE WHEN date_trunc('second', %(expressions)s) = %(expressions)s"
        " THEN to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        " ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        " END"
    )


def _of_appointments(ids: list[int]):
    """The condition "of one of these appointments" (their ids, as one array on
    PostgreSQL)."""
    return any_of("appointment_id", ids)


def _entries_about(client: Client):
    """The condition "an audit entry that names the client": a view of them alone, or a
    list that showed them (clinic/audit.py `entries_about`). On PostgreSQL the lists' ids
    are read first, as one array (`ARRAY(SELECT ...)`), so both halves are conditions on
    the entries' own indexes (client, id) that PostgreSQL ORs in one bitmap: each entry is
    read once. The ids as a subquery (`id IN (... UNION ALL ...)`) read the client's own
    entries twice, once for their ids and again by id (issue 16)."""
    if not is_postgresql():
        return entries_about([client])
    listed = AuditSubject.objects.filter(client=client).order_by().values("entry_id")
    return Q(client=client) | AnyOf(F("pk"), ArraySubquery(listed))


def _columns(model, *, skip) -> list[tuple[str, str]]:
    """(name, lookup) for each stored field of `model`: a foreign key as its id, a user as
    their username."""
    columns = []
    for f in model._meta.concrete_fields:
        if f.name in skip:
            continue
        if f.is_relation and f.related_model._meta.label == "auth.User":
            columns.append((f.name, f"{f.name}__username"))
        else:
            columns.append((f.name, f.attname))
    return columns


def _row(obj, *, skip=("client",)) -> dict:
    """Each stored field of `obj` (see _columns)."""
    data = {}
    for name, lookup in _columns(type(obj), skip=skip):
        if lookup.endswith("__username"):
            user = getattr(obj, name)
            data[name] = user.get_username() if user else None
        else:
            value = getattr(obj, lookup)
            data[name] = value.name if isinstance(value, FieldFile) else value  # a file: its name
    return data


def _rows(queryset, *, skip=("client",), as_json=False, **extra) -> list[dict]:
    """Each row of `queryset` as _row would give it, plus the `extra` lookups by name, in one
    query. `as_json` (PostgreSQL only): its timestamps as the JSON strings the encoder
    would write and its JSON fields as their JSON text (orjson.Fragment), both unparsed."""
    columns = _columns(queryset.model, skip=skip)
    names = [name for name, _ in columns] + list(extra)
    lookups = [lookup for _, lookup in columns] + list(extra.values())
    fragments = []
    if as_json:
        for index, (name, lookup) in enumerate(columns):
            field = queryset.model._meta.get_field(name)
            if isinstance(field, DateTimeField):
                lookups[index] = _JsonTimestamp(lookup)
            elif isinstance(field, JSONField):
                lookups[index] = Cast(lookup, TextField())
                fragments.append(name)
    rows = [dict(zip(names, values, strict=True)) for values in queryset.values_list(*lookups)]
    for row in rows if fragments else ():
        for name in fragments:
            if row[name] is not None:
                row[name] = orjson.Fragment(row[name])
    return rows


def _names_apart(rows: list[dict], *names: str):
    """Each row as (its `names`, the rest), so a name does not also go out under its own
    key beside the field it names."""
    for row in rows:
        yield {name: row.pop(name) for name in names}, row


def _image(photo) -> str | None:
    """The photo's bytes in base64; None when its file is gone from the storage (the row
    still says it was taken). A storage out of reach raises StorageUnavailable: an export
    is not given without the photos it should hold."""
    try:
        return base64.b64encode(photo_files.read(photo.file)).decode("ascii")
    except FileNotFoundError:
        return None


def client_export_json(client: Client) -> bytes:
    """The client's export (client_export) as compact UTF-8 JSON: the value
    DjangoJSONEncoder would give, written by orjson."""
    data = _export(client, as_json=is_postgresql())
    return orjson.dumps(data, default=_encode, option=orjson.OPT_PASSTHROUGH_DATETIME)


# Dates and times (passed through by orjson, which would write them otherwise), decimals,
# durations and lazy strings, as Django writes them.
_encode = DjangoJSONEncoder().default


def client_export(client: Client) -> dict:
    """The client's export as Python values (see _export)."""
    return _export(client, as_json=False)


def _export(client: Client, *, as_json: bool) -> dict:
    """The client's details and login, health records (superseded ones too), treatment
    records (every version) and the recalls that reached them, appointments
    with their rooms and history, their waitlist (offers, reasons skipped), the emails and
    texts planned and sent to them, and the audit trail of
    who saw or changed their data (lists that showed them included)."""
    client = Client.objects.select_related("organisation", "home_clinic", "user").get(pk=client.pk)
    user = client.user
    appointments = _rows(
        Appointment.objects.filter(client=client).order_by("start"),
        as_json=as_json,
        treatment_name="treatment__name",
        practitioner_name="practitioner__name",
    )
    # Their rooms, sign-offs and history by the appointments' ids, not by a join on the
    # client: the join made PostgreSQL read every change record of the clinic group (a
    # sequential scan of a million rows at ten years' size); by ids it reads this client's
    # from the index alone (issue 16).
    ids = [row["id"] for row in appointments]
    resources = defaultdict(list)
    for appointment_id, name in (
        Appointment.resources.through.objects.filter(_of_appointments(ids))
        .order_by("appointment_id", *(f"resource__{o}" for o in Resource._meta.ordering))
        .values_list("appointment_id", "resource__name")
    ):
        resources[appointment_id].append(name)
    sign_offs = {
        row.pop("appointment_of"): row
        for row in _rows(
            SignOff.objects.filter(_of_appointments(ids)),
            skip=("appointment",),
            as_json=as_json,
            appointment_of="appointment_id",
        )
    }
    history = defaultdict(list)
    changes = AppointmentChange.objects.filter(_of_appointments(ids))
    for change in _rows(
        changes, skip=("appointment",), as_json=as_json, appointment_of="appointment_id"
    ):
        history[change.pop("appointment_of")].append(change)
    return {
        "exported_at": timezone.now(),
        "client": {
            **_row(client, skip=()),
            "organisation": {"slug": client.organisation.slug, "name": client.organisation.name},
            "home_clinic": {"slug": client.home_clinic.slug, "name": client.home_clinic.name},
            "user": {name: getattr(user, name) for name in USER_FIELDS} if user else None,
        },
        "injectables": _rows(
            InjectableRecord.objects.filter(client=client).order_by("pk"), as_json=as_json
        ),
        "declarations": _rows(
            HealthDeclaration.objects.filter(client=client).order_by("pk"), as_json=as_json
        ),
        # Every version of every treatment record, with its products and lots.
        "treatment_records": [
            {**_row(r), "products": [_row(p, skip=("record",)) for p in r.products.all()]}
            for r in client.treatment_records.select_related("written_by")
            .prefetch_related("products")
            .order_by("pk")
        ],
        # Their clinical photos, each with its image (as stored: without metadata), and the
        # consents they gave or withdrew.
        "clinical_photos": [
            {**_row(p), "image_base64": _image(p)}
            for p in client.clinical_photos.select_related("uploaded_by").order_by("pk")
        ],
        "photo_consents": [
            _row(c) for c in client.photo_consents.select_related("recorded_by").order_by("pk")
        ],
        "recalls": [
            {"recall": _row(e.recall, skip=("recorded_by",)), "found_in": e.found_in}
            for e in client.recalls.select_related("recall").order_by("pk")
        ],
        "appointments": [
            {
                **row,
                # By name: the row's own treatment and practitioner are their ids.
                "treatment": named.pop("treatment_name"),
                "practitioner": named.pop("practitioner_name"),
                "resources": resources[row["id"]],
                "history": history[row["id"]],
                "sign_off": sign_offs.get(row["id"]),
            }
            for named, row in _names_apart(appointments, "treatment_name", "practitioner_name")
        ],
        # Consent and intake forms they signed: the words they saw, what they answered, how
        # and where they signed (the PDF and drawn signature are files: named here).
        "form_submissions": [
            {
                **_row(s),
                "form": s.version.template.name,
                "version": s.version.number,
                "title": s.version.title,
                "text": s.version.text,
            }
            for s in client.form_submissions.select_related("version__template").order_by("pk")
        ],
        # Payments are personal data, not health data: every one, and every fee.
        "payments": [_row(p) for p in client.payments.select_related("recorded_by").order_by("pk")],
        "charges": [_row(c) for c in client.charges.select_related("waived_by").order_by("pk")],
        # Courses bought, each with its sessions (the appointments they paid for) and history.
        "courses": [
            {
                **_row(course),
                "sessions": [
                    {**_row(r, skip=("client_course",)), "appointment": r.appointment.reference}
                    for r in course.redemptions.all()
                ],
                "history": [_row(c, skip=("client_course",)) for c in course.changes.all()],
            }
            for course in client.courses.select_related("bought_by", "paid_by")
            .prefetch_related("redemptions__appointment", "changes__by")
            .order_by("pk")
        ],
        # What they waited for, the times offered to them, and why a time was not offered
        # (their own record's reasons: theirs to see).
        "waitlist": [
            {
                **_row(entry),
                "offers": [
                    {**_row(o, skip=("entry", "hold")), "start": o.hold.start}
                    for o in entry.offers.all()
                ],
                "skipped": [_row(skip, skip=("entry",)) for skip in entry.skips.all()],
            }
            for entry in client.waitlist_entries.prefetch_related("offers__hold", "skips").order_by(
                "pk"
            )
        ],
        # Every email and text planned or sent to them (their unsubscribe choice and their
        # agreement to texts are in "client").
        "messages": _rows(Message.objects.filter(client=client).order_by("pk"), as_json=as_json),
        # Entries of lists that showed them too; never the other clients a list showed.
        "audit": _rows(
            AuditEntry.objects.filter(_entries_about(client)).order_by("at", "pk"),
            skip=("client", "user"),
            as_json=as_json,
        ),
    }
