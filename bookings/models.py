"""Appointments, the resources they hold, and the record of every change to them.

Only diary/services.py changes an appointment's status or time, and bookings/history.py
writes its history. The exclusion constraints below are the database's backstop: even code
that forgets the service's locks cannot store two active appointments that overlap for one
practitioner or one resource (PostgreSQL only; see bookings/db.py).
"""

import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core import signing
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from bookings.db import PostgreSQLExclusionConstraint
from clinic.models import Client, Clinic, Practitioner, Resource, Treatment

# No 0/O or 1/I: references are read out over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
# What a reference looked up from outside may be: never send a NUL or a novel to the database.
REFERENCE_PATTERN = re.compile(r"[A-Z0-9]{1,12}", re.ASCII)
MANAGE_TOKEN_SALT = "bookings.manage-token"
HOLD_LINK_SALT = "bookings.hold-link"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class AppointmentStatus(models.TextChoices):
    """Use it as Appointment.Status; it is defined out here so that Appointment's Meta can
    name the active statuses."""

    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    # A booking asked for by someone who has not proved their email yet: the time is held
    # for them, for no client, until they confirm from the link emailed to the address
    # (diary/holds.py); then it is CONFIRMED, or EXPIRED if it lapsed or the rules refused.
    HELD = "held", "Held, waiting for the client to confirm"
    EXPIRED = "expired", "Not confirmed"


# The appointments of the diary: a client's, booked and not cancelled. A completed or missed
# appointment still happened in the diary.
DIARY_STATUSES = (
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)
# Statuses that hold the practitioner's and resources' time: the diary's, and a hold until
# it is confirmed or released. The exclusion constraints count them all, so a held slot is
# never booked twice; only a cancellation or a released hold frees the time.
ACTIVE_STATUSES = (*DIARY_STATUSES, AppointmentStatus.HELD)


