"""Admin pages for appointments and their history. The diary itself (time, status, practitioner,
resources) is read-only here: only diary/services.py changes it, under its locks."""

from django.contrib import admin, messages

from backoffice.admin.base import (
    ClinicTimeMixin,
    HealthAuditMixin,
    ReadOnlyInline,
    ScopedAdmin,
    local_time,
)
from backoffice.admin.lists import DateRangeFilter, IndexedSearchMixin, ScopedRelatedFilter
from bookings.models import Appointment, AppointmentChange, AppointmentResource
from clinic import audit
from diary.errors import BookingError
from diary.services import appointment_cancel, appointment_complete, appointment_mark_no_show


class ResourceHoldInline(ReadOnlyInline):
    model = AppointmentResource
    fields = ("resource", "start", "blocked_until", "active")
    readonly_fields = fields
    verbose_name_plural = "rooms and devices held"

    def get_queryset(self, request):
        # Each row's title names its appointment (AppointmentResource.__str__): joined, not
        # read once per row.
        return super().get_queryset(request).select_related("resource", "appointment")


class AppointmentChangeInline(ReadOnlyInline):
    model = AppointmentChange
    fields = (
        "action",
        "at",
        "by",
        "channel",
        "from_status",
        "to_status",
        "from_start",
        "to_start",
        "reason",
    )
    readonly_fields = fields
    verbose_name_plural = "history"

    def get_queryset(self, request):
        # Each row's title names its appointment (AppointmentChange.__str__): joined, not
        # read once per change.
        return super().get_queryset(request).select_related("by", "appointment")


class FlaggedFilter(admin.SimpleListFilter):
    title = "clinical flag"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged by a new health record"), ("override", "Booked with override")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(eligibility_flag="")
        if self.value() == "override":
            return queryset.exclude(override_reason="")
        return queryset


