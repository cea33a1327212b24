"""Admin pages for the clinical record (injectables, declared conditions) and the clinic's
medical rules. Records are added through clinical/services.py, which re-checks the client's
upcoming appointments; each page that shows health data is audited."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

import access
from backoffice.admin.base import HealthAuditMixin, ScopedAdmin, term_filter, visible_words
from backoffice.admin.lists import DateRangeFilter, IndexedSearchMixin
from clinic import audit
from clinic.models import Organisation, Term
from clinical import terms
from clinical.models import (
    ContraindicationRule,
    HealthDeclaration,
    InjectableRecord,
    PrerequisiteRule,
    WaitingRule,
)
from clinical.services import (
    InjectionDateInFuture,
    appointments_recheck,
    declaration_record,
    injectable_record,
    injection_date_check,
)
from clinical.vocabulary import AREA, CATEGORY, CONDITION, PROCEDURE


class InjectableRecordForm(forms.ModelForm):
    kind = forms.ChoiceField(label="Prior procedure or injectable")
    areas = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = InjectableRecord
        fields = (
            "client",
            "kind",
            "date",
            "areas",
            "product",
            "lot_number",
            "amount",
            "amount_unit",
            "given_here",
            "given_at",
            "source",
            "notes",
            "corrects",
        )

    def clean(self):
        cleaned = super().clean()
        corrects, client = cleaned.get("corrects"), cleaned.get("client")
        if corrects and (
            corrects.client_id != getattr(client, "pk", None) or corrects.superseded_at
        ):
            self.add_error("corrects", "Pick a current record of the same client.")
        if client is not None:
            words = terms.vocabulary_for(client.organisation_id)
            if cleaned.get("kind") and not words.knows(PROCEDURE, cleaned["kind"]):
                self.add_error("kind", "Not a word of this client's organisation.")
            if any(not words.knows(AREA, area) for area in cleaned.get("areas") or ()):
                self.add_error("areas", "Not a word of this client's organisation.")
        return cleaned

    def clean_date(self):
        day = self.cleaned_data["date"]
        client = self.cleaned_data.get("client")
        if client is not None:
            try:
                injection_date_check(day, clinic=client.home_clinic)
            except InjectionDateInFuture as refusal:
                raise ValidationError(str(refusal)) from None
        return day


def report_flagged(request, flagged) -> None:
    if flagged:
        messages.warning(
            request,
            "This record makes upcoming appointments too early; they are flagged: "
            + ", ".join(f"{a.reference} ({a.eligibility_flag})" for a in flagged),
        )


class ClientsByIdChangeList(ChangeList):
    """A list whose rows' clients are read by the ids of the page's rows (one query for
    its 50), not joined to every row the list's query sorts: a search for a common name
    matches thousands of records, and the join read the whole clients table to name them
    before the sort kept 50 (issue 16)."""

    def apply_select_related(self, qs):
        return qs.prefetch_related("client")


@admin.register(InjectableRecord)
class InjectableRecordAdmin(HealthAuditMixin, IndexedSearchMixin, ScopedAdmin):
    organisation_path = "client__organisation"
    """Add only: a record is never edited. To correct one, add a new record that names it
    in "corrects"; the old one is kept and stops counting."""

    audit_what = audit.INJECTABLES

    form = InjectableRecordForm
    list_display = ("client", "kind", "date", "area_list", "product", "source", "current")
    list_filter = (
        ("date", DateRangeFilter),
        term_filter("kind", PROCEDURE, "kind"),
        "source",
        "given_here",
    )
    search_fields = ("client__name", "client__email", "product", "lot_number")
    search_client = "client"
    search_contains = ("product", "lot_number")  # some ten thousand rows
    autocomplete_fields = ("client", "corrects")
    fields = (
        "client",
        "kind",
        "date",
        "areas",
        "product",
        "lot_number",
        ("amount", "amount_unit"),
        ("given_here", "given_at"),
        "source",
        "notes",
        "corrects",
    )

    def get_changelist(self, request, **kwargs):
        return ClientsByIdChangeList

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        words = visible_words(request)
        form.base_fields["kind"].choices = words.choices(PROCEDURE)
        form.base_fields["areas"].choices = words.choices(AREA)
        return form

    @admin.display(description="areas")
    def area_list(self, obj):
        return ", ".join(area.replace("_", " ") for area in obj.areas)

    @admin.display(boolean=True, description="current")
    def current(self, obj):
        return obj.superseded_at is None

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in form.cleaned_data}
        record, flagged = injectable_record(
            **{key: value for key, value in data.items() if value is not None},
            by=request.user,
            origin=audit.Origin.of(request, via=audit.ADMIN),
        )
        obj.pk = record.pk
        report_flagged(request, flagged)


@admin.register(HealthDeclaration)
class HealthDeclarationAdmin(HealthAuditMixin, IndexedSearchMixin, ScopedAdmin):
    organisation_path = "client__organisation"
    audit_what = audit.DECLARATIONS
    list_display = ("client", "condition", "declared_on", "ended_on", "source")
    list_filter = (term_filter("condition", CONDITION, "condition"), "source")
    list_select_related = ("client",)
    search_fields = ("client__name", "client__email")
    search_client = "client"
    autocomplete_fields = ("client",)
    fields = ("client", "condition", "declared_on", "ended_on", "source", "notes")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "condition" in form.base_fields:
            form.base_fields["condition"] = forms.ChoiceField(
                choices=visible_words(request).choices(CONDITION)
            )
        return form

    def get_readonly_fields(self, request, obj=None):
        # Once recorded, only "ended on" changes (e.g. after a pregnancy).
        return ("client", "condition", "declared_on", "source") if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            appointments_recheck(client=obj.client, by=request.user)
            return
        declaration, flagged = declaration_record(
            client=obj.client,
            condition=obj.condition,
            declared_on=obj.declared_on,
            source=obj.source,
            notes=obj.notes,
            by=request.user,
            origin=audit.Origin.of(request, via=audit.ADMIN),
        )
        obj.pk = declaration.pk
        report_flagged(request, flagged)


class RuleForm(forms.ModelForm):
    """Codes picked from the words the user may see, then checked against the words of the
    rule's own organisation (a clinic's rule: its clinic's)."""

    codes: dict[str, str] = {}  # field name -> vocabulary
    writes_defaults = False  # the superuser's (ScopedRuleAdmin.get_form)

    def clean(self):
        cleaned = super().clean()
        clinic, organisation = cleaned.get("clinic"), cleaned.get("organisation")
        if clinic is None and organisation is None and not self.writes_defaults:
            self.add_error(
                "clinic", "Pick your clinic, or leave it empty and pick your organisation."
            )
        treatment = cleaned.get("treatment")
        if treatment is not None and cleaned.get("treatment_category"):
            self.add_error("treatment_category", "A treatment's rule names no category.")
        owner = clinic.organisation_id if clinic else getattr(organisation, "pk", None)
        words = terms.vocabulary_for(owner)
        for name, vocabulary in self.codes.items():
            code = cleaned.get(name)
            if code and not words.knows(vocabulary, code):
                self.add_error(name, "Not a word of this rule's organisation.")
        return cleaned


