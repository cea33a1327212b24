"""What the practitioner did at an appointment (a treatment record, versioned), the device
settings each treatment records, and product recalls with the clients they reach.

Written only through records/services.py (record_save, recall_record), which audit
every change; read through records/selectors.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Trim, Upper

from bookings.models import Appointment
from clinic.models import Client, Clinic, Organisation, Treatment, TreatmentCategory
from records.schema import SchemaError, check_schema


class DeviceSettingsSchema(models.Model):
    """The device settings a treatment's record asks for, as data: a list of fields, each
    {"name", "label", "type" ("integer", "decimal", "choice" or "text"), "unit", "min",
    "max", "choices", "required"} (records/schema.py checks both the list and the values).

    One row for a treatment replaces its category's; a category's row replaces the built-in
    fields of records/schema.py (DEFAULT_FIELDS)."""

    treatment = models.OneToOneField(
        Treatment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="device_settings_schema",
    )
    category = models.CharField(max_length=32, choices=TreatmentCategory.choices, blank=True)
    fields = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(treatment__isnull=False, category=""))
                | (Q(treatment__isnull=True) & ~Q(category="")),
                name="device_schema_one_target",
            ),
            models.UniqueConstraint(
                fields=["category"], condition=~Q(category=""), name="device_schema_category_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Device settings for {self.treatment or self.get_category_display()}"

    def clean(self):
        try:
            check_schema(self.fields)
        except SchemaError as problem:
            raise ValidationError({"fields": str(problem)}) from None
        if (self.treatment_id is None) == (not self.category):
            raise ValidationError("Give a treatment or a category, not both.")


class TreatmentRecord(models.Model):
    """One version of what was done at an appointment. A correction is a new version; the
    one it replaces is kept with `superseded_at` set. After RECORDS_LOCK_DAYS from the first
    version, a new version is an amendment and must give its reason."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="treatment_records", db_index=False
    )
    # Kept on the row (the appointment's) so that a client's records, and a recall's
    # search, need no join through the diary.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="treatment_records", db_index=False
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField()
    notes = models.TextField(blank=True)
    areas = models.JSONField(default=list, blank=True, help_text="The face areas worked.")
    pressure = models.TextField(
        blank=True, help_text="The pressure used where the sheet's cautions applied."
    )
    device_settings = models.JSONField(
        default=dict, blank=True, help_text="Device settings, by the schema's field names."
    )
    amendment_reason = models.TextField(
        blank=True, help_text="Why the record was changed after it locked."
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["appointment", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "version"], name="treatment_record_version_once"
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(superseded_at__isnull=True),
                name="treatment_record_one_current",
            ),
        ]
        indexes = [models.Index(fields=["client", "written_at"], name="treatment_record_client")]

    def __str__(self) -> str:
        return f"Record of {self.appointment.reference}, version {self.version}"


class RecordProduct(models.Model):
    """A product used in a treatment record, with its lot (what a recall looks for)."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="products")
    product = models.CharField(max_length=120)
    lot_number = models.CharField("lot / batch number", max_length=60, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(Upper(Trim("lot_number")), name="record_product_lot")]

    def __str__(self) -> str:
        return f"{self.product} (lot {self.lot_number or '-'})"


class Recall(models.Model):
    """A product lot recalled, for an organisation: the clients who received it (by an
    injectable or a treatment record of that lot, at any of its clinics) are told once, and
    the clinic that recorded it gets one summary."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="+", help_text="Where it was recorded."
    )
    product = models.CharField(max_length=120)
    lot_number = models.CharField("lot / batch number", max_length=60)
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                "organisation", Upper("lot_number"), name="recall_lot_once_per_organisation"
            ),
        ]

    def __str__(self) -> str:
        return f"Recall of {self.product} lot {self.lot_number}"


class RecallClient(models.Model):
    """A client the recall reaches, and what of theirs carried the lot."""

    recall = models.ForeignKey(
        Recall, on_delete=models.CASCADE, related_name="clients", db_index=False
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="recalls")
    found_in = models.JSONField(
        default=list, help_text='Where the lot was found: ["injectable:12", "record:4"].'
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "client"], name="recall_client_once")
        ]

    def __str__(self) -> str:
        return f"Client {self.client_id} of recall {self.recall_id}"


class RecallFlag(models.Model):
    """An upcoming appointment of a recalled client: shown on the sheet until it is past."""

    recall = models.ForeignKey(
        Recall, on_delete=models.CASCADE, related_name="flags", db_index=False
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="recall_flags"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "appointment"], name="recall_flag_once")
        ]

    def __str__(self) -> str:
        return f"Appointment {self.appointment_id} flagged by recall {self.recall_id}"


def photo_storage():
    """The clinical photos' storage: STORAGES["photos"] (records/storage.py), outside the
    static files and any public media path (local files under var/photos by default; an
    S3-compatible bucket by configuration). Photos are served only by the workspace's
    audited view."""
    from records.storage import photo_storage as storage

    return storage


class PhotoConsent(models.Model):
    """The client's consent to clinical photos, as recorded by staff: the latest row says
    whether it stands (a withdrawal is a row too)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="photo_consents")
    given = models.BooleanField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"Photo consent {'given' if self.given else 'withdrawn'} ({self.client_id})"


class ClinicalPhoto(models.Model):
    """A before or after photo of an area at an appointment, stored without its metadata."""

    class Stage(models.TextChoices):
        BEFORE = "before", "Before"
        AFTER = "after", "After"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="photos")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="clinical_photos")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    area = models.CharField(max_length=30)
    stage = models.CharField(max_length=8, choices=Stage.choices)
    file = models.FileField(storage=photo_storage, upload_to="clinical/", max_length=200)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area", "stage", "pk"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} photo of {self.area} ({self.appointment_id})"