class Appointment(models.Model):
    Status = AppointmentStatus

    class Channel(models.TextChoices):
        ONLINE = "online", "Online"
        STAFF = "staff", "Staff"

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text="Empty only while held or after a hold lapsed: nobody has proved who it is for.",
        db_index=False,
    )
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="appointments"
    )
    practitioner_requested = models.BooleanField(
        default=False, help_text="The client chose this practitioner; a reschedule keeps them."
    )
    resources = models.ManyToManyField(
        Resource, through="AppointmentResource", related_name="appointments", blank=True
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_until = models.DateTimeField(
        help_text="End plus the treatment's buffer: when the practitioner and resources are free."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    held_until = models.DateTimeField(
        null=True, blank=True, help_text="A hold's end: released after it unless confirmed."
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    notes = models.TextField(blank=True)
    override_reason = models.TextField(
        blank=True, help_text="Why staff booked past a clinical rule that refused it."
    )
    eligibility_flag = models.TextField(
        blank=True,
        help_text="Set when a health record added after booking breaks a clinical rule.",
    )
    flagged_at = models.DateTimeField(null=True, blank=True)
    # What it costs, kept when it is booked (money/prices.py): a reschedule keeps it, and a
    # later change to the treatment's price does not reach it. Empty only for a row written
    # outside diary/ (a benchmark's); the migration that added it filled in the old ones.
    price = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="The price when booked."
    )
    # Defaults in the database too: the benchmarks write appointments with plain SQL.
    discount = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal(0),
        db_default=Decimal(0),
        help_text="Taken off the price when booked.",
    )
    currency = models.CharField(
        max_length=3, blank=True, db_default="", help_text="ISO 4217, the clinic's."
    )
    discount_reason = models.CharField(
        max_length=200,
        blank=True,
        db_default="",
        help_text="Why the discount was given (staff's words), or the course that pays for it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["start"]
        permissions = [
            ("override_eligibility", "Can book past a clinical rule, giving a reason"),
        ]
        indexes = [
            models.Index(fields=["clinic", "start"]),
            models.Index(fields=["client", "start"]),
            # The admin's list, newest first, read in order (backoffice/admin/diary.py).
            models.Index(fields=["start", "id"], name="appointment_start_id"),
            # The slot search's lookup of a practitioner's busy time from a date on: it reads
            # the diary from that date forward, never its history, and from the index alone.
            models.Index(
                fields=["practitioner", "blocked_until", "start"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="appointment_busy_lookup",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_order"),
            models.CheckConstraint(
                condition=Q(client__isnull=False) | Q(status__in=["held", "expired"]),
                name="appointment_client_unless_held",
            ),
            models.CheckConstraint(
                condition=Q(blocked_until__gte=F("end")), name="appointment_buffer_order"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0)
                & (Q(price__isnull=True) | Q(discount__lte=F("price"))),
                name="appointment_discount_within_price",
            ),
            PostgreSQLExclusionConstraint(
                name="appointment_no_practitioner_overlap",
                expressions=[
                    ("practitioner", RangeOperators.EQUAL),
                    (
                        TsTzRange("start", "blocked_until", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.treatment} {self.start:%Y-%m-%d %H:%M}"

    @property
    def net_price(self):
        """What it costs after the discount, as kept when booked (None if nothing was kept)."""
        return None if self.price is None else max(self.price - self.discount, Decimal(0))

    @property
    def manage_token(self) -> str:
        return signing.Signer(salt=MANAGE_TOKEN_SALT).signature(self.reference)

    def manage_token_signed(self, token: str | None) -> bool:
        """`token` is this booking's, whether or not its link still works."""
        return bool(token) and constant_time_compare(token, self.manage_token)

    @property
    def manage_link_expires_at(self) -> datetime:
        """The link in the booking's emails opens it until MANAGE_LINK_DAYS after its end: an
        old email (forwarded, in a shared mailbox, copied from an access log) then opens
        nothing, and the client signs in to see their bookings. Moved later, it lasts longer."""
        return self.end + timedelta(days=settings.MANAGE_LINK_DAYS)

    def manage_token_matches(self, token: str | None) -> bool:
        return self.manage_token_signed(token) and timezone.now() < self.manage_link_expires_at

    def hold_link_token(self) -> str:
        """The token of the link that confirms a hold, dated when it is made."""
        signed = signing.TimestampSigner(salt=HOLD_LINK_SALT).sign(self.reference)
        return signed.split(":", 1)[1]

    def hold_link_matches(self, token: str | None, *, max_age: int) -> bool:
        """`token` was made for this hold no more than `max_age` seconds ago."""
        if not token:
            return False
        try:
            signing.TimestampSigner(salt=HOLD_LINK_SALT).unsign(
                f"{self.reference}:{token}", max_age=max_age
            )
        except signing.BadSignature:
            return False
        return True


class AppointmentResource(models.Model):
    """A room or device held by an appointment. Carries the time range and status so the
    database can refuse two overlapping holds on one resource."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="resource_holds", db_index=False
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="holds", db_index=False
    )
    start = models.DateTimeField()
    blocked_until = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "resource"], name="appointment_resource_once"
            ),
            PostgreSQLExclusionConstraint(
                name="appointment_no_resource_overlap",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    (
                        TsTzRange("start", "blocked_until", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(active=True),
            ),
        ]
        indexes = [
            models.Index(fields=["resource", "start"]),
            # The slot search's lookup of a resource's holds from a date on (see Appointment).
            models.Index(
                fields=["resource", "blocked_until", "start"],
                condition=Q(active=True),
                name="hold_busy_lookup",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} for {self.appointment.reference}"


class AppointmentChange(models.Model):
    """One line of an appointment's history: who did what, when, and from which state."""

    class Action(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Rescheduled"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "Marked no-show"
        FLAGGED = "flagged", "Flagged by a new health record"
        HELD = "held", "Held, waiting for the client to confirm"
        RELEASED = "released", "Hold released"
        SIGNED_OFF = "signed_off", "Signed off by a practitioner"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=16, choices=Action.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(max_length=16, choices=Appointment.Channel.choices)
    from_status = models.CharField(max_length=16, choices=AppointmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=AppointmentStatus.choices)
    from_start = models.DateTimeField(null=True, blank=True)
    to_start = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        # The admin's list of every change, newest first, read in order.
        indexes = [models.Index(fields=["at", "id"], name="appointmentchange_at_id")]

    def __str__(self) -> str:
        return (
            f"{self.appointment.reference}: {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"
        )


class BookingRequest(models.Model):
    """What someone who has not proved their email asked for with a held appointment: who it
    is for and what they declared. Nothing of it touches a client's record until the owner of
    the address confirms from the emailed link (diary/holds.py); then it is the booking's, and
    the declarations join the client's record."""

    class Outcome(models.TextChoices):
        WAITING = "waiting", "Waiting for the client"
        CONFIRMED = "confirmed", "Confirmed"
        LAPSED = "lapsed", "Not confirmed in time"
        REFUSED = "refused", "Refused by the clinic's rules once confirmed"

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="booking_request"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    sms_opt_in = models.BooleanField(
        default=False,
        db_default=False,
        help_text="They asked for text reminders: recorded as their agreement (source: the "
        "booking form) once they confirm from the emailed link.",
    )
    declared = models.JSONField(
        default=dict, blank=True, help_text="The injectables and conditions they declared."
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Every anonymous booking counts the last hour's holds for its address
            # (diary/holds.py, sql.RECENT_HOLDS): read from here, not the whole table.
            models.Index(Lower("email"), "created_at", name="bookingrequest_recent_by_email"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment.reference} for {self.email} ({self.get_outcome_display()})"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key for POST /appointments/, kept for a day, so a retry after a
    lost response gets the same booking instead of a second one."""

    key = models.CharField(max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the caller and body.")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.key


class SignOff(models.Model):
    """A practitioner's sign-off that an appointment needs because a clinic rule says "needs
    practitioner approval" for something on the client's record (a condition they declared):
    which rules asked for it, and who approved or declined it, when, with what note. Until it
    is approved the appointment cannot be completed (diary/signoff.py); declining cancels it.
    Written only by bookings/signoff.py (when the rules ask for it) and diary/signoff.py (the
    decision), always under the appointment's row lock."""

    class Status(models.TextChoices):
        PENDING = "pending", "Needs sign-off"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        # The record changed (a condition ended, a correction) and no rule asks any more.
        NOT_NEEDED = "not_needed", "No longer needed"

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="sign_off"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reasons = models.JSONField(
        default=list, blank=True, help_text="The messages of the rules that ask for approval."
    )
    note = models.TextField(blank=True, help_text="The practitioner's note with the decision.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            ("sign_off_appointment", "Can approve or decline an appointment that needs it"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment.reference}: {self.get_status_display()}"

    @property
    def pending(self) -> bool:
        return self.status == self.Status.PENDING