class WaitingRuleForm(RuleForm):
    codes = {"injectable_kind": PROCEDURE, "treatment_category": CATEGORY}

    class Meta:
        model = WaitingRule
        fields = (
            "clinic",
            "organisation",
            "treatment",
            "injectable_kind",
            "treatment_category",
            "min_days",
            "recommended_days",
            "message",
        )


class ContraindicationRuleForm(RuleForm):
    codes = {"condition": CONDITION, "treatment_category": CATEGORY}

    class Meta:
        model = ContraindicationRule
        fields = (
            "clinic",
            "organisation",
            "treatment",
            "condition",
            "treatment_category",
            "resource_kind",
            "action",
            "message",
        )


def offer_codes(form, model, code_fields: dict[str, str], words) -> None:
    """Offer each code field of `form` as a choice of the vocabulary words the user sees."""
    for name, vocabulary in code_fields.items():
        if name in form.base_fields:
            blank = [("", "-")] if model._meta.get_field(name).blank else []
            form.base_fields[name] = forms.ChoiceField(
                label=form.base_fields[name].label,
                help_text=form.base_fields[name].help_text,
                choices=blank + words.choices(vocabulary),
                required=not blank,
            )


class ScopedRuleAdmin(ScopedAdmin):
    """A clinic's own rules are its managers' to change, an organisation's rules (for all its
    clinics) those of the managers at any of its clinics; the defaults every clinic gets (no
    clinic, no organisation) are shown to them and changed by the installation's superuser
    alone. Rules are edited one at a time, on their page, where that is checked (no editable
    list). The codes are offered from the vocabulary (clinic.Term) the user may see."""

    shared_rows = True
    code_fields: dict[str, str] = {}

    def scoped(self, queryset, request, action: str = "view"):
        clinics, organisations = self._scopes(request, action)
        if clinics is None:
            return queryset
        return queryset.filter(
            Q(clinic__in=clinics)
            | Q(clinic__isnull=True, organisation__in=organisations)
            | Q(clinic__isnull=True, organisation__isnull=True)
        )

    def _scopes(self, request, action: str):
        permission = f"clinical.{action}_{self.model._meta.model_name}"
        clinics = access.clinic_ids(request.user, permission)
        organisations = access.organisation_ids(request.user, permission)
        if action == "view" and clinics is not None:  # who may change a row may see it too
            more_clinics, more_organisations = self._scopes(request, "change")
            clinics |= more_clinics
            organisations |= more_organisations
        return clinics, organisations

    def _holds(self, request, action: str, obj) -> bool:
        clinics, organisations = self._scopes(request, action)
        if clinics is None:
            return True
        if obj.clinic_id:
            return obj.clinic_id in clinics
        if obj.organisation_id:
            return obj.organisation_id in organisations
        return action == "view"  # a default: the installation's

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organisation" and field is not None:
            ids = access.organisation_ids(request.user, access.CHANGE_RULES)
            if ids is not None:
                field.queryset = field.queryset.filter(pk__in=ids)
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.writes_defaults = access.is_superuser(request.user)
        offer_codes(form, self.model, self.code_fields, visible_words(request))
        return form

    def save_model(self, request, obj, form, change):
        if not access.is_superuser(request.user) and not self._holds(request, "add", obj):
            raise PermissionDenied("Not a rule of your clinics or organisation.")
        super().save_model(request, obj, form, change)


