"""The clinic's deposit and fee policies, the ledger of payments, and the fees a late
cancellation or a no-show left due.

Amounts are DecimalFields beside an ISO 4217 currency, the clinic's (money/currency.py says
why not a money field). A Payment is written only by money/services.py; a refund is a
Payment of kind REFUND (the amount is always positive, the kind says which way it went).
`method` names how it was taken: at the desk today; a card payment through a provider
(Stripe) joins as another method with its reference in `provider_reference`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from bookings.models import Appointment
from clinic.models import Client, Clinic, Treatment
from money.due import Deposit, Fee

AMOUNT = {"max_digits": 10, "decimal_places": 2}


class PaymentPolicy(models.Model):
    """A clinic's deposit, late-cancellation and no-show terms; with a treatment, that
    treatment's own terms, which replace the clinic's whole (not field by field), so what a
    treatment asks is read in one place. No policy: nothing is asked, no fee."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="payment_policies")
    treatment = models.ForeignKey(
        Treatment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="payment_policies",
        help_text="Empty: the clinic's policy, for every treatment without its own.",
    )
    deposit = models.CharField(
        max_length=12, choices=[(d.value, d.value.title()) for d in Deposit], default=Deposit.NONE
    )
    deposit_value = models.DecimalField(
        **AMOUNT, default=0, help_text="An amount (fixed) or a percentage of the price."
    )
    deposit_online = models.BooleanField(default=True, help_text="Asked of online bookings.")
    deposit_staff = models.BooleanField(default=False, help_text="Asked of staff bookings.")
    late_cancel_window_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A cancellation less than this before the start is late. Empty: the "
        "clinic's cancellation window.",
    )
    late_cancel_fee = models.CharField(
        max_length=12, choices=[(f.value, f.value.title()) for f in Fee], default=Fee.NONE
    )
    late_cancel_value = models.DecimalField(**AMOUNT, default=0)
    no_show_fee = models.CharField(
        max_length=12, choices=[(f.value, f.value.title()) for f in Fee], default=Fee.NONE
    )
    no_show_value = models.DecimalField(**AMOUNT, default=0)

    class Meta:
        verbose_name_plural = "payment policies"
        constraints = [
            models.UniqueConstraint(
                fields=["clinic"], condition=Q(treatment__isnull=True), name="policy_clinic_once"
            ),
            models.UniqueConstraint(
                fields=["clinic", "treatment"],
                condition=Q(treatment__isnull=False),
                name="policy_treatment_once",
            ),
            models.CheckConstraint(
                condition=Q(deposit_value__gte=0, late_cancel_value__gte=0, no_show_value__gte=0),
                name="policy_values_not_negative",
            ),
            models.CheckConstraint(
                condition=(~Q(deposit="percentage") | Q(deposit_value__lte=100))
                & (~Q(late_cancel_fee="percentage") | Q(late_cancel_value__lte=100))
                & (~Q(no_show_fee="percentage") | Q(no_show_value__lte=100)),
                name="policy_percentages_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic}: {self.treatment or 'all treatments'}"

    def clean(self):
        if self.treatment_id and self.clinic_id and self.treatment.clinic_id != self.clinic_id:
            raise ValidationError({"treatment": "Choose one of this clinic's treatments."})


class Payment(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        BALANCE = "balance", "Balance"
        FEE = "fee", "Fee"
        REFUND = "refund", "Refund"

    class Method(models.TextChoices):
        CARD_AT_DESK = "card_at_desk", "Card at the desk"
        CARD_ONLINE = "card_online", "Card online (Stripe)"
        CASH = "cash", "Cash"
        OTHER = "other", "Other"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="payments")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="payments")
    # PROTECT: a client with payments is anonymised, never deleted; the amounts stay.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    method = models.CharField(max_length=16, choices=Method.choices)
    note = models.CharField(max_length=200, blank=True)
    provider_reference = models.CharField(
        max_length=120, blank=True, help_text="The payment provider's id (none at the desk)."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        permissions = [
            ("record_payment", "Can record a payment taken at the desk"),
            ("waive_fee", "Can waive a late-cancellation or no-show fee, giving a reason"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # A provider's payment or refund is kept once, however often its webhook or the
            # call's answer reports it (money/provider.py).
            models.UniqueConstraint(
                fields=["provider_reference", "kind"],
                condition=~Q(provider_reference=""),
                name="payment_provider_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} for {self.appointment_id}"

    @property
    def signed_amount(self):
        return -self.amount if self.kind == self.Kind.REFUND else self.amount


class Charge(models.Model):
    """A fee the policy made due when the client cancelled late or did not come: an
    outstanding charge until payments cover it, unless a manager waives it (with a reason,
    audited). One per appointment: cancelled and no-show are both final."""

    class Kind(models.TextChoices):
        LATE_CANCELLATION = "late_cancellation_fee", "Late-cancellation fee"
        NO_SHOW = "no_show_fee", "No-show fee"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="charges")
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="charge")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waive_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive"),
            models.CheckConstraint(
                condition=Q(waived_at__isnull=True) | ~Q(waive_reason=""),
                name="charge_waived_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def is_waived(self) -> bool:
        return self.waived_at is not None


class ProviderCall(models.Model):
    """One call to the payment provider, planned in the transaction of the change that needs
    it (a deposit asked, a hold released, a clinic's cancellation, a fee) and made after it
    commits (money/provider.py), with `key` as Stripe's Idempotency-Key: a retry, after a
    timeout or a worker's crash, gets the first call's answer and never charges twice."""

    class Kind(models.TextChoices):
        CHECKOUT = "checkout", "Ask for a deposit (Checkout Session)"
        CHECKOUT_EXPIRE = "checkout_expire", "Close a deposit's Checkout Session"
        REFUND = "refund", "Refund a card payment"
        FEE = "fee", "Charge a fee to the saved card"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not needed any more"

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="provider_calls"
    )
    # A course bought online has no appointment: its Checkout (and that Checkout's expiry)
    # is the course's (diary/course_payments.py). Named by its label, not imported: money
    # and courses are siblings, neither importing the other.
    client_course = models.ForeignKey(
        "courses.ClientCourse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="provider_calls",
    )
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="provider_calls"
    )
    amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="What the call sends.")
    result = models.JSONField(default=dict, blank=True, help_text="The provider's ids.")
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="provider_call_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(appointment__isnull=False) | Q(client_course__isnull=False),
                name="provider_call_has_a_target",
            ),
        ]

    def __str__(self) -> str:
        target = self.appointment_id or f"course {self.client_course_id}"
        return f"{self.get_kind_display()} for {target} ({self.status})"

    @property
    def about(self) -> str:
        """What the call is for, as the desk names it: the appointment's reference, or the
        course bought online (a lapsed course's refund has no appointment)."""
        if self.appointment_id:
            return self.appointment.reference
        return f"the course {self.client_course.name}"

    @property
    def client_id(self) -> int | None:
        subject = self.appointment if self.appointment_id else self.client_course
        return subject.client_id


class ProviderEvent(models.Model):
    """A webhook event applied: its id is kept so a second delivery changes nothing."""

    event_id = models.CharField(max_length=120, unique=True)
    type = models.CharField(max_length=80)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class SavedCard(models.Model):
    """A card the client saved with the provider when paying a deposit online
    (setup_future_usage=off_session), or saved alone for a booking that asks no deposit but
    has fees (a SetupIntent, diary/deposits.py): the customer and payment method a later fee
    is charged to, off session. The card's number stays with the provider."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="saved_cards", db_index=False
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    customer = models.CharField(max_length=120)
    payment_method = models.CharField(max_length=120)
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-saved_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "payment_method"], name="saved_card_once_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"card {self.payment_method} of client {self.client_id}"
