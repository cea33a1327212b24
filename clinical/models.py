"""The clinical record and the clinic's medical rules: a client's injectables and declared
conditions, and the waiting and contraindication rules that decide what they may book.

Records are written only through clinical/services.py, which re-checks the client's upcoming
appointments; rules are read by clinical/rules.py and applied by the pure
clinical/eligibility.py. The words of the record (kinds, areas, conditions) are in
clinical/vocabulary.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from clinic.models import Client, Clinic, Organisation, ResourceKind, Treatment
from clinical.vocabulary import RecordSource

CODE_LENGTH = 30  # a Term's code (clinic.models.Term)


def validate_areas(value) -> None:
    """A list of area codes; which codes exist is the organisation's vocabulary, checked by
    the forms and clinical/terms.py."""
    if not isinstance(value, list) or not all(
        isinstance(area, str) and 0 < len(area) <= CODE_LENGTH for area in value
    ):
        raise ValidationError("Areas must be a list of area codes.")


class InjectableRecord(models.Model):
    """A filler, Botox or similar treatment a client had, here or elsewhere.

    A correction never overwrites: it is a new record pointing at the one it corrects,
    which is kept with `superseded_at` set and no longer counts.
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="injectables", db_index=False
    )
    kind = models.CharField(
        max_length=CODE_LENGTH, help_text="A prior procedure or injectable's code (its Term)."
    )
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
        indexes = [models.Index(fields=["client", "date"], name="injectable_client_date")]

    def __str__(self) -> str:
        # By its code: the organisation's wording would cost a query per row in a list.
        return f"{self.kind.replace('_', ' ')} {self.date:%Y-%m-%d}"


class HealthDeclaration(models.Model):
    """A condition that can rule a treatment out (pacemaker, pregnancy, epilepsy...)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="declarations")
    condition = models.CharField(max_length=CODE_LENGTH, help_text="A condition's code (its Term).")
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
        return f"{self.condition.replace('_', ' ')} ({self.declared_on:%Y-%m-%d})"


class RuleQuerySet(models.QuerySet):
    def filter_for(self, clinic: "Clinic") -> "RuleQuerySet":
        """The rules in force at `clinic`: its own (for a category, a device or one of its
        treatments), its organisation's and the installation's defaults."""
        return self.filter(
            Q(clinic=clinic)
            | Q(clinic__isnull=True, organisation=clinic.organisation_id)
            | Q(clinic__isnull=True, organisation__isnull=True)
        )


def _scope_fields(related_name: str) -> tuple:
    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name=related_name,
        help_text="A clinic's own rule. Empty (with no organisation): the default for every "
        "clinic.",
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name=related_name,
        help_text="A rule for every clinic of the organisation (leave the clinic empty).",
    )
    treatment = models.ForeignKey(
        Treatment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name=related_name,
        help_text="A rule for this treatment alone (its clinic's): it replaces its category's "
        "rules for the same procedure or condition.",
    )
    return clinic, organisation, treatment


# A rule's scope: a clinic's, an organisation's or the installation's, never two at once; a
# treatment's rule is its clinic's.
ONE_SCOPE = Q(clinic__isnull=True) | Q(organisation__isnull=True)
TREATMENT_AT_CLINIC = Q(treatment__isnull=True) | Q(clinic__isnull=False)


class ScopeCheckMixin:
    def clean(self):
        super().clean()
        if self.clinic_id and self.organisation_id:
            raise ValidationError("Give a clinic or an organisation, not both.")
        if self.treatment_id and self.clinic_id != self.treatment.clinic_id:
            raise ValidationError({"treatment": "A treatment's rule belongs to its clinic."})

    @property
    def scope(self) -> str:
        return str(self.clinic or self.organisation or "every clinic")


class WaitingRule(ScopeCheckMixin, models.Model):
    """Days to wait after a prior procedure or injectable before a category of treatment,
    or one treatment.

    The most specific rule for a procedure wins: a treatment's own over its category's, and
    for the same target a clinic's over its organisation's over the installation's default
    (clinic and organisation empty).
    """

    clinic, organisation, treatment = _scope_fields("waiting_rules")
    injectable_kind = models.CharField(
        "prior procedure or injectable",
        max_length=CODE_LENGTH,
        help_text="Its code (filler, botox, or one the organisation added).",
    )
    treatment_category = models.CharField(
        max_length=32, blank=True, help_text="A category's code; empty for a treatment's rule."
    )
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
            models.CheckConstraint(condition=ONE_SCOPE, name="waiting_rule_one_scope"),
            models.CheckConstraint(
                condition=TREATMENT_AT_CLINIC, name="waiting_rule_treatment_at_clinic"
            ),
            models.CheckConstraint(
                condition=(
                    (Q(treatment_category="") & Q(treatment__isnull=False))
                    | (~Q(treatment_category="") & Q(treatment__isnull=True))
                ),
                name="waiting_rule_one_target",
            ),
            models.UniqueConstraint(
                fields=["injectable_kind", "treatment_category"],
                condition=Q(clinic__isnull=True, organisation__isnull=True),
                name="waiting_rule_default_once",
            ),
            models.UniqueConstraint(
                fields=["organisation", "injectable_kind", "treatment_category"],
                condition=Q(organisation__isnull=False),
                name="waiting_rule_organisation_once",
            ),
            models.UniqueConstraint(
                fields=["clinic", "injectable_kind", "treatment_category"],
                condition=Q(clinic__isnull=False, treatment__isnull=True),
                name="waiting_rule_clinic_once",
            ),
            models.UniqueConstraint(
                fields=["treatment", "injectable_kind"],
                condition=Q(treatment__isnull=False),
                name="waiting_rule_treatment_once",
            ),
        ]

    def __str__(self) -> str:
        target = self.treatment or self.treatment_category.replace("_", " ")
        return f"{self.injectable_kind} -> {target}: {self.min_days}/{self.recommended_days} days"


class ContraindicationRule(ScopeCheckMixin, models.Model):
    """A declared condition that refuses, or needs a practitioner's approval for, a
    category of treatment, any treatment using a kind of resource (a device), or one
    treatment. A treatment's own rule for a condition replaces the others for it."""

    class Action(models.TextChoices):
        REFUSE = "refuse", "Refuse"
        NEEDS_APPROVAL = "needs_approval", "Needs practitioner approval"

    clinic, organisation, treatment = _scope_fields("contraindication_rules")
    condition = models.CharField(max_length=CODE_LENGTH, help_text="A condition's code.")
    treatment_category = models.CharField(
        max_length=32, blank=True, help_text="A category's code, or empty."
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
                    Q(treatment_category="", resource_kind__isnull=False, treatment__isnull=True)
                    | (
                        ~Q(treatment_category="")
                        & Q(resource_kind__isnull=True, treatment__isnull=True)
                    )
                    | Q(treatment_category="", resource_kind__isnull=True, treatment__isnull=False)
                ),
                name="contraindication_one_target",
            ),
            models.CheckConstraint(condition=ONE_SCOPE, name="contraindication_one_scope"),
            models.CheckConstraint(
                condition=TREATMENT_AT_CLINIC, name="contraindication_treatment_at_clinic"
            ),
        ]

    def __str__(self) -> str:
        target = self.treatment or self.treatment_category.replace("_", " ")
        target = target or self.resource_kind
        return f"{self.condition} -> {target}: {self.get_action_display()}"