@admin.register(WaitingRule)
class WaitingRuleAdmin(ScopedRuleAdmin):
    form = WaitingRuleForm
    code_fields = {"injectable_kind": PROCEDURE, "treatment_category": CATEGORY}
    list_display = (
        "injectable_kind",
        "treatment_category",
        "treatment",
        "min_days",
        "recommended_days",
        "scope",
    )
    list_filter = (
        ("clinic", admin.RelatedOnlyFieldListFilter),
        term_filter("injectable_kind", PROCEDURE, "prior procedure or injectable"),
        term_filter("treatment_category", CATEGORY, "treatment category"),
    )
    list_select_related = ("clinic", "organisation", "treatment")
    ordering = ("clinic", "organisation", "injectable_kind", "treatment_category")
    autocomplete_fields = ("treatment",)


@admin.register(ContraindicationRule)
class ContraindicationRuleAdmin(ScopedRuleAdmin):
    form = ContraindicationRuleForm
    code_fields = {"condition": CONDITION, "treatment_category": CATEGORY}
    list_display = (
        "condition",
        "treatment_category",
        "resource_kind",
        "treatment",
        "action",
        "scope",
    )
    list_filter = (
        ("clinic", admin.RelatedOnlyFieldListFilter),
        term_filter("condition", CONDITION, "condition"),
        "action",
    )
    list_select_related = ("clinic", "organisation", "treatment", "resource_kind")
    autocomplete_fields = ("treatment",)


