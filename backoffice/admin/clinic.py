"""Admin pages for the clinic's own records: the clinic and its hours, staff, rooms and devices,
treatments and clients. Date-times are shown and typed in the clinic's local time."""

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.utils import timezone

import access
from aftercare.models import Message
from backoffice.admin.base import (
    ClinicTimeMixin,
    HealthAuditMixin,
    ScopedAdmin,
    ScopedChoicesMixin,
    local_time,
    term_filter,
    visible_words,
)
from backoffice.admin.history import Column, history_table, permitted
from backoffice.admin.lists import DateRangeFilter, IndexedSearchMixin, ScopedRelatedFilter
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
from clinic.search import by_name
from clinical import terms
from clinical.models import HealthDeclaration, InjectableRecord
from clinical.vocabulary import AREA, CATEGORY, CONDITION, PROCEDURE
from diary.time_off import hours_added, time_off_removed


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


class TreatmentForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        clinic, category = cleaned.get("clinic"), cleaned.get("category")
        if clinic is not None and category:
            if not terms.vocabulary_for(clinic.organisation_id).knows(CATEGORY, category):
                self.add_error("category", "Not a treatment category of this organisation.")
        return cleaned


@admin.register(Treatment)
class TreatmentAdmin(ScopedAdmin):
    form = TreatmentForm
    list_display = (
        "name",
        "category",
        "duration_minutes",
        "buffer_after_minutes",
        "price",
        "active",
    )
    list_editable = ("price", "active")
    list_filter = (
        term_filter("category", CATEGORY, "category"),
        "active",
        ("clinic", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "slug", "description")
    prepopulated_fields: ClassVar[dict] = {"slug": ("name",)}
    filter_horizontal = ("required_resource_kinds",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "category" in form.base_fields:
            form.base_fields["category"] = forms.ChoiceField(
                choices=visible_words(request).choices(CATEGORY),
                help_text="Its rules are its category's, unless a rule names the treatment.",
            )
        return form

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
            for time_off in formset.deleted_objects:  # its time is offered to the waitlist
                time_off_removed(practitioner=form.instance, start=time_off.start, end=time_off.end)
        if formset.model is WorkingHours:
            for hours in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
                hours_added(hours=hours)


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

    def delete_model(self, request, obj):
        practitioner, start, end = obj.practitioner, obj.start, obj.end
        super().delete_model(request, obj)
        time_off_removed(practitioner=practitioner, start=start, end=end)

    def delete_queryset(self, request, queryset):
        removed = [
            (t.practitioner, t.start, t.end) for t in queryset.select_related("practitioner")
        ]
        super().delete_queryset(request, queryset)
        for practitioner, start, end in removed:
            time_off_removed(practitioner=practitioner, start=start, end=end)


@admin.register(Client)
class ClientAdmin(HealthAuditMixin, ClinicTimeMixin, IndexedSearchMixin, ScopedAdmin):
    """A client's details, and their history as the latest few rows of each kind with a
    link to all of them (backoffice/admin/history.py): the page costs the same however
    long the client has been coming."""

    clinic_path = "home_clinic"
    organisation_path = "organisation"
    audit_what = audit.CLIENT_PAGE  # its history shows injectables and declarations
    audit_lists = False

    list_display = ("name", "email", "phone", "created_at")
    list_filter = (("organisation", ScopedRelatedFilter), ("created_at", DateRangeFilter))
    search_fields = ("name", "email", "phone")
    search_client = ""  # the trigram search of clinic/search.py
    ordering = ("name", "pk")  # client_name_id
    autocomplete_fields = ("user",)
    details = ("organisation", "home_clinic", "name", "email", "phone", "user", "created_at")
    # Each shown to who may see the model, as its inline was.
    history = {
        "injectables": InjectableRecord,
        "declarations": HealthDeclaration,
        "appointments": Appointment,
        "messages": Message,
    }
    readonly_fields = ("created_at", *history)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.details})]
        shown = [name for name, model in self.history.items() if permitted(request.user, model)]
        if obj is not None and shown:
            fieldsets.append(("History", {"fields": shown}))
        return fieldsets

    def audited_client_ids(self, objects) -> list[int]:
        return [client.pk for client in objects]

    def get_ordering(self, request):
        # A search's matches, found through the trigram index, sorted by name as they are
        # (not by walking the name index: clinic/search.py); the same order either way.
        if request.GET.get(SEARCH_VAR, "").strip():
            return by_name()
        return super().get_ordering(request)

    @admin.display(description="Injectables and prior procedures")
    def injectables(self, obj):
        words = terms.vocabulary_for(obj.organisation_id)
        return history_table(
            obj,
            InjectableRecord.objects.filter(client=obj).order_by("-date", "-pk"),
            [
                Column("Date", lambda r: r.date),
                Column("Kind", lambda r: words.name(PROCEDURE, r.kind)),
                Column("Areas", lambda r: ", ".join(words.names(AREA, r.areas))),
                Column("Product", lambda r: r.product),
                Column("Source", lambda r: r.get_source_display()),
                Column("Current", lambda r: "yes" if r.superseded_at is None else "no"),
            ],
            "injectables",
        )

    @admin.display(description="Declared conditions")
    def declarations(self, obj):
        words = terms.vocabulary_for(obj.organisation_id)
        return history_table(
            obj,
            HealthDeclaration.objects.filter(client=obj).order_by("-declared_on", "-pk"),
            [
                Column("Condition", lambda r: words.name(CONDITION, r.condition)),
                Column("Declared on", lambda r: r.declared_on),
                Column("Ended on", lambda r: r.ended_on or "-"),
                Column("Source", lambda r: r.get_source_display()),
            ],
            "declared conditions",
        )

    @admin.display(description="Appointments")
    def appointments(self, obj):
        return history_table(
            obj,
            Appointment.objects.filter(client=obj)
            .select_related("clinic", "treatment")
            .order_by("-start", "-pk"),
            [
                Column("Reference", lambda r: r.reference),
                Column("Start (clinic time)", lambda r: local_time(r.start, r.clinic)),
                Column("Treatment", lambda r: r.treatment),
                Column("Status", lambda r: r.get_status_display()),
            ],
            "appointments",
        )

    @admin.display(description="Messages")
    def messages(self, obj):
        return history_table(
            obj,
            Message.objects.filter(client=obj).select_related("clinic").order_by("-due_at", "-pk"),
            [
                Column("Kind", lambda r: r.get_kind_display()),
                Column("Due (clinic time)", lambda r: local_time(r.due_at, r.clinic)),
                Column("Status", lambda r: r.get_status_display()),
                Column("Attempts", lambda r: r.attempts),
                Column("Last error", lambda r: r.last_error[:120]),
                Column("Sent (clinic time)", lambda r: local_time(r.sent_at, r.clinic)),
            ],
            "messages",
        )
