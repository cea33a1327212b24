"""Courses a clinic sells (a number of sessions of a treatment, or of any treatment of a
category, for a price, valid for a time), the courses clients bought, and each session's
use by an appointment.

A ClientCourse keeps what was sold (sessions, price, currency, what it covers and the
burn policy) when it is bought: a later edit of the offer reaches only new purchases. Its
sessions are counted from its Redemption rows (booked, redeemed, burned, returned), always
under the ClientCourse's row lock (courses/services.py). Only courses/services.py writes
these rows; CourseChange is their history.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from bookings.models import Appointment
from clinic.models import Client, Clinic, Treatment

AMOUNT = {"max_digits": 10, "decimal_places": 2}


class Validity(models.TextChoices):
    DAYS = "days", "Days"
    MONTHS = "months", "Months"


class CourseOffer(models.Model):
    """What a clinic sells: `sessions` of `treatment` (or of any of its treatments of
    `category`) for `price`, to be used within `validity` days or months of buying."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="course_offers")
    name = models.CharField(max_length=120)
    treatment = models.ForeignKey(
        Treatment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="course_offers",
        help_text="The treatment its sessions are for; or leave empty and give a category.",
    )
    category = models.CharField(
        max_length=32,
        blank=True,
        help_text="A treatment category's code: its sessions are for any of the clinic's "
        "treatments of that category.",
    )
    sessions = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    price = models.DecimalField(**AMOUNT, help_text="For the whole course.")
    currency = models.CharField(max_length=3, help_text="ISO 4217: the clinic's.")
    validity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="How long it may be used, from buying."
    )
    validity_unit = models.CharField(
        max_length=8, choices=Validity.choices, default=Validity.MONTHS
    )
    late_cancel_burns = models.BooleanField(
        default=True,
        help_text="A cancellation inside the clinic's cancellation window uses up the "
        "session. Unticked: the session is given back.",
    )
    no_show_burns = models.BooleanField(
        default=True, help_text="A no-show uses up the session. Unticked: it is given back."
    )
    active = models.BooleanField(default=True, help_text="Offered to clients.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(treatment__isnull=False) & Q(category=""))
                | (Q(treatment__isnull=True) & ~Q(category="")),
                name="course_offer_treatment_or_category",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="course_offer_price"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sessions} sessions)"

    def clean(self):
        if bool(self.treatment_id) == bool(self.category):
            raise ValidationError("Choose a treatment, or a category, not both.")
        if self.treatment_id and self.clinic_id and self.treatment.clinic_id != self.clinic_id:
            raise ValidationError({"treatment": "Choose one of this clinic's treatments."})
        if self.clinic_id and self.currency and self.currency != self.clinic.currency:
            raise ValidationError({"currency": f"The clinic works in {self.clinic.currency}."})


class ClientCourse(models.Model):
    """A course a client bought, online or at the desk. Online without card payments it is
    reserved and usable at once, paid at the desk; with card payments on (Stripe) it is
    usable once paid, and lapses unpaid after `card_until`."""

    class Channel(models.TextChoices):
        ONLINE = "online", "Online"
        STAFF = "staff", "At the desk"

    class Method(models.TextChoices):
        CARD_AT_DESK = "card_at_desk", "Card at the desk"
        CASH = "cash", "Cash"
        CARD_ONLINE = "card_online", "Card online"
        OTHER = "other", "Other"

    # PROTECT: a client with a course is anonymised, never deleted; the clinic's books stay.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="courses", db_index=False
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="client_courses")
    offer = models.ForeignKey(CourseOffer, on_delete=models.PROTECT, related_name="bought")
    # What was sold, kept: the offer may change or stop being offered.
    name = models.CharField(max_length=120)
    treatment = models.ForeignKey(
        Treatment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=32, blank=True)
    sessions_total = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    price = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    late_cancel_burns = models.BooleanField()
    no_show_burns = models.BooleanField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    bought_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Sessions are for appointments before this.")
    bought_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True, help_text="Empty: still to pay.")
    paid_method = models.CharField(max_length=16, choices=Method.choices, blank=True)
    payment_reference = models.CharField(
        max_length=120, blank=True, help_text="The payment provider's id (none at the desk)."
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    card_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Bought online by card: unusable until paid, and lapses unpaid after this. "
        "Empty: bought at the desk, or online to pay at the desk.",
    )
    lapsed_at = models.DateTimeField(
        null=True, blank=True, help_text="Not paid by card in time: it can never be used."
    )

    class Meta:
        ordering = ["-bought_at", "-pk"]
        indexes = [models.Index(fields=["client", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("bought_at")), name="course_expires_after"
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | ~Q(paid_method=""), name="course_paid_how"
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(lapsed_at__isnull=True),
                name="course_paid_or_lapsed",
            ),
            # A card payment pays one course, however often its webhook reports it.
            models.UniqueConstraint(
                fields=["payment_reference"],
                condition=~Q(payment_reference=""),
                name="course_payment_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.client}"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def awaits_card(self) -> bool:
        """Bought online by card and not paid yet (nor lapsed): not usable."""
        return self.card_until is not None and not self.is_paid and self.lapsed_at is None

    @property
    def usable(self) -> bool:
        """Its sessions may be booked: not waiting for its card payment, not lapsed."""
        return self.lapsed_at is None and (self.card_until is None or self.is_paid)

    @property
    def last_day(self) -> date:
        """The last local day its sessions are for (expires_at is the midnight after it)."""
        return (self.expires_at.astimezone(self.clinic.tzinfo) - timedelta(seconds=1)).date()

    def covers(self, treatment: Treatment) -> bool:
        if treatment.clinic_id != self.clinic_id:
            return False
        if self.treatment_id:
            return self.treatment_id == treatment.pk
        return self.category == treatment.category


class Redemption(models.Model):
    """One session of a course put on an appointment: BOOKED with the booking, then REDEEMED
    when it is completed; a late cancellation or no-show BURNS it or it is RETURNED, as the
    course's policy says; a cancellation by the clinic always returns it."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        REDEEMED = "redeemed", "Used"
        BURNED = "burned", "Used up by a late cancellation or no-show"
        RETURNED = "returned", "Given back"

    client_course = models.ForeignKey(
        ClientCourse, on_delete=models.PROTECT, related_name="redemptions"
    )
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="course_session"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    number = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Session n of the course, once used."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # Session n is used once: a second redemption of one number cannot be stored.
            models.UniqueConstraint(
                fields=["client_course", "number"],
                condition=Q(number__isnull=False),
                name="course_session_number_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment.reference}: {self.get_status_display()}"


class CourseChange(models.Model):
    """One line of a course's history: bought, paid, a session booked, used, burned or
    given back; who did it and when."""

    class Action(models.TextChoices):
        BOUGHT = "bought", "Bought"
        PAID = "paid", "Paid"
        BOOKED = "booked", "Session booked"
        REDEEMED = "redeemed", "Session used"
        BURNED = "burned", "Session used up (late cancellation or no-show)"
        RETURNED = "returned", "Session given back"
        LAPSED = "lapsed", "Lapsed unpaid"

    client_course = models.ForeignKey(
        ClientCourse, on_delete=models.CASCADE, related_name="changes"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.client_course}: {self.get_action_display()}"
