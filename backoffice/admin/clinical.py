"""Admin pages for the clinical record (injectables, declared conditions) and the clinic's
medical rules. Records are added through clinical/services.py, which re-checks the client's
upcoming appointments; each page that shows health data is audited."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q

import access
from backoffice.admin.base import HealthAuditMixin, ScopedAdmin
from backoffice.admin.lists import DateRangeFilter, IndexedSearchMixin
from clinic import audit
from clinic.models import Organisation
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
from clinical.vocabulary import FaceArea


class InjectableRecordForm(forms.ModelForm):
    areas = forms.MultipleChoiceField(
        choices=FaceArea.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

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


@admin.register(InjectableRecord)
class InjectableRecordAdmin(HealthAuditMixin, IndexedSearchMixin, ScopedAdmin):
    organisation_path = "client__organisation"
    """Add only: a record is never edited. To correct one, add a new record that names it
    in "corrects"; the old one is kept and stops counting."""

    audit_what = audit.INJECTABLES

    form = InjectableRecordForm
    list_display = ("client", "kind", "date", "area_list", "product", "source", "current")
    list_filter = (("date", DateRangeFilter), "kind", "source", "given_here")
    list_select_related = ("client",)
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

    @admin.display(description="areas")
    def area_list(self, obj):
        return ", ".join(FaceArea(area).label for area in obj.areas if area in FaceArea.values)

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
    list_filter = ("condition", "source")
    list_select_related = ("client",)
    search_fields = ("client__name", "client__email")
    search_client = "client"
    autocomplete_fields = ("client",)
    fields = ("client", "condition", "declared_on", "ended_on", "source", "notes")

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


class ScopedRuleAdmin(ScopedAdmin):
    """A clinic's own rules are its managers' to change; the defaults every clinic gets
    (no clinic) are shown to them and changed by the installation's superuser alone. Rules
    are edited one at a time, on their page, where that is checked (no editable list)."""

    shared_rows = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "clinic" and not access.is_superuser(request.user):
            field.required = True  # only the superuser writes a default
            field.empty_label = None
        return field


@admin.register(WaitingRule)
class WaitingRuleAdmin(ScopedRuleAdmin):
    list_display = (
        "injectable_kind",
        "treatment_category",
        "min_days",
        "recommended_days",
        "clinic",
    )
    list_filter = (
        ("clinic", admin.RelatedOnlyFieldListFilter),
        "injectable_kind",
        "treatment_category",
    )
    ordering = ("clinic", "injectable_kind", "treatment_category")


@admin.register(ContraindicationRule)
class ContraindicationRuleAdmin(ScopedRuleAdmin):
    list_display = ("condition", "treatment_category", "resource_kind", "action", "clinic")
    list_filter = (("clinic", admin.RelatedOnlyFieldListFilter), "condition", "action")


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
