"""Admin pages for the clinic's own records: the clinic and its hours, staff, rooms and devices,
treatments and clients. Date-times are shown and typed in the clinic's local time."""

import zoneinfo
from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.template.response import SimpleTemplateResponse
from django.utils import timezone

from bookings.models import Appointment, Status

from .models import (
    Client,
    Clinic,
    Closure,
    OpeningHours,
    Practitioner,
    Resource,
    ResourceKind,
    TimeOff,
    Treatment,
    WorkingHours,
)


class ClinicTimeMixin:
    """Activates the clinic's timezone while a change form or list is processed and rendered.

    The server runs in UTC, but the front desk thinks in wall time: time off typed as 09:00 must
    mean 09:00 at the clinic, in winter and in summer. A change form uses its object's clinic; a
    list or an add form uses the clinics' zone when they all share one, and UTC otherwise.
    """

    # Lookup path from the model to its Clinic ("" for Clinic itself).
    clinic_path = "clinic"

    def clinic_zone(self, object_id=None) -> zoneinfo.ZoneInfo | None:
        if object_id is not None:
            field = f"{self.clinic_path}__timezone" if self.clinic_path else "timezone"
            try:
                name = (
                    self.model._default_manager.filter(pk=unquote(object_id))
                    .values_list(field, flat=True)
                    .first()
                )
            except (ValueError, ValidationError):
                name = None  # a malformed id: the admin answers it with its own message
            if name:
                return zoneinfo.ZoneInfo(name)
        zones = list(Clinic.objects.order_by().values_list("timezone", flat=True).distinct()[:2])
        return zoneinfo.ZoneInfo(zones[0]) if len(zones) == 1 else None

    def _in_zone(self, zone, view, *args, **kwargs):
        if zone is None:
            return view(*args, **kwargs)
        with timezone.override(zone):
            response = view(*args, **kwargs)
            # The admin's template responses render after the view returns, which would be
            # outside the zone; render them while it is still active.
            if isinstance(response, SimpleTemplateResponse):
                response.render()
        return response

    def changelist_view(self, request, extra_context=None):
        return self._in_zone(self.clinic_zone(), super().changelist_view, request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._in_zone(
            self.clinic_zone(object_id),
            super().changeform_view,
            request,
            object_id,
            form_url,
            extra_context,
        )


def warn_about_clashes(request, time_off: TimeOff) -> None:
    """Time off does not move appointments already booked; tell the desk which ones to deal with."""
    clashes = list(
        Appointment.objects.filter(
            practitioner_id=time_off.practitioner_id,
            status=Status.CONFIRMED,
            start__lt=time_off.end,
            blocked_until__gt=time_off.start,
        ).values_list("reference", flat=True)[:20]
    )
    if clashes:
        messages.warning(
            request,
            f"{time_off.practitioner} has confirmed appointments during this time off; "
            f"reschedule or cancel them: {', '.join(clashes)}",
        )


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(ClinicTimeMixin, admin.ModelAdmin):
    clinic_path = ""
    list_display = ("name", "timezone", "phone", "email")
    search_fields = ("name",)
    prepopulated_fields: ClassVar[dict] = {"slug": ("name",)}
    inlines = (OpeningHoursInline, ClosureInline)
    fieldsets = (
        (None, {"fields": ["name", "slug", "timezone", "currency"]}),
        ("Contact", {"fields": ["phone", "email", "address"]}),
        (
            "Booking policies",
            {
                "fields": [
                    "slot_step_minutes",
                    "min_notice_minutes",
                    "max_advance_days",
                    "cancellation_window_hours",
                ],
                "description": "Online bookings follow these; staff bookings may go beyond them.",
            },
        ),
    )


@admin.register(ResourceKind)
class ResourceKindAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar[dict] = {"slug": ("name",)}


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "clinic", "active")
    list_filter = ("kind", "clinic", "active")
    list_select_related = ("kind", "clinic")
    search_fields = ("name",)


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "category",
        "duration_minutes",
        "buffer_after_minutes",
        "price",
        "active",
    )
    list_editable = ("price", "active")
    list_filter = ("category", "active", "clinic")
    search_fields = ("name", "slug", "description")
    prepopulated_fields: ClassVar[dict] = {"slug": ("name",)}
    filter_horizontal = ("required_resource_kinds",)
    fieldsets = (
        (None, {"fields": ["clinic", "name", "slug", "category", "description"]}),
        (
            "Booking",
            {
                "fields": [
                    "duration_minutes",
                    "buffer_after_minutes",
                    "required_resource_kinds",
                    "price",
                    "active",
                    "position",
                ],
            },
        ),
    )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class UpcomingTimeOffInline(admin.TabularInline):
    """Only time off that has not ended: past absences are in the Time off list."""

    model = TimeOff
    extra = 0
    verbose_name_plural = "upcoming time off"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(end__gt=timezone.now()).order_by("start")


@admin.register(Practitioner)
class PractitionerAdmin(ClinicTimeMixin, admin.ModelAdmin):
    list_display = ("name", "clinic", "active")
    list_filter = ("active", "clinic")
    list_select_related = ("clinic",)
    search_fields = ("name",)
    autocomplete_fields = ("user",)
    filter_horizontal = ("treatments",)
    inlines = (WorkingHoursInline, UpcomingTimeOffInline)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is TimeOff:
            for time_off in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
                warn_about_clashes(request, time_off)


@admin.register(TimeOff)
class TimeOffAdmin(ClinicTimeMixin, admin.ModelAdmin):
    clinic_path = "practitioner__clinic"
    list_display = ("practitioner", "start", "end", "reason")
    list_filter = ("practitioner", "practitioner__clinic")
    list_select_related = ("practitioner",)
    date_hierarchy = "start"
    search_fields = ("practitioner__name", "reason")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_about_clashes(request, obj)


class ClientAppointmentInline(admin.TabularInline):
    """The client's bookings at a glance. Read-only: bookings change through the services."""

    model = Appointment
    fields = ("reference", "treatment", "local_start", "status")
    readonly_fields = fields
    ordering = ("-start",)
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("clinic", "treatment")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Start (clinic time)")
    def local_start(self, obj):
        return f"{obj.start.astimezone(obj.clinic.tzinfo):%a %d %b %Y %H:%M}"


@admin.register(Client)
class ClientAdmin(ClinicTimeMixin, admin.ModelAdmin):
    list_display = ("name", "email", "phone", "created_at")
    list_filter = ("clinic",)
    search_fields = ("name", "email", "phone")
    ordering = ("name",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    fields = ("clinic", "name", "email", "phone", "user", "created_at")
    inlines = (ClientAppointmentInline,)
    # Tens of thousands of rows: skip the second, unfiltered COUNT on every list page.
    show_full_result_count = False
