"""Consent and intake forms in the admin: an organisation's managers write its templates,
publish versions (never edited: a change is a new version, consent/services.py) and say which
treatments need which form for how long. Signed forms are not here: they are health data,
shown in the workspace, where each view is audited."""

import json

from django import forms
from django.contrib import admin, messages

from clinical.terms import vocabulary_for
from consent.models import FormRule, FormTemplate, FormVersion
from consent.planning import plan_forms_reminders_for
from consent.services import FormError, form_version_publish, questions_check

from .base import ScopedAdmin


class OrganisationChoicesMixin:
    """The organisation and template a row belongs to are picked among the user's own."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        ids = self._scope_ids(request, "add")
        if field is not None and ids is not None:
            if db_field.name == "organisation":
                field.queryset = field.queryset.filter(pk__in=ids)
            elif db_field.name == "template":
                field.queryset = field.queryset.filter(organisation_id__in=ids)
            elif db_field.name == "treatment":
                field.queryset = field.queryset.filter(clinic__organisation_id__in=ids)
        return field


class FormVersionInline(admin.TabularInline):
    model = FormVersion
    fields = ("number", "title", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FormTemplate)
class FormTemplateAdmin(OrganisationChoicesMixin, ScopedAdmin):
    clinic_path = None
    organisation_path = "organisation"
    list_display = ("name", "kind", "organisation")
    inlines = [FormVersionInline]


class FormVersionForm(forms.ModelForm):
    class Meta:
        model = FormVersion
        fields = ("template", "title", "text", "questions")

    def clean_questions(self):
        questions = self.cleaned_data["questions"]
        template = self.cleaned_data.get("template")
        if template is None:
            return questions  # the template's own error is shown
        try:
            questions_check(questions, words=vocabulary_for(template.organisation_id))
        except FormError as refusal:
            raise forms.ValidationError(refusal.detail) from None
        return questions


@admin.register(FormVersion)
class FormVersionAdmin(OrganisationChoicesMixin, ScopedAdmin):
    """Adding a version publishes it with the next number; a published version is read-only
    (clients signed its words) and never deleted."""

    clinic_path = None
    organisation_path = "template__organisation"
    form = FormVersionForm
    list_display = ("template", "number", "title", "created_at")
    list_select_related = ("template",)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("template", "number", "title", "text", "questions_shown", "created_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("template", "title", "text", "questions")
        return ("template", "number", "title", "text", "questions_shown", "created_by")

    @admin.display(description="Questions")
    def questions_shown(self, obj):
        return json.dumps(obj.questions, indent=2, ensure_ascii=False)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # read-only: nothing to save
        version = form_version_publish(
            template=obj.template,
            title=obj.title,
            text=obj.text,
            questions=obj.questions,
            by=request.user,
        )
        obj.pk, obj.number = version.pk, version.number
        messages.info(request, f"Published as version {version.number}.")


@admin.register(FormRule)
class FormRuleAdmin(OrganisationChoicesMixin, ScopedAdmin):
    clinic_path = None
    organisation_path = "organisation"
    list_display = (
        "template",
        "treatment",
        "category",
        "valid_days",
        "new_version_needs_signature",
    )
    list_select_related = ("template", "treatment")

    def save_model(self, request, obj, form, change):
        """Appointments booked before the rule existed get their reminder to sign (their
        completion is refused until they do, consent.selectors)."""
        super().save_model(request, obj, form, change)
        plan_forms_reminders_for([obj])
