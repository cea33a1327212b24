"""Admin pages for the clinic's own records: the clinic and its hours, staff, rooms and devices,
treatments and clients. Date-times are shown and typed in the clinic's local time."""

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

import access
from backoffice.admin.base import ClinicTimeMixin, HealthAuditMixin, ScopedAdmin, ScopedChoicesMixin
from backoffice.admin.clinical import ClientDeclarationInline, ClientInjectableInline
from backoffice.admin.diary import ClientAppointmentInline
from backoffice.admin.messages import MessageInline
from bookings.models import Appointment
from clinic import audit
from clinic.models import (
    Client,
    Clinic,
    Closure,
    Membership,
    OpeningHours,
    Organisation,
    Practitioner,
    Resource,
    ResourceKind,
    TimeOff,
    Treatment,
    WorkingHours,
)


def warn_about_clashes(request, time_off: TimeOff) -> None:
    """Time off does not move appointments already booked; tell the desk which ones to deal with."""
    clashes = list(
        Appointment.objects.filter(
            practitioner_id=time_off.practitioner_id,
            status=Appointment.Status.CONFIRMED,
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


class OpeningHoursInline(ScopedChoicesMixin, admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(ScopedChoicesMixin, admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """The businesses of the installation: its superuser's alone."""

    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar[dict] = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    """Who holds which role at which clinic (access/roles.py says what each role may do)."""

    list_display = ("user", "clinic", "role")
    list_filter = ("role", ("clinic", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "clinic")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)


@admin.register(Clinic)
class ClinicAdmin(ClinicTimeMixin, ScopedAdmin):
    """A clinic's settings. Its managers change its own; the organisation and the slug, and
    adding a clinic, are the installation's superuser's. A change to the address its notices
    go to and clients' replies reach (its email) joins the audit trail."""

    clinic_path = ""
    list_display = ("name", "timezone", "phone", "email")
    search_fields = ("name",)
    prepopulated_fields: ClassVar[dict] = {"slug": ("name",)}
    inlines = (OpeningHoursInline, ClosureInline)
    fieldsets = (
        (None, {"fields": ["organisation", "name", "slug", "timezone", "currency"]}),
        ("Contact", {"fields": ["phone", "email", "address"]}),
        (
            "Branding",
            {
                "fields": ["logo_url", "primary_colour", "accent_colour"],
                "description": "How the online booking pages look. Colours are checked for "
                "readable contrast (WCAG AA, 4.5:1).",
            },
        ),
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

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not access.is_superuser(request.user):
            return ("organisation", "slug")
        return ()

    def get_prepopulated_fields(self, request, obj=None):
        return {} if "slug" in self.get_readonly_fields(request, obj) else self.prepopulated_fields

    def save_model(self, request, obj, form, change):
        if change and "email" in form.changed_data:
            audit.audit_setting(
                request,
                clinic=obj,
                what="clinic email",
                before=form.initial.get("email", ""),
                after=obj.email,
            )
        super().save_model(request, obj, form, change)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("primary_colour", "accent_colour"):
            # The browser's colour picker: it sends #rrggbb, which the validators check.
            kwargs["widget"] = forms.TextInput(attrs={"type": "color"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(ResourceKind)
class ResourceKindAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar[dict] = {"slug": ("name",)}


@admin.register(Resource)
class ResourceAdmin(ScopedAdmin):
    list_display = ("name", "kind", "clinic", "active")
    list_filter = ("kind", ("clinic", admin.RelatedOnlyFieldListFilter), "active")
    list_select_related = ("kind", "clinic")
    search_fields = ("name",)


@admin.register(Treatment)
class TreatmentAdmin(ScopedAdmin):
    list_display = (
        "name",
        "category",
        "duration_minutes",
        "buffer_after_minutes",
        "price",
        "active",
    )
    list_editable = ("price", "active")
    list_filter = ("category", "active", ("clinic", admin.RelatedOnlyFieldListFilter))
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


class WorkingHoursInline(ScopedChoicesMixin, admin.TabularInline):
    model = WorkingHours
    extra = 0


class UpcomingTimeOffInline(ScopedChoicesMixin, admin.TabularInline):
    """Only time off that has not ended: past absences are in the Time off list."""

    model = TimeOff
    extra = 0
    verbose_name_plural = "upcoming time off"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(end__gt=timezone.now()).order_by("start")


@admin.register(Practitioner)
class PractitionerAdmin(ClinicTimeMixin, ScopedAdmin):
    list_display = ("name", "clinic", "active")
    list_filter = ("active", ("clinic", admin.RelatedOnlyFieldListFilter))
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
class TimeOffAdmin(ClinicTimeMixin, ScopedAdmin):
    clinic_path = "practitioner__clinic"
    list_display = ("practitioner", "start", "end", "reason")
    list_filter = (("practitioner", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("practitioner",)
    date_hierarchy = "start"
    search_fields = ("practitioner__name", "reason")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_about_clashes(request, obj)


@admin.register(Client)
class ClientAdmin(HealthAuditMixin, ClinicTimeMixin, ScopedAdmin):
    clinic_path = "home_clinic"
    organisation_path = "organisation"
    audit_what = audit.CLIENT_PAGE  # its inlines show injectables and declarations
    audit_lists = False

    list_display = ("name", "email", "phone", "created_at")
    list_filter = (("organisation", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "email", "phone")
    ordering = ("name",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    fields = ("organisation", "home_clinic", "name", "email", "phone", "user", "created_at")
    inlines = (
        ClientInjectableInline,
        ClientDeclarationInline,
        ClientAppointmentInline,
        MessageInline,
    )

    def audited_client_ids(self, objects) -> list[int]:
        return [client.pk for client in objects]

    # Tens of thousands of rows: skip the second, unfiltered COUNT on every list page.
    show_full_result_count = False
