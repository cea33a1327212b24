"""The staff workspace's own records: the audit trail of health data. Its model also holds
the workspace's permissions, which the staff roles are made of (workspace/roles.py)."""

from django.conf import settings
from django.db import models

from clinic.models import Client


class AuditEntry(models.Model):
    """One view or change of a client's health data: who, when, what, and from where.

    Written by the workspace pages and the staff API (workspace/audit.py); never edited or
    deleted. It names what was seen, not the data itself, so it holds no health data.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        RECORD = "record", "Recorded"
        OVERRIDE = "override", "Booked past a clinical rule"
        EXPORT = "export", "Exported"
        ANONYMISE = "anonymise", "Anonymised"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
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
    # PROTECT: a client with an audit trail is anonymised, never deleted (workspace/services.py).
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="audit_entries")
    via = models.CharField(max_length=12, help_text="workspace or api")
    path = models.CharField(max_length=300)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        # Entries are never added by hand, edited or deleted: only "view" of the defaults.
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
        indexes = [models.Index(fields=["client", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.what}"
