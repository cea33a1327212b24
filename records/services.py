"""Writes of treatment records and recalls. Each writes its own audit entries in its own
transaction (clinic/audit.py), whatever the caller; a refusal is a RecordError with the
API's code/detail shape and nothing written.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Trim, Upper
from django.utils import timezone

from aftercare.models import Message
from aftercare.planning import save_new
from bookings.models import Appointment
from clinic.audit import Origin, audit_write
from clinic.models import AuditEntry, Client, Clinic
from clinical.models import InjectableRecord
from clinical.vocabulary import FaceArea
from records import schema
from records.models import (
    ClinicalPhoto,
    DeviceSettingsSchema,
    PhotoConsent,
    Recall,
    RecallClient,
    RecallFlag,
    RecordProduct,
    TreatmentRecord,
)

# What the audit trail names (AuditEntry.what).
AUDIT_RECORDS = "treatment records"
AUDIT_RECALL = "product recall"

# Appointments that may have a record: the visit happened, or is happening.
RECORDABLE = (Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED)
MAX_PRODUCTS = 20
PRODUCT_LENGTH = RecordProduct._meta.get_field("product").max_length
LOT_LENGTH = RecordProduct._meta.get_field("lot_number").max_length
TEXT_LENGTH = 5000


class RecordError(Exception):
    """A refusal with the API's shape; `errors` names the fields (a form shows them)."""

    code = "invalid_record"
    status = 400
    detail = "The record could not be saved."

    def __init__(self, detail: str | None = None, *, errors: dict | None = None):
        self.detail = detail or self.detail
        self.errors = errors or {}
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail, "errors": self.errors}


class NotYetRecordable(RecordError):
    code = "not_recordable"
    status = 409
    detail = "A record can be written once the appointment has started, and not if cancelled."


class AmendmentNeedsReason(RecordError):
    code = "amendment_needs_reason"
    detail = "This record is locked: a change now is an amendment and needs a reason."


class StaleVersion(RecordError):
    code = "stale_version"
    status = 409
    detail = "Someone saved this record since you opened it. Reload it and try again."


class RecallError(RecordError):
    code = "invalid_recall"
    detail = "The recall could not be recorded."


def settings_fields(treatment) -> list[dict]:
    """The device-settings fields of a treatment's record: its own schema, else its
    category's, else the built-in ones (records/schema.py)."""
    rows = {
        (row.treatment_id is not None): row.fields
        for row in DeviceSettingsSchema.objects.filter(
            Q(treatment=treatment) | Q(treatment__isnull=True, category=treatment.category)
        )
    }
    if True in rows:
        return rows[True]
    if False in rows:
        return rows[False]
    return schema.DEFAULT_FIELDS.get(treatment.category, [])


def locked_at(first: TreatmentRecord) -> datetime:
    return first.written_at + timedelta(days=django_settings.RECORDS_LOCK_DAYS)


@dataclass
class RecordInput:
    """What a practitioner wrote, as typed (the form and the API fill it in)."""

    notes: str = ""
    areas: list = field(default_factory=list)
    pressure: str = ""
    products: list = field(default_factory=list)  # [{"product": ..., "lot_number": ...}]
    settings: dict = field(default_factory=dict)  # name -> text or number
    reason: str = ""


def _clean(data: RecordInput, fields: list[dict]) -> tuple[dict, list[tuple[str, str]]]:
    errors: dict[str, str] = {}
    for name in ("notes", "pressure", "reason"):
        if len(getattr(data, name) or "") > TEXT_LENGTH:
            errors[name] = f"At most {TEXT_LENGTH} characters."
    areas = list(dict.fromkeys(data.areas or []))
    if any(area not in FaceArea.values for area in areas):
        errors["areas"] = f"Areas must be drawn from: {', '.join(FaceArea.values)}."
    products = []
    for position, item in enumerate(data.products or [], 1):
        product = str(item.get("product") or "").strip()
        lot = str(item.get("lot_number") or "").strip()
        if not product and not lot:
            continue
        if not product:
            errors["products"] = f"Product {position}: name the product of lot {lot}."
        elif len(product) > PRODUCT_LENGTH or len(lot) > LOT_LENGTH:
            errors["products"] = (
                f"Product {position}: at most {PRODUCT_LENGTH} characters for the product "
                f"and {LOT_LENGTH} for the lot."
            )
        products.append((product, lot))
    if len(products) > MAX_PRODUCTS:
        errors["products"] = f"At most {MAX_PRODUCTS} products."
    values, setting_errors = schema.clean_settings(fields, data.settings or {})
    errors.update({f"settings.{name}": text for name, text in setting_errors.items()})
    if errors:
        raise RecordError("Please correct the record: " + " ".join(errors.values()), errors=errors)
    cleaned = {
        "notes": (data.notes or "").strip(),
        "areas": areas,
        "pressure": (data.pressure or "").strip(),
        "device_settings": values,
    }
    return cleaned, products


