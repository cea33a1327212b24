"""Reads of treatment records: an appointment's versions, "last time" for the next visit
(in a fixed number of queries for a whole sheet), and a client's photos of an area compared
across visits."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BooleanField, F, Func, Prefetch, Q, Value

from bookings.models import Appointment
from clinical.vocabulary import FaceArea
from records import schema
from records.models import ClinicalPhoto, Recall, RecallFlag, RecordProduct, TreatmentRecord
from records.services import RecordError, locked_at, settings_fields


@dataclass(frozen=True)
class Shown:
    """A record as a sheet shows it."""

    record: TreatmentRecord
    settings: list[str]  # "Intensity at start: 120 µA", in the schema's order
    products: list[RecordProduct]

    @property
    def appointment(self) -> Appointment:
        return self.record.appointment


class AnyOf(Func):
    """`column = ANY(%s)`: a list of ids sent as one array (PostgreSQL), not one parameter
    each: a week's ~240 ids as an IN list were ~240 placeholders that the ORM compiled one
    by one and psycopg parsed afresh on every call (it caches statements of at most 50
    parameters), which cost more CPU than the rows they read (issue 16)."""

    output_field = BooleanField()
    arg_joiner = " = ANY("
    template = "%(expressions)s)"


def any_of(column: str, ids) -> Q | AnyOf:
    """The condition "`column` is one of `ids`": one array parameter on PostgreSQL, an IN
    list elsewhere (SQLite has no arrays)."""
    if connection.vendor == "postgresql":
        return AnyOf(F(column), Value(list(ids)))
    return Q(**{f"{column}__in": ids})


def _current():
    return (
        TreatmentRecord.objects.filter(superseded_at__isnull=True)
        .select_related("appointment", "treatment", "written_by")
        .prefetch_related(Prefetch("products", queryset=RecordProduct.objects.order_by("pk")))
    )


def shown(record: TreatmentRecord, fields: list[dict] | None = None) -> Shown:
    fields = settings_fields(record.treatment) if fields is None else fields
    return Shown(
        record, schema.describe(fields, record.device_settings), list(record.products.all())
    )


def versions(appointment: Appointment) -> list[TreatmentRecord]:
    """Every version of the appointment's record, newest first."""
    return list(
        TreatmentRecord.objects.filter(appointment=appointment)
        .select_related("written_by")
        .prefetch_related("products")
        .order_by("-version")
    )


def lock_of(appointment: Appointment):
    """When the appointment's record locks (None: no record yet)."""
    first = TreatmentRecord.objects.filter(appointment=appointment, version=1).first()
    return locked_at(first) if first else None


def last_time(appointments: list[Appointment]) -> dict[int, Shown]:
    """appointment id -> the record of the client's visit before it: of the same treatment
    if there is one, else of any treatment. Two queries (records, their products) and one
    per treatment shown for its schema, whatever the number of appointments."""
    clients = {a.client_id for a in appointments if a.client_id}
    if not clients:
        return {}
    records = list(
        _current()
        .filter(any_of("client_id", clients))
        .order_by("client_id", "-appointment__start", "-pk")
    )
    fields_by_treatment: dict[int, list[dict]] = {}
    by_client: dict[int, list[TreatmentRecord]] = {}
    for record in records:
        by_client.setdefault(record.client_id, []).append(record)
    found = {}
    for appointment in appointments:
        earlier = [
            r
            for r in by_client.get(appointment.client_id, ())
            if r.appointment.start < appointment.start and r.appointment_id != appointment.pk
        ]
        same = [r for r in earlier if r.treatment_id == appointment.treatment_id]
        record = (same or earlier or [None])[0]
        if record is None:
            continue
        if record.treatment_id not in fields_by_treatment:
            fields_by_treatment[record.treatment_id] = settings_fields(record.treatment)
        found[appointment.pk] = shown(record, fields_by_treatment[record.treatment_id])
    return found


def recall_flags(appointments: list[Appointment]) -> dict[int, list[Recall]]:
    """appointment id -> the recalls that flag it."""
    if not appointments:
        return {}
    flags = RecallFlag.objects.filter(
        any_of("appointment_id", [a.pk for a in appointments])
    ).select_related("recall")
    found: dict[int, list[Recall]] = {}
    for flag in flags:
        found.setdefault(flag.appointment_id, []).append(flag.recall)
    return found


