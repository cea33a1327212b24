"""The outbox for staff: every message with its status and last error, a retry for failed
ones, and the editable words of each kind of message."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join

from aftercare import services
from aftercare.models import Message, MessageTemplate
from backoffice.admin.base import (
    HealthAuditMixin,
    RefuseNulMixin,
    ScopedAdmin,
    local_time,
)
from backoffice.admin.lists import DateRangeFilter, IndexedSearchMixin, ScopedRelatedFilter
from clinic import audit
from sending.content import SMS_DEFAULTS
from sending.rendering import TemplateRefused, compile_template
from sending.sms_length import too_long

# Kinds whose very name says something of the client's health: a flag on their booking, a
# waiting period that ends.
HEALTH_KINDS = {Message.Kind.FLAGGED.value, Message.Kind.ELIGIBLE.value}


@admin.register(Message)
class MessageAdmin(HealthAuditMixin, RefuseNulMixin, IndexedSearchMixin, ScopedAdmin):
    """Messages change only through planning and delivery; staff read them and retry.

    A message's page shows its data (a flag's reason, the day a client may book again):
    audited. A list is audited for the clients of the messages whose kind tells of their
    health."""

    audit_what = audit.MESSAGE_DATA

    list_display = (
        "kind",
        "channel",
        "client",
        "clinic",
        "due",
        "status",
        "attempts",
        "error",
        "sent",
    )
    list_filter = (
        "status",
        "kind",
        "channel",
        ("clinic", ScopedRelatedFilter),
        ("due_at", DateRangeFilter),
    )
    list_select_related = ("client", "clinic")
    search_fields = ("client__name", "client__email", "appointment__reference", "key")
    search_client = "client"
    search_reference = "appointment__reference"
    search_prefix = ("key",)
    ordering = ("-due_at", "-pk")  # message_due_id
    actions = ("retry",)
    fields = (
        "kind",
        "channel",
        "status",
        "client",
        "appointment",
        "treatment",
        "due",
        "attempts",
        "last_error",
        "sent",
        "key",
        "data",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def listed_with_health_data(self, objects) -> list:
        return [message for message in objects if message.kind in HEALTH_KINDS]

    def has_retry_permission(self, request):
        return request.user.has_perm("aftercare.change_message")

    @admin.display(description="Due (clinic time)", ordering="due_at")
    def due(self, obj):
        return local_time(obj.due_at, obj.clinic)

    @admin.display(description="Sent (clinic time)", ordering="sent_at")
    def sent(self, obj):
        return local_time(obj.sent_at, obj.clinic)

    @admin.display(description="Last error")
    def error(self, obj):
        return obj.last_error[:120]

    @admin.action(description="Retry the selected failed messages", permissions=["retry"])
    def retry(self, request, queryset):
        count = services.messages_retry(messages=queryset)
        skipped = queryset.exclude(status=Message.Status.PENDING).count()
        self.message_user(request, f"{count} message(s) will be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} selected message(s) had not failed; left alone.", messages.INFO
            )


VARIABLES = (
    ("client.name, client.first_name, client.email, client.phone", "the client"),
    ("clinic.name, .phone, .email, .address, .cancellation_window_hours", "the clinic"),
    ("treatment.name, treatment.duration_minutes", "the treatment"),
    (
        'appointment.reference, .practitioner, .start, .end (e.g. {{ appointment.start|date:"l '
        'j F" }} at {{ appointment.start|time:"H:i" }}, in the clinic\'s time)',
        "the appointment",
    ),
    ("notes.before, notes.after", "the treatment's built-in care notes"),
    ("course.sessions, .done, .left; days_since", "rebooking reminders"),
    ("eligible_on", '"you can book again" notices'),
    ("reason", "flagged-appointment notices to the clinic"),
    ("moved_from, was_with", '"moved" emails: the old start; the practitioner before, if changed'),
    (
        "manage_url, sign_in_url",
        "the booking's own page and the sign-in page (both links are added below every email "
        "to a client anyway)",
    ),
)


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("kind", "treatment", "subject", "text", "html", "sms")

    def clean(self):
        data = super().clean()
        for field in ("subject", "text", "html", "sms"):
            try:
                compile_template(data.get(field) or "")
            except TemplateRefused as error:
                self.add_error(field, f"This template cannot be used: {error}")
        sms = data.get("sms") or ""
        if sms.strip() and "sms" not in self.errors:
            if data.get("kind") not in SMS_DEFAULTS:
                self.add_error("sms", "This kind of message is not sent by SMS: leave it empty.")
            elif problem := too_long(sms, treatment=data.get("treatment")):
                self.add_error("sms", problem)
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(RefuseNulMixin, ScopedAdmin):
    clinic_path = "treatment__clinic"
    shared_rows = True  # a template for every treatment: the installation's
    form = MessageTemplateForm
    list_display = ("kind", "treatment", "subject", "updated_at")
    list_filter = ("kind",)
    search_fields = ("subject", "text", "treatment__name")
    autocomplete_fields = ("treatment",)
    readonly_fields = ("variables",)
    fields = ("kind", "treatment", "subject", "text", "html", "sms", "variables")

    @admin.display(description="What the template can use")
    def variables(self, obj=None):
        return format_html_join(
            "\n", "<p><code>{}</code>: {}</p>", ((names, what) for names, what in VARIABLES)
        )