class PrerequisiteRule(models.Model):
    """An appointment a client must have had (a patch test, a consultation) at least
    `min_hours_before` hours before a treatment, or any treatment of a category, and that
    counts for `valid_months` months. Read by clinical/prerequisites.py.

    A rule is the organisation's own (its required treatments are its treatments); without a
    clinic it holds at every clinic of the organisation. For the same required treatments,
    a clinic's rule replaces the organisation's, and a rule naming the treatment replaces
    one naming its category.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="prerequisite_rules"
    )
    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="prerequisite_rules",
        help_text="Empty: every clinic of the organisation.",
    )
    treatment = models.ForeignKey(
        Treatment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="prerequisite_rules",
        help_text="The treatment that needs the prerequisite (or choose a category).",
    )
    treatment_category = models.CharField(
        max_length=32,
        blank=True,
        help_text="Every treatment of this category needs the prerequisite (or choose one "
        "treatment).",
    )
    required_treatments = models.ManyToManyField(
        Treatment,
        related_name="prerequisite_for",
        help_text="The prerequisite: an appointment for any of these counts (e.g. the patch "
        "test at each of your clinics).",
    )
    min_hours_before = models.PositiveSmallIntegerField(
        default=48, help_text="Hours from the start of the prerequisite to the treatment."
    )
    valid_months = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1)],
        help_text="Months from the prerequisite during which it counts.",
    )
    message = models.TextField(help_text="Shown to the client when the rule refuses a booking.")

    class Meta:
        ordering = ["organisation", "clinic", "treatment", "treatment_category"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(treatment__isnull=False, treatment_category="")
                    | (Q(treatment__isnull=True) & ~Q(treatment_category=""))
                ),
                name="prerequisite_one_target",
            ),
            models.CheckConstraint(
                condition=Q(valid_months__gte=1), name="prerequisite_valid_months"
            ),
        ]

    def __str__(self) -> str:
        category = self.treatment_category.replace("_", " ")
        target = str(self.treatment) if self.treatment_id else category
        return (
            f"{target}: prerequisite {self.min_hours_before} h before, {self.valid_months} months"
        )