# -- photos across visits --------------------------------------------------------------------


class CompareError(RecordError):
    code = "invalid_comparison"
    detail = "Those photos cannot be compared."


@dataclass(frozen=True)
class PhotoDay:
    """The photos of one area taken on one day (the clinic's calendar), before and after."""

    day: date
    appointments: list[Appointment]
    before: list[ClinicalPhoto]
    after: list[ClinicalPhoto]

    @property
    def photos(self) -> list[ClinicalPhoto]:
        return [*self.before, *self.after]


@dataclass(frozen=True)
class Comparison:
    areas: list[str]  # the areas with photos, in the face diagram's order
    area: str | None
    days: list[date]  # the days with photos of `area`, oldest first
    first: PhotoDay | None
    second: PhotoDay | None

    @property
    def sides(self) -> list[PhotoDay]:
        """The columns: the two days, or one when both are the same day."""
        days = [d for d in (self.first, self.second) if d is not None]
        return days[:1] if len(days) == 2 and days[0].day == days[1].day else days

    @property
    def shown(self) -> list[ClinicalPhoto]:
        return [p for d in self.sides for p in d.photos]


def photo_comparison(
    photos: list[ClinicalPhoto],
    *,
    tz: ZoneInfo,
    area: str = "",
    first: date | None = None,
    second: date | None = None,
) -> Comparison:
    """Two days of one area's photos side by side, from `photos` (each with its
    appointment): by default the area photographed on the most days (the first on the face
    diagram among equals), its first day and its latest. CompareError, in words, for an
    area or a day without photos."""
    order = {value: n for n, value in enumerate(FaceArea.values)}
    areas = sorted({p.area for p in photos}, key=lambda a: (order.get(a, len(order)), a))
    if not areas:
        if area or first or second:
            raise CompareError("There are no photos of this client to compare.")
        return Comparison([], None, [], None, None)
    if not area:  # the area photographed on the most days: the one there is most to compare
        days_of = {
            a: {p.appointment.start.astimezone(tz).date() for p in photos if p.area == a}
            for a in areas
        }
        area = max(areas, key=lambda a: (len(days_of[a]), -areas.index(a)))
    if area not in areas:
        raise CompareError(f"There are no photos of that area: choose one of {', '.join(areas)}.")
    by_day: dict[date, list[ClinicalPhoto]] = {}
    for photo in sorted(photos, key=lambda p: (p.appointment.start, p.pk)):
        if photo.area == area:
            by_day.setdefault(photo.appointment.start.astimezone(tz).date(), []).append(photo)
    days = sorted(by_day)
    first, second = first or days[0], second or days[-1]
    for chosen in (first, second):
        if chosen not in by_day:
            raise CompareError(
                f"There are no photos of that area on {chosen:%d %b %Y}: choose one of the days "
                "listed."
            )
    if first > second:
        first, second = second, first

    def of(day: date) -> PhotoDay:
        taken = by_day[day]
        appointments = list({p.appointment_id: p.appointment for p in taken}.values())
        return PhotoDay(
            day,
            appointments,
            [p for p in taken if p.stage == ClinicalPhoto.Stage.BEFORE],
            [p for p in taken if p.stage == ClinicalPhoto.Stage.AFTER],
        )

    return Comparison(areas, area, days, of(first), of(second))


def client_records(client, *, diary: Q, clinics: set[int] | None) -> list[TreatmentRecord]:
    """Every version of the client's treatment records of the appointments `diary` (a
    filter on appointments) lets through, at `clinics` (None: any), the latest visit first
    and each visit's newest version first; two queries."""
    records = TreatmentRecord.objects.filter(
        client=client, appointment__in=Appointment.objects.filter(diary).values("pk")
    )
    if clinics is not None:
        records = records.filter(clinic_id__in=clinics)
    return list(
        records.select_related("appointment", "clinic", "treatment", "written_by")
        .prefetch_related(Prefetch("products", queryset=RecordProduct.objects.order_by("pk")))
        .order_by("-appointment__start", "-appointment_id", "-version")
    )
