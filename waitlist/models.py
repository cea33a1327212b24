"""The waitlist: clients waiting for a time that suits them, the freed time offered to them,
and why a waiting client was passed over.

A `FreedTime` row is written in the same transaction as the diary change that frees the time
(a cancellation, the old time of a move, time off removed, working hours added), so a round
of offers is never lost if the broker is down; the round itself runs after commit
(diary/waitlist.py, by a Celery task and the beat sweep). An `Offer` points at the HELD
appointment that keeps the time for the clients offered it (diary/holds.py's state: the
exclusion constraints count it); the first to accept turns it into their booking.
"""

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Q

from clinic.models import Client, Clinic, Practitioner, Treatment

OFFER_LINK_SALT = "waitlist.offer-link"


class TimeOfDay(models.TextChoices):
    """Parts of the clinic's local day, by a slot's start: morning before 12:00, afternoon
    12:00 to 17:00, evening from 17:00."""

    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"


# Local hours (start inclusive, end exclusive) of each part of the day.
TIME_OF_DAY_HOURS = {
    TimeOfDay.MORNING: (0, 12),
    TimeOfDay.AFTERNOON: (12, 17),
    TimeOfDay.EVENING: (17, 24),
}


class Entry(models.Model):
    """A client waiting for `treatment` at `clinic` between two local dates, optionally with
    one practitioner, on some weekdays, at some times of day (empty lists: any)."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked from an offer"
        LEFT = "left", "Left the waitlist"
        REMOVED = "removed", "Removed by the clinic"

    class Source(models.TextChoices):
        CLIENT = "client", "The client"
        STAFF = "staff", "The clinic, for the client"
        NOTICE = "notice", "Asked to be offered the first time after their wait"

    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="waitlist", db_index=False
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="waitlist_entries")
    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weekdays = models.JSONField(
        default=list, blank=True, help_text="Days of the week, 0 Monday to 6 Sunday; empty: any."
    )
    times_of_day = models.JSONField(
        default=list, blank=True, help_text="morning, afternoon, evening; empty: any."
    )
    first_day = models.DateField()
    last_day = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CLIENT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        # The fair order: first come, first served (diary/waitlist.py).
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["clinic", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="waitlist_entry_range"
            ),
            # Joining twice for the same treatment finds the entry already waiting.
            models.UniqueConstraint(
                fields=["client", "treatment"],
                condition=Q(status="waiting"),
                name="waitlist_entry_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} waiting for {self.treatment} ({self.get_status_display()})"


class FreedTime(models.Model):
    """Time that came free in one practitioner's diary: a round of offers to run, planned in
    the transaction that freed it and run after commit. `done_at` is set once the round has
    nothing more to do (the time was booked from an offer, or nobody could take it); an
    offer that expires clears nothing, and the next run offers it to the next client."""

    class Cause(models.TextChoices):
        CANCELLED = "cancelled", "Cancellation"
        MOVED = "moved", "Appointment moved away"
        TIME_OFF_REMOVED = "time_off", "Time off removed"
        HOURS_ADDED = "hours", "Working hours added"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    cause = models.CharField(max_length=10, choices=Cause.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    run_at = models.DateTimeField(null=True, blank=True, help_text="When a round last ran.")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "freed times"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(done_at=None), name="freed_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_cause_display()}: {self.start:%Y-%m-%d %H:%M} ({self.practitioner_id})"


class Offer(models.Model):
    """One freed time offered to one waiting client, held by `hold` until `expires_at`."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        GONE = "gone", "Gone to another client"
        EXPIRED = "expired", "Expired"
        DECLINED = "declined", "Client left the waitlist"

    freed = models.ForeignKey(
        FreedTime, on_delete=models.CASCADE, related_name="offers", db_index=False
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="offers")
    hold = models.ForeignKey(
        "bookings.Appointment", on_delete=models.CASCADE, related_name="waitlist_offers"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OFFERED)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="offered"), name="offer_live"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["freed", "entry"], name="offer_once_per_round"),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk} to {self.entry.client} ({self.get_status_display()})"

    def link_token(self) -> str:
        """The token of the emailed accept link, dated when it is made."""
        return signing.TimestampSigner(salt=OFFER_LINK_SALT).sign(str(self.pk)).split(":", 1)[1]

    def link_matches(self, token: str | None, *, max_age: int) -> bool:
        if not token:
            return False
        try:
            signing.TimestampSigner(salt=OFFER_LINK_SALT).unsign(
                f"{self.pk}:{token}", max_age=max_age
            )
        except signing.BadSignature:
            return False
        return True


class Skip(models.Model):
    """A waiting client passed over in a round, and why: for the clinic's staff only (the
    reason may name the client's health record)."""

    freed = models.ForeignKey(
        FreedTime, on_delete=models.CASCADE, related_name="skips", db_index=False
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="skips")
    reason = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["freed", "entry"], name="skip_once_per_round"),
        ]

    def __str__(self) -> str:
        return f"Skipped entry {self.entry_id} for freed time {self.freed_id}"