def record_save(
    *,
    appointment: Appointment,
    data: RecordInput,
    by,
    origin: Origin | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TreatmentRecord:
    """Write the appointment's record, or a new version of it. Past the lock
    (RECORDS_LOCK_DAYS after the first version) a new version is an amendment: it needs a
    reason, kept on the version and in the audit trail. `expected_version` (the version the
    writer saw; 0 for none) refuses a save over someone else's newer one."""
    now = now or timezone.now()
    if appointment.status not in RECORDABLE or appointment.start > now:
        raise NotYetRecordable()
    cleaned, products = _clean(data, settings_fields(appointment.treatment))
    reason = (data.reason or "").strip()
    try:
        with transaction.atomic():
            # One lock per record: the appointment's row, so two saves take turns.
            Appointment.objects.select_for_update(of=("self",)).filter(pk=appointment.pk).first()
            versions = list(
                TreatmentRecord.objects.filter(appointment=appointment).order_by("version")
            )
            current = versions[-1] if versions else None
            if expected_version is not None and expected_version != (
                current.version if current else 0
            ):
                raise StaleVersion()
            amendment = bool(versions) and now >= locked_at(versions[0])
            if amendment and not reason:
                raise AmendmentNeedsReason(errors={"reason": AmendmentNeedsReason.detail})
            if current is not None:
                current.superseded_at = now
                current.save(update_fields=["superseded_at"])
            record = TreatmentRecord.objects.create(
                appointment=appointment,
                client_id=appointment.client_id,
                clinic_id=appointment.clinic_id,
                treatment_id=appointment.treatment_id,
                version=(current.version + 1) if current else 1,
                amendment_reason=reason if amendment else "",
                written_by=by if getattr(by, "is_authenticated", False) else None,
                written_at=now,
                **cleaned,
            )
            RecordProduct.objects.bulk_create(
                RecordProduct(record=record, product=product, lot_number=lot)
                for product, lot in products
            )
            details = {"appointment": appointment.reference, "version": record.version}
            if amendment:
                details.update(amendment=True, reason=reason)
            audit_write(
                user=by,
                origin=origin,
                action=AuditEntry.Action.RECORD,
                what=AUDIT_RECORDS,
                clients=[appointment.client_id],
                clinic=appointment.clinic_id,
                **details,
            )
    except IntegrityError:  # a save that raced past the lock's read (the unique version)
        raise StaleVersion() from None
    return record


# -- recalls ---------------------------------------------------------------------------------


@dataclass
class RecallOutcome:
    recall: Recall
    clients: list[Client]
    flagged: list[Appointment]
    new_messages: int
    summary_planned: bool


def normalise_lot(lot: str) -> str:
    return " ".join((lot or "").split()).upper()


def _lot_holders(recall: Recall) -> dict[int, list[str]]:
    """client id -> where the lot was found, in the recall's organisation: the current
    injectables and treatment records (a correction of a mistyped lot replaces the old)."""
    # Compared trimmed and in capitals, as people type them (the API and the admin keep
    # what was typed).
    lot = normalise_lot(recall.lot_number)
    found: dict[int, list[str]] = {}
    injectables = (
        InjectableRecord.objects.annotate(lot=Upper(Trim("lot_number")))
        .filter(lot=lot, client__organisation_id=recall.organisation_id, superseded_at__isnull=True)
        .values_list("client_id", "pk")
    )
    for client_id, pk in injectables:
        found.setdefault(client_id, []).append(f"injectable:{pk}")
    products = (
        RecordProduct.objects.annotate(lot=Upper(Trim("lot_number")))
        .filter(
            lot=lot,
            record__superseded_at__isnull=True,
            record__client__organisation_id=recall.organisation_id,
        )
        .values_list("record__client_id", "record_id")
    )
    for client_id, pk in products:
        found.setdefault(client_id, []).append(f"record:{pk}")
    return found


def recall_record(
    *,
    clinic: Clinic,
    product: str,
    lot_number: str,
    reason: str,
    by,
    origin: Origin | None = None,
    now: datetime | None = None,
) -> RecallOutcome:
    """Record a recalled lot for the clinic's organisation, or run the recall of that lot
    again: find every client of the organisation with an injectable or a treatment record of
    that lot, flag their upcoming appointments, and plan one message to each client and one
    summary to the clinic (Clinic.email). Planned once: the outbox's keys are the recall's
    and the client's, so a second run adds only clients found since."""
    now = now or timezone.now()
    product, lot, reason = (
        (product or "").strip(),
        normalise_lot(lot_number),
        (reason or "").strip(),
    )
    errors = {}
    if not product or len(product) > Recall._meta.get_field("product").max_length:
        errors["product"] = "Name the product (at most 120 characters)."
    if not lot or len(lot) > Recall._meta.get_field("lot_number").max_length:
        errors["lot_number"] = "Give the lot number (at most 60 characters)."
    if not reason or len(reason) > TEXT_LENGTH:
        errors["reason"] = f"Say why it is recalled (at most {TEXT_LENGTH} characters)."
    if errors:
        raise RecallError(" ".join(errors.values()), errors=errors)
    with transaction.atomic():
        recall = Recall.objects.filter(
            organisation_id=clinic.organisation_id, lot_number__iexact=lot
        ).first()
        if recall is None:
            recall, _ = Recall.objects.get_or_create(
                organisation_id=clinic.organisation_id,
                lot_number=lot,
                defaults={
                    "clinic": clinic,
                    "product": product,
                    "reason": reason,
                    "recorded_by": by if getattr(by, "is_authenticated", False) else None,
                },
            )
        holders = _lot_holders(recall)
        clients = list(
            Client.objects.filter(pk__in=holders).select_related("home_clinic").order_by("pk")
        )
        RecallClient.objects.bulk_create(
            [RecallClient(recall=recall, client=c, found_in=holders[c.pk]) for c in clients],
            ignore_conflicts=True,
        )
        upcoming = list(
            Appointment.objects.filter(
                client_id__in=holders, status=Appointment.Status.CONFIRMED, start__gte=now
            ).order_by("start")
        )
        RecallFlag.objects.bulk_create(
            [RecallFlag(recall=recall, appointment=a) for a in upcoming], ignore_conflicts=True
        )
        facts = {"product": recall.product, "lot_number": recall.lot_number}
        planned_before = Message.objects.filter(key__startswith=f"recall:{recall.pk}:").count()
        messages = [
            Message(
                key=f"recall:{recall.pk}:client:{c.pk}",
                clinic_id=c.home_clinic_id,
                client=c,
                kind=Message.Kind.RECALL,
                due_at=now,
                data=facts,
            )
            for c in clients
        ]
        summary = bool(recall.clinic.email)
        if summary:
            messages.append(
                Message(
                    key=f"recall:{recall.pk}:summary",
                    clinic=recall.clinic,
                    to=recall.clinic.email,
                    kind=Message.Kind.RECALL_SUMMARY,
                    due_at=now,
                    data={
                        **facts,
                        "clients": len(clients),
                        "appointments": len(upcoming),
                        "recall_id": recall.pk,
                    },
                )
            )
        save_new(messages)
        planned = Message.objects.filter(key__startswith=f"recall:{recall.pk}:").count()
        audit_write(
            user=by,
            origin=origin,
            action=AuditEntry.Action.RECORD,
            what=AUDIT_RECALL,
            clients=clients,
            clinic=clinic,
            recall=recall.pk,
            lot=recall.lot_number,
        )
    return RecallOutcome(
        recall=recall,
        clients=clients,
        flagged=upcoming,
        new_messages=planned - planned_before,
        summary_planned=summary,
    )


def records_erase(*, client: Client) -> None:
    """Anonymisation: the client's treatment records (every version, their products) go;
    the recall lists forget them."""
    TreatmentRecord.objects.filter(client=client).delete()
    RecallClient.objects.filter(client=client).delete()


def records_move(*, survivor: Client, duplicate: Client) -> dict[str, int]:
    """A merge (privacy/merge.py): the duplicate's treatment records, photos, photo consents
    and recall entries become the survivor's (a recall that found both keeps one entry, with
    both findings)."""
    moved = {
        "treatmentrecord": TreatmentRecord.objects.filter(client=duplicate).update(client=survivor)
    }
    kept = {e.recall_id: e for e in RecallClient.objects.filter(client=survivor)}
    count = 0
    for entry in RecallClient.objects.filter(client=duplicate):
        if entry.recall_id in kept:
            both = kept[entry.recall_id]
            both.found_in = [*both.found_in, *entry.found_in]
            both.save(update_fields=["found_in"])
            entry.delete()
        else:
            entry.client = survivor
            entry.save(update_fields=["client"])
        count += 1
    moved["recallclient"] = count
    for model in (ClinicalPhoto, PhotoConsent):
        moved[model._meta.model_name] = model.objects.filter(client=duplicate).update(
            client=survivor
        )
    return moved
