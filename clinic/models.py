"""The clinic's own records: its hours, staff, rooms and devices, treatments, clients; and the
audit trail of who saw or changed a client's health data."""

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
from clinic.text import validate_one_line


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


class Organisation(models.Model):
    """The business: it owns its clinics (locations), and its clients are one record each,
    shared by its clinics. Staff belong to it through their memberships of its clinics."""

    name = models.CharField(max_length=120, validators=[validate_one_line])
    slug = models.SlugField(unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Clinic(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(max_length=120, validators=[validate_one_line])
    slug = models.SlugField(unique=True)
    timezone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_timezone],
        help_text="IANA zone: opening hours, working hours and day counts are in this local time.",
    )
    currency = models.CharField(max_length=3, default="GBP")
    phone = models.CharField(max_length=40, blank=True, validators=[validate_one_line])
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

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="closures", db_index=False
    )
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
    """The installation's default categories (their words are Term rows)."""

    FACIAL_MASSAGE = "facial_massage", "Facial massage"
    MICROCURRENT = "microcurrent", "Microcurrent"
    LIGHT_THERAPY = "light_therapy", "LED light therapy"


class Term(models.Model):
    """A word of the clinical vocabulary as data: a prior procedure or injectable, a
    condition, a face area or a treatment category. Rows without an organisation are the
    installation's defaults (seeded by clinical/defaults.py); an organisation adds its own,
    and its row for a code replaces the default's wording for it. Records and rules keep the
    `code` (clinical/terms.py loads and checks them)."""

    class Vocabulary(models.TextChoices):
        PROCEDURE = "procedure", "Prior procedure or injectable"
        CONDITION = "condition", "Condition"
        AREA = "area", "Face area"
        CATEGORY = "category", "Treatment category"

    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="terms",
        help_text="Empty: an installation default every organisation gets.",
    )
    vocabulary = models.CharField(max_length=12, choices=Vocabulary.choices)
    code = models.SlugField(
        max_length=30,
        help_text="Kept on records and rules; lower case, digits and underscores "
        "(e.g. profound_rf).",
    )
    name = models.CharField(
        max_length=120, validators=[validate_one_line], help_text="As staff pages name it."
    )
    question = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_one_line],
        help_text='As the booking page asks about it: a prior procedure in "have you had '
        '... ?" ("a chemical peel"), a condition as a box to tick ("I have metal '
        'implants"). Empty: its name.',
    )
    sheet = models.CharField(
        "on the practitioner's sheet",
        max_length=120,
        blank=True,
        validators=[validate_one_line],
        help_text="Short words for the practitioner's sheet. Empty: its name in lower case.",
    )
    caution_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Prior procedures: how many days its areas stay on the practitioner's sheet "
        "(filler 365, Botox 120). Empty: a year.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in questions.")

    class Meta:
        ordering = ["vocabulary", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vocabulary", "code"],
                condition=Q(organisation__isnull=True),
                name="term_default_once",
            ),
            models.UniqueConstraint(
                fields=["organisation", "vocabulary", "code"],
                condition=Q(organisation__isnull=False),
                name="term_organisation_once",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[a-z0-9_]+$"),
                name="term_code_slug",
                violation_error_message="A code is lower case letters, digits and underscores.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Treatment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="treatments")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120, validators=[validate_one_line])
    category = models.CharField(
        max_length=32,
        help_text="A treatment category's code (its vocabulary, editable in the admin).",
    )
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
    """A practitioner's place in one clinic's diary. Someone who works at two clinics is two
    rows, both linked to their user."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="practitioners")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practitioners",
    )
    name = models.CharField(max_length=120, validators=[validate_one_line])
    treatments = models.ManyToManyField(Treatment, blank=True, related_name="practitioners")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff member's role at one clinic. Roles are per clinic: front desk at two branches
    and manager of a third is three rows. What each role may do is access/roles.py."""

    class Role(models.TextChoices):
        FRONT_DESK = "front_desk", "Front desk"
        PRACTITIONER = "practitioner", "Practitioner"
        MANAGER = "manager", "Clinic manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["clinic", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="membership_once_per_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} at {self.clinic}"


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
        Practitioner, on_delete=models.CASCADE, related_name="time_off", db_index=False
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


class SmsConsentSource(models.TextChoices):
    BOOKING_FORM = "booking_form", "Online booking form"
    CLIENT_SPACE = "client_space", "The client's own space"
    STAFF = "staff", "Staff, on the client's behalf"
    REPLY = "reply", "A reply to a text (START / STOP)"

    @classmethod
    def for_caller(cls, staff: bool) -> "SmsConsentSource":
        """A booking's tick box: the client's own, or staff's on their behalf."""
        return cls.STAFF if staff else cls.BOOKING_FORM


