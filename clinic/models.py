"""The clinic's own records: its hours, staff, rooms and devices, treatments, clients."""

import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.functional import cached_property

from clinic.branding import (
    DEFAULT_ACCENT,
    DEFAULT_PRIMARY,
    validate_accent_colour,
    validate_logo_url,
    validate_primary_colour,
)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA timezone such as Europe/London.") from None


class Clinic(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_timezone],
        help_text="IANA zone: opening hours, working hours and day counts are in this local time.",
    )
    currency = models.CharField(max_length=3, default="GBP")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    slot_step_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(5)],
        help_text="Appointments start on this grid of local wall time (e.g. :00, :15, :30, :45).",
    )
    min_notice_minutes = models.PositiveIntegerField(
        default=120, help_text="Online bookings must start at least this long from now."
    )
    max_advance_days = models.PositiveIntegerField(
        default=90, help_text="Online bookings may start at most this many days ahead."
    )
    cancellation_window_hours = models.PositiveIntegerField(
        default=24, help_text="Clients cannot cancel or move a booking this close to its start."
    )
    reminder_hours_before = models.PositiveSmallIntegerField(
        default=24, help_text="The reminder email goes this many hours before the appointment."
    )
    logo_url = models.CharField(
        "logo",
        max_length=500,
        blank=True,
        validators=[validate_logo_url],
        help_text="Address of the logo image (https://...) or a path on this site such as "
        "/static/bookings/img/lumiere-mark.svg. Shown 40 px high beside the clinic's name.",
    )
    primary_colour = models.CharField(
        max_length=7,
        default=DEFAULT_PRIMARY,
        validators=[validate_primary_colour],
        help_text="Buttons and links, e.g. #3d5a56. Must be dark enough for white text.",
    )
    accent_colour = models.CharField(
        max_length=7,
        default=DEFAULT_ACCENT,
        validators=[validate_accent_colour],
        help_text="Soft backgrounds and highlights, e.g. #efe4d6. Must be light enough for text.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tzinfo).date()


class OpeningHours(models.Model):
    """A period the clinic is open on a weekday; several rows make a split day."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["clinic", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """A whole local day the clinic is shut: bank holidays, training days."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["clinic", "date"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "date"], name="closure_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class ResourceKind(models.Model):
    """What a treatment needs besides a practitioner: a treatment room, a microcurrent device..."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="resources")
    kind = models.ForeignKey(ResourceKind, on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=80)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "kind__name", "name"]

    def __str__(self) -> str:
        return self.name


class TreatmentCategory(models.TextChoices):
    FACIAL_MASSAGE = "facial_massage", "Facial massage"
    MICROCURRENT = "microcurrent", "Microcurrent"
    LIGHT_THERAPY = "light_therapy", "LED light therapy"


class Treatment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="treatments")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=32, choices=TreatmentCategory.choices)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5)])
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Time kept free after the treatment (cleaning, notes)."
    )
    price = models.DecimalField(max_digits=8, decimal_places=2)
    required_resource_kinds = models.ManyToManyField(
        ResourceKind,
        blank=True,
        related_name="treatments",
        help_text="One free resource of each kind is reserved for the whole appointment.",
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the menu.")
    rebook_after_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="Remind the client to book again this many days after a session, unless "
        "they already have one booked. 0: no reminder.",
    )
    course_sessions = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Sessions in a recommended course (often 10); the rebooking reminder says "
        "how many are left. 1: not sold as a course.",
    )

    class Meta:
        ordering = ["clinic", "position", "name"]

    def __str__(self) -> str:
        return self.name


class Practitioner(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="practitioners")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practitioner",
    )
    name = models.CharField(max_length=120)
    treatments = models.ManyToManyField(Treatment, blank=True, related_name="practitioners")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "name"]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """A practitioner's regular shift on a weekday, in the clinic's local time."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["practitioner", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="working_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class TimeOff(models.Model):
    """Holiday, sickness, training: the practitioner takes no appointments in [start, end)."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="time_off"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["practitioner", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="time_off_order"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner}: {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"


class Client(models.Model):
    """A person who books. One record per email address and clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="clients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    unsubscribed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the client asked for no aftercare or rebooking emails. Confirmations "
        "and reminders still go.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "clinic", Lower("email"), name="client_email_unique_per_clinic"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


# Health records and the clinic's medical rules ----------------------------------------------


class InjectableKind(models.TextChoices):
    FILLER = "filler", "Dermal filler"
    BOTOX = "botox", "Botulinum toxin (Botox)"
    SKIN_BOOSTER = "skin_booster", "Skin booster"
    THREAD_LIFT = "thread_lift", "Thread lift"


class FaceArea(models.TextChoices):
    FOREHEAD = "forehead", "Forehead"
    GLABELLA = "glabella", "Glabella (frown lines)"
    CROWS_FEET = "crows_feet", "Crow's feet"
    CHEEKS = "cheeks", "Cheeks"
    TEAR_TROUGH = "tear_trough", "Tear trough"
    NASOLABIAL_FOLDS = "nasolabial_folds", "Nasolabial folds"
    LIPS = "lips", "Lips"
    JAWLINE = "jawline", "Jawline"
    CHIN = "chin", "Chin"
    NECK = "neck", "Neck"


class Condition(models.TextChoices):
    PACEMAKER = "pacemaker", "Pacemaker"
    IMPLANTED_DEVICE = "implanted_device", "Other implanted electronic device"
    PREGNANCY = "pregnancy", "Pregnancy"
    EPILEPSY = "epilepsy", "Epilepsy"


class RecordSource(models.TextChoices):
    STAFF = "staff", "Recorded by staff"
    CLIENT = "client_declared", "Declared by the client"


def validate_areas(value) -> None:
    if not isinstance(value, list) or any(area not in FaceArea.values for area in value):
        raise ValidationError(f"Areas must be a list drawn from: {', '.join(FaceArea.values)}.")


class InjectableRecord(models.Model):
    """A filler, Botox or similar treatment a client had, here or elsewhere.

    A correction never overwrites: it is a new record pointing at the one it corrects,
    which is kept with `superseded_at` set and no longer counts.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="injectables")
    kind = models.CharField(max_length=20, choices=InjectableKind.choices)
    date = models.DateField(help_text="The day of the injection, in the clinic's calendar.")
    areas = models.JSONField(default=list, blank=True, validators=[validate_areas])
    product = models.CharField(max_length=120, blank=True)
    lot_number = models.CharField("lot / batch number", max_length=60, blank=True)
    amount = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    amount_unit = models.CharField(
        max_length=8, blank=True, choices=[("ml", "mL"), ("units", "units")]
    )
    given_here = models.BooleanField(default=False)
    given_at = models.CharField(
        max_length=200, blank=True, help_text="Where, if it was given elsewhere."
    )
    source = models.CharField(max_length=20, choices=RecordSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    notes = models.TextField(blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["client", "date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}"


class HealthDeclaration(models.Model):
    """A condition that can rule a treatment out (pacemaker, pregnancy, epilepsy...)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="declarations")
    condition = models.CharField(max_length=30, choices=Condition.choices)
    declared_on = models.DateField()
    ended_on = models.DateField(
        null=True, blank=True, help_text="When it no longer applies (e.g. after a pregnancy)."
    )
    source = models.CharField(max_length=20, choices=RecordSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-declared_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} ({self.declared_on:%Y-%m-%d})"


