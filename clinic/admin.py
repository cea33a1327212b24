"""Admin pages for the clinic's own records: the clinic and its hours, staff, rooms and devices,
treatments and clients. Date-times are shown and typed in the clinic's local time."""

import zoneinfo
from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.template.response import SimpleTemplateResponse
from django.utils import timezone

from bookings.models import Appointment, Status
from workspace import audit
from workspace.models import AuditEntry

from .models import (
    Client,
    Clinic,
    Closure,
    ContraindicationRule,
    FaceArea,
    HealthDeclaration,
    InjectableRecord,
    OpeningHours,
    Practitioner,
    Resource,
    ResourceKind,
    TimeOff,
    Treatment,
    WaitingRule,
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


class HealthAuditMixin:
    """Health data shown by the admin joins the audit trail, as in the workspace and the
    staff API (workspace/audit.py, via "admin"): a list page records a view for each client
    on the page, a change page for its record's client. Recorded before the page is sent."""

    audit_what: ClassVar[str]
    audit_lists = True  # False where the list shows no health data (clients)

    def audited_client_ids(self, objects) -> list[int]:
        return [obj.client_id for obj in objects]

    def _audit(self, request, response, objects) -> None:
        if request.method == "GET" and response.status_code == 200 and objects:
            audit.audit_record(
                request,
                action=AuditEntry.Action.VIEW,
                what=self.audit_what,
                clients=self.audited_client_ids(objects),
                via="admin",
            )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if self.audit_lists and changelist is not None:
            self._audit(request, response, list(changelist.result_list))
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        if original is not None:
            self._audit(request, response, [original])
        return response


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


class ClientInjectableInline(admin.TabularInline):
    """The client's injectables, newest first. Added and corrected on their own page."""

    model = InjectableRecord
    fk_name = "client"
    fields = ("kind", "date", "areas", "product", "source", "superseded_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False
    verbose_name_plural = "injectables (fillers, Botox...)"

    def has_add_permission(self, request, obj=None):
        return False


class ClientDeclarationInline(admin.TabularInline):
    model = HealthDeclaration
    fields = ("condition", "declared_on", "ended_on", "source")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False
    verbose_name_plural = "declared conditions"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Client)
class ClientAdmin(HealthAuditMixin, ClinicTimeMixin, admin.ModelAdmin):
    audit_what = audit.CLIENT_PAGE  # its inlines show injectables and declarations
    audit_lists = False

    list_display = ("name", "email", "phone", "created_at")
    list_filter = ("clinic",)
    search_fields = ("name", "email", "phone")
    ordering = ("name",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    fields = ("clinic", "name", "email", "phone", "user", "created_at")
    inlines = (ClientInjectableInline, ClientDeclarationInline, ClientAppointmentInline)

    def audited_client_ids(self, objects) -> list[int]:
        return [client.pk for client in objects]

    def get_inlines(self, request, obj):
        # Imported here: aftercare's admin builds on the bookings admin, which imports this one.
        from aftercare.admin import MessageInline

        return (*self.inlines, MessageInline)

    # Tens of thousands of rows: skip the second, unfiltered COUNT on every list page.
    show_full_result_count = False


# Health records and the clinic's medical rules ----------------------------------------------


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
        zone = client.clinic.tzinfo if client else None
        if day > timezone.localdate(timezone=zone):
            raise ValidationError("An injection date cannot be in the future.")
        return day


def report_flagged(request, flagged) -> None:
    if flagged:
        messages.warning(
            request,
            "This record makes upcoming appointments too early; they are flagged: "
            + ", ".join(f"{a.reference} ({a.eligibility_flag})" for a in flagged),
        )


@admin.register(InjectableRecord)
class InjectableRecordAdmin(HealthAuditMixin, admin.ModelAdmin):
    """Add only: a record is never edited. To correct one, add a new record that names it
    in "corrects"; the old one is kept and stops counting."""

    audit_what = audit.INJECTABLES

    form = InjectableRecordForm
    list_display = ("client", "kind", "date", "area_list", "product", "source", "current")
    list_filter = ("kind", "source", "given_here", "client__clinic")
    list_select_related = ("client",)
    search_fields = ("client__name", "client__email", "product", "lot_number")
    autocomplete_fields = ("client", "corrects")
    date_hierarchy = "date"
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
        from bookings.health import injectable_record

        data = {name: form.cleaned_data.get(name) for name in form.cleaned_data}
        record, flagged = injectable_record(
            **{key: value for key, value in data.items() if value is not None}, by=request.user
        )
        obj.pk = record.pk
        report_flagged(request, flagged)


@admin.register(HealthDeclaration)
class HealthDeclarationAdmin(HealthAuditMixin, admin.ModelAdmin):
    audit_what = audit.DECLARATIONS
    list_display = ("client", "condition", "declared_on", "ended_on", "source")
    list_filter = ("condition", "source", "client__clinic")
    list_select_related = ("client",)
    search_fields = ("client__name", "client__email")
    autocomplete_fields = ("client",)
    fields = ("client", "condition", "declared_on", "ended_on", "source", "notes")

    def get_readonly_fields(self, request, obj=None):
        # Once recorded, only "ended on" changes (e.g. after a pregnancy).
        return ("client", "condition", "declared_on", "source") if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from bookings.health import appointments_recheck, declaration_record

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
        )
        obj.pk = declaration.pk
        report_flagged(request, flagged)


@admin.register(WaitingRule)
class WaitingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "injectable_kind",
        "treatment_category",
        "min_days",
        "recommended_days",
        "clinic",
    )
    list_editable = ("min_days", "recommended_days")
    list_filter = ("clinic", "injectable_kind", "treatment_category")
    ordering = ("clinic", "injectable_kind", "treatment_category")


@admin.register(ContraindicationRule)
class ContraindicationRuleAdmin(admin.ModelAdmin):
    list_display = ("condition", "treatment_category", "resource_kind", "action", "clinic")
    list_editable = ("action",)
    list_filter = ("clinic", "condition", "action")