@admin.register(Term)
class TermAdmin(ScopedAdmin):
    """The clinical vocabulary: prior procedures and injectables (with how long their areas
    stay on the practitioner's sheet), conditions, face areas and treatment categories, with
    the words the booking page asks with. An organisation's managers add its own words (or
    its own wording for a default's code); the defaults (no organisation) are shown to them
    and changed by the installation's superuser alone."""

    clinic_path = None
    organisation_path = "organisation"
    shared_rows = True
    list_display = ("name", "vocabulary", "code", "question", "caution_days", "organisation")
    list_filter = ("vocabulary",)
    list_select_related = ("organisation",)
    search_fields = ("name", "code")
    ordering = ("vocabulary", "position", "name")
    fields = (
        "organisation",
        "vocabulary",
        "code",
        "name",
        "question",
        "sheet",
        "caution_days",
        "position",
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organisation" and field is not None:
            ids = access.organisation_ids(request.user, "clinic.change_term")
            if ids is not None:
                field.queryset = field.queryset.filter(pk__in=ids)
                field.required = True  # only the superuser writes a default
                field.empty_label = None
        return field

    def get_readonly_fields(self, request, obj=None):
        # Records and rules keep the code: it does not change once in use.
        return ("organisation", "vocabulary", "code") if obj else ()


class PrerequisiteRuleForm(forms.ModelForm):
    class Meta:
        model = PrerequisiteRule
        fields = (
            "organisation",
            "clinic",
            "treatment",
            "treatment_category",
            "required_treatments",
            "min_hours_before",
            "valid_months",
            "message",
        )

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        treatment, category = cleaned.get("treatment"), cleaned.get("treatment_category")
        if bool(treatment) == bool(category):
            raise ValidationError("Choose either one treatment or a category, not both.")
        if organisation is None:
            return cleaned
        clinic = cleaned.get("clinic")
        if clinic is not None and clinic.organisation_id != organisation.pk:
            self.add_error("clinic", "Pick a clinic of this organisation.")
        if treatment is not None and treatment.clinic.organisation_id != organisation.pk:
            self.add_error("treatment", "Pick a treatment of this organisation.")
        required = cleaned.get("required_treatments") or []
        if any(r.clinic.organisation_id != organisation.pk for r in required):
            self.add_error("required_treatments", "Pick treatments of this organisation.")
        if treatment is not None and treatment in required:
            self.add_error("required_treatments", "A treatment cannot be its own prerequisite.")
        return cleaned


@admin.register(PrerequisiteRule)
class PrerequisiteRuleAdmin(ScopedAdmin):
    """A clinic's own rules are its managers'; the organisation's (no clinic) are the
    managers' of any of its clinics; the treatments they pick are those of their clinics.
    No installation default: the treatment that meets a rule is always an organisation's."""

    form = PrerequisiteRuleForm
    list_display = (
        "__str__",
        "clinic",
        "min_hours_before",
        "valid_months",
        "message",
        "organisation",
    )
    list_filter = (("clinic", admin.RelatedOnlyFieldListFilter), "treatment_category")
    list_select_related = ("organisation", "clinic", "treatment")
    filter_horizontal = ("required_treatments",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        offer_codes(form, self.model, {"treatment_category": CATEGORY}, visible_words(request))
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.related_model is Organisation:
            ids = access.organisation_ids(request.user, "clinical.change_prerequisiterule")
            if ids is not None:
                field.queryset = field.queryset.filter(pk__in=ids)
                field.empty_label = None
        return field

    def _organisations(self, request, action: str) -> set[int] | None:
        return access.organisation_ids(request.user, f"clinical.{action}_prerequisiterule")

    def scoped(self, queryset, request, action: str = "view"):
        clinics = self._scope_ids(request, action)
        if clinics is None:
            return queryset
        organisations = self._organisations(request, action)
        if action == "view":  # who may change a row may see it too
            clinics |= self._scope_ids(request, "change") or set()
            organisations |= self._organisations(request, "change") or set()
        return queryset.filter(
            Q(clinic__in=clinics) | Q(clinic__isnull=True, organisation__in=organisations)
        )

    def _holds(self, request, action: str, obj) -> bool:
        if obj.clinic_id is not None:
            return super()._holds(request, action, obj)
        organisations = self._organisations(request, action)
        return organisations is None or obj.organisation_id in organisations
