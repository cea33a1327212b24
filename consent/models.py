"""Consent and intake forms: an organisation's templates, their immutable versions, the rules
saying which treatments need which form and for how long a signature counts, and the signed
submissions (answers, signature, time, version, address and browser, and the signed PDF).

A version is never edited: a change is a new version (services.form_version_publish). A
submission is never edited either; anonymisation deletes it with its files.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.models import Client, Clinic, Organisation, Treatment


class FormTemplate(models.Model):
    class Kind(models.TextChoices):
        CONSENT = "consent", "Consent"
        INTAKE = "intake", "Health intake"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="form_templates", db_index=False
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CONSENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="form_template_name")
        ]

    def __str__(self) -> str:
        return self.name


class FormVersion(models.Model):
    """One wording of a template. `questions` is a list of
    {"key", "label", "type", "required", "options"}: type "yes_no", "text", or "conditions"
    (tick the conditions that apply: each option's value is a condition of the clinical
    record) or "injections" (a list of {kind, date}): those two are kept on the health record
    too (clinical/services.py)."""

    template = models.ForeignKey(
        FormTemplate, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="What the client agrees to, shown above the questions.")
    questions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="form_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"


class FormRule(models.Model):
    """A treatment (or every treatment of a category) needs a signed `template`. A rule naming
    the treatment wins over its category's rule for the same template."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(FormTemplate, on_delete=models.CASCADE, related_name="rules")
    treatment = models.ForeignKey(
        Treatment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(
        max_length=32, blank=True, help_text="A treatment category; empty when a treatment is set."
    )
    valid_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many days a signature counts before the visit. Empty: no expiry.",
    )
    new_version_needs_signature = models.BooleanField(
        default=True,
        help_text="A signature of an earlier version no longer counts once a new one exists.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(treatment__isnull=False) & Q(category=""))
                | (Q(treatment__isnull=True) & ~Q(category="")),
                name="form_rule_treatment_or_category",
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} for {self.treatment or self.category}"


class Submission(models.Model):
    class Signature(models.TextChoices):
        DRAWN = "drawn", "Drawn"
        TYPED = "typed", "Typed"

    class Channel(models.TextChoices):
        ONLINE = "online", "Online, before the visit"
        TABLET = "tablet", "On the clinic's tablet"

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="form_submissions", db_index=False
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    appointment = models.ForeignKey(
        "bookings.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="form_submissions",
    )
    answers = models.JSONField(default=dict, blank=True)
    signature = models.CharField(max_length=8, choices=Signature.choices)
    typed_name = models.CharField(max_length=200, blank=True)
    signature_file = models.CharField(max_length=200, blank=True, help_text="A drawn one's PNG.")
    pdf_file = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who handed over the clinic's tablet.",
    )

    class Meta:
        ordering = ["-signed_at", "-pk"]
        indexes = [models.Index(fields=["client", "signed_at"])]

    def __str__(self) -> str:
        return f"{self.version} signed {self.signed_at:%Y-%m-%d}"
