"""Reads of treatment records: an appointment's versions, and "last time" for the next
visit (in a fixed number of queries for a whole sheet)."""

from dataclasses import dataclass

from django.db.models import Prefetch

from bookings.models import Appointment
from records import schema
from records.models import Recall, RecallFlag, RecordProduct, TreatmentRecord
from records.services import locked_at, settings_fields


@dataclass(frozen=True)
class Shown:
    """A record as a sheet shows it."""

    record: TreatmentRecord
    settings: list[str]  # "Intensity at start: 120 µA", in the schema's order
    products: list[RecordProduct]

    @property
    def appointment(self) -> Appointment:
        return self.record.appointment


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
        _current().filter(client_id__in=clients).order_by("client_id", "-appointment__start", "-pk")
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
    flags = RecallFlag.objects.filter(
        appointment_id__in=[a.pk for a in appointments]
    ).select_related("recall")
    found: dict[int, list[Recall]] = {}
    for flag in flags:
        found.setdefault(flag.appointment_id, []).append(flag.recall)
    return found