class Client(models.Model):
    """A person who books: one record per email address and organisation, with one health
    history, shared by the organisation's clinics (a filler recorded at one branch governs
    bookings at every branch). `home_clinic` is where they were first recorded: the days of
    their record are counted in its calendar."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="clients")
    home_clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
        help_text="Their login (clinic/identity.py): one per email address, shared by their "
        "records at every organisation they book with.",
    )
    name = models.CharField(max_length=200, validators=[validate_one_line])
    email = models.EmailField(max_length=254)
    phone = models.CharField(
        max_length=40,
        blank=True,
        help_text="A mobile number in E.164 form (+447700900123), checked and normalised by "
        "clinic/phones.py where it is typed; an older value it could not read stays as typed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Text messages only with the client's agreement (aftercare/services.py sms_opt_in and
    # sms_opt_out): whether they agree now, when and how they last agreed, and when and how
    # they last withdrew (a STOP reply, their own space, the front desk).
    # db_default too: rows written without these columns (raw SQL, a migration test's older
    # model) are "not agreed", never NULL.
    sms_opted_in = models.BooleanField(
        "agrees to text messages",
        default=False,
        db_default=False,
        help_text="Set through the booking form, the client's space, staff or a START/STOP "
        "reply, each recorded with its time and source.",
    )
    sms_opt_in_at = models.DateTimeField(null=True, blank=True)
    sms_opt_in_source = models.CharField(
        max_length=16, choices=SmsConsentSource.choices, blank=True, db_default=""
    )
    sms_opt_out_at = models.DateTimeField(null=True, blank=True)
    sms_opt_out_source = models.CharField(
        max_length=16, choices=SmsConsentSource.choices, blank=True, db_default=""
    )
    unsubscribed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the client asked for no aftercare or rebooking emails. Confirmations "
        "and reminders still go.",
    )
    notes = models.TextField(
        blank=True,
        default="",
        db_default="",  # rows written by plain SQL (imports, bench/) need not name it
        help_text="What the front desk should know (preferences, how to reach them); never "
        "health data, which belongs on the record.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organisation", Lower("email"), name="client_email_unique_per_organisation"
            ),
        ]
        # The admin's list, by name, read in order.
        indexes = [models.Index(fields=["name", "id"], name="client_name_id")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class AuditEntry(models.Model):
    """One view or change of health data: who, when, what, and from where.

    A view of one client (their page, an export, a change) names them in `client`; a view of
    many (a day or week sheet, an admin list, a list from the API) is one entry too, with
    `client` empty and one AuditSubject row per client shown, so a page showing 270
    appointments writes one entry and one narrow insert, not 270 entries. Read a client's
    trail through clinic.audit.entries_about(), which finds both kinds.

    Written only by clinic/audit.py (the workspace, the APIs, the admin and the services
    that change health data or book past a rule call it). Never deleted, and edited in two
    ways only: anonymisation (privacy/anonymise.py) scrubs what an entry carried of the
    client's words, tokens and, on their own visits, login, address and browser; a merge
    (privacy/merge.py) points the duplicate's entries at the record kept. It names what was
    seen, not the data itself, so it holds no health data.

    Its Meta also holds the staff capabilities the roles are made of (access/roles.py).
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        RECORD = "record", "Recorded"
        OVERRIDE = "override", "Booked past a clinical rule"
        EXPORT = "export", "Exported"
        ANONYMISE = "anonymise", "Anonymised"
        MERGE = "merge", "Merged duplicate records"
        CHANGE = "change", "Changed personal data"
        SETTING = "setting", "Changed a clinic setting"
        WAIVE = "waive", "Waived a fee"

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the entry must still say who it was after the account is gone.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=12, choices=Action.choices)
    what = models.CharField(max_length=80, help_text="Which data: client page, injectables...")
    # PROTECT: a client with an audit trail is anonymised, never deleted (privacy/). Empty
    # for a change to a clinic's settings.
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        db_index=False,
    )
    # The clinic the staff member acted in: managers read the trail of their clinics. Empty
    # for the client themselves, a command, and entries older than organisations.
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    via = models.CharField(max_length=12, help_text="workspace, api, admin or pages")
    path = models.CharField(max_length=300)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        # Entries are never added by hand, changed in the admin or deleted: only "view" of the
        # defaults.
        default_permissions = ("view",)
        permissions = [
            ("use_workspace", "Can use the staff workspace"),
            ("see_all_clients", "Can look up any client and see their health record"),
            ("see_whole_diary", "Can see every practitioner's day sheet"),
            ("book_for_clients", "Can book, move and cancel on a client's behalf"),
            ("record_health", "Can record injectables and conditions"),
            ("handle_personal_data", "Can export or anonymise a client's data"),
        ]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["client", "-at"], name="audit_client_at"),
            # The admin's list (newest first, read in order) and its search by address.
            models.Index(fields=["at", "id"], name="audit_at_id"),
            models.Index(fields=["ip", "at"], name="audit_ip_at"),
            # The workspace's trail of a clinic, and of one user there, newest first, paged
            # and counted (workspace/views/manager.py audit_trail).
            models.Index(fields=["clinic", "-at", "-id"], name="audit_clinic_at"),
            models.Index(fields=["clinic", "username", "-at", "-id"], name="audit_clinic_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.what}"

    def client_ids(self) -> list[int]:
        """The ids of the clients the entry names, in order (a query for a list's)."""
        if self.client_id is not None:
            return [self.client_id]
        return list(self.subjects.order_by("client").values_list("client", flat=True))


class AuditSubject(models.Model):
    """A client shown by an AuditEntry that showed many (a list view): the entry's
    `client` is empty and each client shown has one of these.

    Why a child table: the trail must be found by client on PostgreSQL and on the SQLite
    demo alike, through an index. An array of ids (PostgreSQL's ArrayField with a GIN index)
    does not exist on SQLite, and a JSON list cannot be searched through an index on either
    without database-specific SQL. A row of two integers per client shown, all of a view's
    written by one bulk insert, costs little beside a whole entry (path, browser, details
    and four indexes) per client; the (client, entry) index answers "every list that showed
    this client", and the foreign keys keep a client with a trail from being deleted and
    let a merge move them.
    """

    entry = models.ForeignKey(AuditEntry, on_delete=models.CASCADE, related_name="subjects")
    # PROTECT, as on AuditEntry.client: a client with a trail is anonymised, never deleted.
    # No index of its own: the unique constraint's (client, entry) index serves its reads.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["client", "entry"], name="audit_subject_once"),
        ]

    def __str__(self) -> str:
        return f"entry {self.entry_id}: client {self.client_id}"
