"""Device settings each treatment's record asks for (records.DeviceSettingsSchema): a
clinic's managers set them for their treatments; the category-wide rows, which every
clinic's treatments of that category get, are the installation's superuser's."""

from django import forms
from django.contrib import admin

import access
from backoffice.admin.base import ScopedAdmin
from records.models import DeviceSettingsSchema


class DeviceSettingsSchemaForm(forms.ModelForm):
    class Meta:
        model = DeviceSettingsSchema
        fields = ("treatment", "category", "fields")
        help_texts = {
            "fields": 'A list of fields, e.g. [{"name": "intensity_start", "label": "Intensity '
            'at start", "type": "integer", "unit": "µA", "min": 0, "max": 1000, "required": '
            "true}]. Types: integer, decimal, choice (with choices), text.",
        }

    def clean(self):
        cleaned = super().clean()
        if not self.superuser and not cleaned.get("treatment"):
            self.add_error("treatment", "Choose one of your clinic's treatments.")
        return cleaned


@admin.register(DeviceSettingsSchema)
class DeviceSettingsSchemaAdmin(ScopedAdmin):
    form = DeviceSettingsSchemaForm
    clinic_path = "treatment__clinic"
    shared_rows = True
    list_display = ("__str__", "category")
    list_select_related = ("treatment",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.superuser = access.is_superuser(request.user)
        return form