@admin.register(Appointment)
class AppointmentAdmin(HealthAuditMixin, ClinicTimeMixin, IndexedSearchMixin, ScopedAdmin):
    # Its page shows the clinical flag and the override's reason, and its history the
    # reasons given; its list, filtered on the flag, which clients were flagged.
    audit_what = audit.APPOINTMENT_FLAGS

    def audits_list(self, request) -> bool:
        return FlaggedFilter.parameter_name in request.GET

    list_display = (
        "reference",
        "local_start",
        "client",
        "treatment",
        "practitioner",
        "status",
        "channel",
    )
    # No date hierarchy, no related-only filters: their links read the whole table
    # (backoffice/admin/lists.py). The list is read in the order of appointment_start_id.
    list_filter = (
        ("start", DateRangeFilter),
        "status",
        FlaggedFilter,
        "channel",
        ("practitioner", ScopedRelatedFilter),
        ("treatment", ScopedRelatedFilter),
        ("clinic", ScopedRelatedFilter),
    )
    list_select_related = ("clinic", "client", "treatment", "practitioner")
    search_fields = ("reference", "client__name", "client__email", "client__phone")
    search_client = "client"
    search_reference = "reference"
    ordering = ("-start", "-pk")
    actions = ("cancel_selected", "complete_selected", "mark_no_show_selected")
    inlines = (ResourceHoldInline, AppointmentChangeInline)

    # Everything that decides who is busy when is read-only: editing it here would skip the
    # service's locks and diary re-check. Client and treatment too, as they decide the rules
    # that were checked and the length of the slot. To move or cancel, use the actions or the
    # booking pages.
    editable_fields = ("practitioner_requested", "notes")
    readonly_fields = (
        "reference",
        "clinic",
        "client",
        "treatment",
        "practitioner",
        "status",
        "channel",
        "local_start",
        "local_end",
        "local_blocked_until",
        "created_at",
        "created_by",
        "updated_at",
        "changed_by",
        "eligibility_flag",
        "flagged_at",
        "override_reason",
    )
    fieldsets = (
        (None, {"fields": ["reference", "clinic", "client", "treatment", "status", "channel"]}),
        (
            "Diary",
            {
                "fields": [
                    "local_start",
                    "local_end",
                    "local_blocked_until",
                    "practitioner",
                    "practitioner_requested",
                ],
            },
        ),
        (
            "Clinical rules",
            {
                "fields": ["eligibility_flag", "flagged_at", "override_reason"],
                "description": "A flag means a health record added after booking breaks a "
                "rule: reschedule or contact the client.",
            },
        ),
        ("Notes", {"fields": ["notes"]}),
        (
            "Record",
            {
                "fields": ["created_at", "created_by", "updated_at", "changed_by"],
                "classes": ["collapse"],
            },
        ),
    )

    @admin.display(description="Start (clinic time)", ordering="start")
    def local_start(self, obj):
        return local_time(obj.start, obj.clinic)

    @admin.display(description="End (clinic time)")
    def local_end(self, obj):
        return local_time(obj.end, obj.clinic)

    @admin.display(description="Held until (clinic time)")
    def local_blocked_until(self, obj):
        return local_time(obj.blocked_until, obj.clinic)

    def has_add_permission(self, request):
        return False  # bookings are made through the API or the booking pages

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: a deleted booking leaves no history and no aftercare trail

    def save_model(self, request, obj, form, change):
        # Write only the fields this form may change. A full save would write back the status
        # and times as they were when the form was loaded, undoing a cancel or reschedule made
        # meanwhile by a service.
        obj.save(update_fields=[*self.editable_fields, "updated_at"])

    def _apply(self, request, queryset, service, done_message, **kwargs):
        done, failed = [], []
        queryset = queryset.select_related("clinic", "client", "treatment", "practitioner")
        for appointment in queryset.order_by("start"):
            try:
                service(appointment=appointment, by=request.user, **kwargs)
            except BookingError as exc:
                failed.append(f"{appointment.reference} ({exc.detail})")
            else:
                done.append(appointment.reference)
        if done:
            self.message_user(
                request, f"{done_message} {len(done)}: {', '.join(done)}", messages.SUCCESS
            )
        if failed:
            self.message_user(
                request, f"Not changed, {len(failed)}: {'; '.join(failed)}", messages.ERROR
            )

    # Each call takes its own locks and transaction, so one refusal does not undo the others.
    @admin.action(description="Cancel selected appointments", permissions=["change"])
    def cancel_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            appointment_cancel,
            "Cancelled",
            reason="Cancelled by staff in the admin.",
        )

    @admin.action(description="Mark completed", permissions=["change"])
    def complete_selected(self, request, queryset):
        self._apply(request, queryset, appointment_complete, "Marked completed")

    @admin.action(description="Mark no-show", permissions=["change"])
    def mark_no_show_selected(self, request, queryset):
        self._apply(request, queryset, appointment_mark_no_show, "Marked no-show")


@admin.register(AppointmentChange)
class AppointmentChangeAdmin(HealthAuditMixin, ClinicTimeMixin, IndexedSearchMixin, ScopedAdmin):
    clinic_path = "appointment__clinic"
    audit_what = audit.APPOINTMENT_FLAGS  # a change's page shows its reason (an override's)
    audit_lists = False

    def audited_client_ids(self, objects) -> list[int]:
        return [change.appointment.client_id for change in objects]

    list_display = (
        "appointment_reference",
        "action",
        "at",
        "by",
        "channel",
        "from_status",
        "to_status",
    )
    list_filter = (("at", DateRangeFilter), "action", "channel")
    list_select_related = ("appointment", "by")
    search_fields = ("appointment__reference",)
    search_reference = "appointment__reference"
    ordering = ("-at", "-pk")  # appointmentchange_at_id

    @admin.display(description="Appointment", ordering="appointment__reference")
    def appointment_reference(self, obj):
        return obj.appointment.reference

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