class RuleQuerySet(models.QuerySet):
    def filter_for(self, clinic: "Clinic | int") -> "RuleQuerySet":
        """The clinic's own rules and the defaults every clinic gets (a Clinic or its pk)."""
        return self.filter(Q(clinic=clinic) | Q(clinic__isnull=True))


class WaitingRule(models.Model):
    """Days to wait after an injectable before a category of treatment.

    Rows without a clinic are the defaults every clinic gets; a clinic's own row for the
    same injectable and category replaces the default for that clinic.
    """

    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="waiting_rules",
        help_text="Empty: the default for every clinic.",
    )
    injectable_kind = models.CharField(max_length=20, choices=InjectableKind.choices)
    treatment_category = models.CharField(max_length=32, choices=TreatmentCategory.choices)
    min_days = models.PositiveSmallIntegerField(
        help_text="Refused before this many days (day 0 is the injection)."
    )
    recommended_days = models.PositiveSmallIntegerField(
        help_text="From min_days until this day, allowed with a warning to acknowledge."
    )
    message = models.TextField(help_text="Shown to the client with the warning or refusal.")

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["clinic", "injectable_kind", "treatment_category"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recommended_days__gte=F("min_days")), name="waiting_rule_order"
            ),
            models.UniqueConstraint(
                fields=["injectable_kind", "treatment_category"],
                condition=Q(clinic__isnull=True),
                name="waiting_rule_default_once",
            ),
            models.UniqueConstraint(
                fields=["clinic", "injectable_kind", "treatment_category"],
                condition=Q(clinic__isnull=False),
                name="waiting_rule_clinic_once",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_injectable_kind_display()} -> {self.get_treatment_category_display()}: "
            f"{self.min_days}/{self.recommended_days} days"
        )


class ContraindicationRule(models.Model):
    """A declared condition that refuses, or needs a practitioner's approval for, a
    category of treatment or any treatment using a kind of resource (a device)."""

    class Action(models.TextChoices):
        REFUSE = "refuse", "Refuse"
        NEEDS_APPROVAL = "needs_approval", "Needs practitioner approval"

    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contraindication_rules",
        help_text="Empty: the default for every clinic.",
    )
    condition = models.CharField(max_length=30, choices=Condition.choices)
    treatment_category = models.CharField(
        max_length=32, choices=TreatmentCategory.choices, blank=True
    )
    resource_kind = models.ForeignKey(
        ResourceKind, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    message = models.TextField()

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["clinic", "condition"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(treatment_category="", resource_kind__isnull=False)
                    | (~Q(treatment_category="") & Q(resource_kind__isnull=True))
                ),
                name="contraindication_one_target",
            ),
        ]

    def __str__(self) -> str:
        target = self.get_treatment_category_display() or str(self.resource_kind)
        return f"{self.get_condition_display()} -> {target}: {self.get_action_display()}"
