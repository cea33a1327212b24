"""The outbox of client emails and text messages, and the content staff edit for each kind.

A Message row is written in the same transaction as the booking change that causes it
(aftercare/planning.py) and moves PENDING -> SENDING (claimed by the dispatcher; then taken
by a worker, sending_started_at set, just before it talks SMTP) -> SENT, or back to PENDING
with a later due time after a transient failure, FAILED after too many tries, CANCELLED when
it is no longer wanted. A message the server may have received without saying so is SENT
with last_error beginning "Unconfirmed" (sending/delivery.py). Nothing about a message lives
only in Redis.

A message's channel is email or SMS; both go through the same states and the same
dispatcher, each channel through its own sender (sending/delivery.py). An SMS goes to the
client's phone as it is when it is sent, and only while they agree to text messages.
"""

from django.db import models
from django.db.models import Q

from clinic.models import Client, Clinic, Treatment


class Message(models.Model):
    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Booking confirmation"
        MOVED = "moved", "Booking moved"
        REMINDER = "reminder", "Reminder"
        AFTERCARE = "aftercare", "Aftercare instructions"
        FOLLOW_UP = "follow_up", "Follow-up"
        REBOOK = "rebook", "Time to book again"
        ELIGIBLE = "eligible", "You can book again from..."
        CANCELLATION = "cancellation", "Cancellation"
        FLAGGED = "flagged", "Appointment flagged (to the clinic)"
        SIGN_IN_CODE = "sign_in_code", "Sign-in code"
        NO_ACCOUNT = "no_account", "No bookings under this address"
        HOLD = "hold", "Confirm your booking"
        FORMS_DUE = "forms_due", "Forms to sign before the visit"
        FORM_SIGNED = "form_signed", "Your signed form"
        RECEIPT = "receipt", "Payment receipt"
        RECALL = "recall", "Product recall (to the client)"
        RECALL_SUMMARY = "recall_summary", "Product recall summary (to the clinic)"
        COURSE_EXPIRING = "course_expiring", "Your course expires soon"
        COURSE_NEXT = "course_next", "Book the next session of your course"
        COURSE_RECEIPT = "course_receipt", "Receipt for a course"
        WAITLIST_OFFER = "waitlist_offer", "A time offered from the waitlist"
        OFFER_GONE = "offer_gone", "The time offered has gone"
        DEPOSIT_DUE = "deposit_due", "A deposit to pay by card"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message (SMS)"

    key = models.CharField(
        max_length=120,
        unique=True,
        help_text="What caused the message, e.g. appointment:12:reminder: planning the same "
        "thing twice finds this row instead of adding a second one.",
    )
    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        help_text="Empty for the site's own messages (a sign-in code): no clinic's staff see them.",
    )
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    to = models.EmailField(
        blank=True,
        help_text="The address of a message to someone who is not, or not yet, one client: "
        "a sign-in code. Empty: the client's.",
    )
    appointment = models.ForeignKey(
        "bookings.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    treatment = models.ForeignKey(
        Treatment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a dispatcher last handed it to a worker."
    )
    sending_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a worker took it to hand to the SMTP server; empty while it is only "
        "claimed. A claim never handed over is given back with no attempt counted.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(
        default=dict, blank=True, help_text="Plain facts for the text (dates, counts, reason)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-due_at", "-pk"]
        indexes = [
            # The dispatcher's question, asked every few seconds: what is due now?
            models.Index(
                fields=["due_at"], condition=Q(status="pending"), name="message_pending_due"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="message_sending"
            ),
            models.Index(fields=["client", "due_at"]),
            # The admin's list, latest first, read in order; and its failed ones, to retry.
            models.Index(fields=["due_at", "id"], name="message_due_id"),
            models.Index(
                fields=["due_at", "id"], condition=Q(status="failed"), name="message_failed_due"
            ),
            # The workspace's outbox: a clinic's "due" tab, soonest first, and its count (the
            # planner would otherwise walk message_due_id from the oldest sent email to the
            # first one due). Partial, so that sending an email does not add to it: an index
            # over every status cost the outbox's send path (each status change writes a new
            # entry in every full index) more than the staff page gained.
            models.Index(
                fields=["clinic", "due_at", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="message_clinic_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(client__isnull=False) | ~Q(to=""), name="message_has_a_recipient"
            ),
        ]

    def __str__(self) -> str:
        who = self.client.name if self.client_id else self.to
        return f"{self.get_kind_display()} for {who} ({self.get_status_display()})"

    @property
    def is_essential(self) -> bool:
        return self.kind not in NON_ESSENTIAL


# Courtesy emails a client may turn off with the link in their footer. Confirmations,
# reminders and the notice they asked for keep coming: they are about their own bookings.
NON_ESSENTIAL = frozenset(
    {
        Message.Kind.AFTERCARE,
        Message.Kind.FOLLOW_UP,
        Message.Kind.REBOOK,
        Message.Kind.COURSE_NEXT,
    }
)

# The site's own messages, to an address rather than a client; their facts (a code) are
# wiped once the message is sent or given up.
ACCOUNT_KINDS = frozenset({Message.Kind.SIGN_IN_CODE, Message.Kind.NO_ACCOUNT})
# Messages to an address that is not (yet) a client's: the site's own, and the link that
# confirms a held booking.
ADDRESSED_KINDS = ACCOUNT_KINDS | {Message.Kind.HOLD}


class MessageTemplate(models.Model):
    """The words of one kind of message, for one treatment or (treatment empty) for all.

    Written in Django template syntax and rendered in a sandbox (sending/rendering.py):
    only plain facts are available, never records from the database.
    """

    kind = models.CharField(max_length=16, choices=Message.Kind.choices)
    treatment = models.ForeignKey(
        Treatment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="message_templates",
        help_text="Empty: used for every treatment that has no template of its own.",
    )
    subject = models.CharField(max_length=200)
    text = models.TextField(help_text="The plain-text email.")
    html = models.TextField(
        blank=True,
        help_text="Optional HTML body. Empty: the plain text is sent as HTML paragraphs.",
    )
    sms = models.TextField(
        "SMS text",
        blank=True,
        help_text="The text message, for the kinds sent by SMS to clients who agreed to them "
        "(reminders). Empty: the built-in words. Checked against the length limit when saved.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "treatment__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(treatment__isnull=True), name="template_default_once"
            ),
            models.UniqueConstraint(
                fields=["kind", "treatment"],
                condition=Q(treatment__isnull=False),
                name="template_treatment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.treatment or 'all treatments'}"
