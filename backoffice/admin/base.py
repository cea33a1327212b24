"""What the admin modules share: every row scoped to the clinics (or organisations) where
the user holds the model's permission, the clinic's time zone on its pages, the audit of
health data shown, read-only inlines, and a clean 400 for NUL bytes in a list's query."""

import zoneinfo
from typing import ClassVar

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

import access
from bookings.models import Appointment
from clinic import audit
from clinic.models import (
    AuditEntry,
    Client,
    Clinic,
    Membership,
    Practitioner,
    Resource,
    Term,
    Treatment,
)
from clinical.models import InjectableRecord
from clinical.vocabulary import Vocabulary, Word
from web.forms import refuse_foreign_digits
from web.paging import SORT_UNDER, EstimatedCountPaginator

# How a row of each model reaches its clinic, or its organisation: what the scoping filters
# on, and what the choices of a foreign key to it are limited by.
CLINIC_LOOKUP = {
    Clinic: "pk",
    Practitioner: "clinic",
    Treatment: "clinic",
    Resource: "clinic",
    Appointment: "clinic",
    Membership: "clinic",
}
ORGANISATION_LOOKUP = {Client: "organisation", InjectableRecord: "client__organisation"}


def _permission(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def choices_for(request, model, queryset, permission: str = access.USE):
    """`queryset` (rows of `model`) limited to what the user may pick: rows of the clinics,
    or organisations, where they hold `permission`. The superuser picks from all."""
    if model in CLINIC_LOOKUP:
        ids = access.clinic_ids(request.user, permission)
        lookup = CLINIC_LOOKUP[model]
    elif model in ORGANISATION_LOOKUP:
        ids = access.organisation_ids(request.user, permission)
        lookup = ORGANISATION_LOOKUP[model]
    else:
        return queryset
    if ids is None:
        return queryset
    return queryset.filter(**{f"{lookup}__in" if lookup != "pk" else "pk__in": ids})


class ScopedChoicesMixin:
    """Foreign keys and many-to-many fields offer only rows of the user's clinics; dates and
    times are typed with the digits 0-9 only (web/forms.py), as on the pages and the API."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field, models.DateField | models.TimeField):
            refuse_foreign_digits(field)
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = choices_for(request, db_field.related_model, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = choices_for(request, db_field.related_model, field.queryset)
        return field


class ScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """An admin that shows and changes only the rows of the clinics (`clinic_path`) or the
    organisations (`organisation_path`) where the user holds the model's permission. A row
    of another clinic is a 404, as if it did not exist; the installation's superuser sees
    every row.

    With `shared_rows`, rows without a clinic (the installation's defaults every clinic
    gets) are shown to whoever may view the model, and changed by the superuser alone.
    """

    clinic_path: str | None = "clinic"  # "" for Clinic itself
    organisation_path: str | None = None
    shared_rows = False

    # Lists count no more rows than they must (web/paging.py), and skip the
    # admin's second count of the whole table.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Most of a page's time is now its rendering, row by row: 50 rows, not Django's 100.
    list_per_page = 50
    # Django's list, its rows made for less CPU (backoffice/templatetags/backoffice_list.py).
    change_list_template = "admin/backoffice/change_list.html"

    def action_checkbox(self, obj):
        """Each row's checkbox, written out: the same HTML as Django's, which renders a
        CheckboxInput through the form renderer's templates, about a tenth of a list's CPU
        for 50 rows (bench/README.md, "The admin's rows")."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        if request.GET.get(SEARCH_VAR, "").strip():
            # A search's few matches are sorted, not found by walking the list's order
            # index (web/paging.py).
            paginator.sort_under = SORT_UNDER
        return paginator

    def _lookup(self) -> str:
        if self.organisation_path:
            return self.organisation_path
        return self.clinic_path or "pk"

    def _scope_ids(self, request, action: str) -> set[int] | None:
        permission = _permission(self.model, action)
        if self.organisation_path:
            return access.organisation_ids(request.user, permission)
        return access.clinic_ids(request.user, permission)

    def scoped(self, queryset, request, action: str = "view"):
        ids = self._scope_ids(request, action)
        if action == "view" and ids is not None:  # who may change a row may see it too
            ids |= self._scope_ids(request, "change") or set()
        if ids is None:
            return queryset
        lookup = self._lookup()
        mine = Q(**{f"{lookup}__in" if lookup != "pk" else "pk__in": ids})
        if self.shared_rows:
            mine |= Q(**{f"{lookup}__isnull": True})
        return queryset.filter(mine)

    def get_queryset(self, request):
        return self.scoped(super().get_queryset(request), request)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:  # the admin would redirect and say so: another clinic's row is a 404
            raise Http404("No such record.")
        return obj

    def row_scope(self, obj) -> int | None:
        """The clinic (or organisation) id of a row; None for a shared row."""
        path = self.organisation_path or self.clinic_path
        if not path:
            return obj.pk
        *through, last = path.split("__")
        for name in through:
            obj = getattr(obj, name)
            if obj is None:
                return None
        return getattr(obj, f"{last}_id")

    def _holds(self, request, action: str, obj) -> bool:
        scope = self.row_scope(obj)
        if scope is None:  # a shared row: the installation's
            return action == "view" or access.is_superuser(request.user)
        ids = self._scope_ids(request, action)
        return ids is None or scope in ids

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return self._holds(request, "view", obj) or self._holds(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed if obj is None or not allowed else self._holds(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed if obj is None or not allowed else self._holds(request, "delete", obj)


def local_time(instant, clinic) -> str:
    if instant is None:
        return "-"
    return f"{instant.astimezone(clinic.tzinfo):%a %d %b %Y %H:%M}"


class ClinicTimeMixin:
    """Activates the clinic's timezone while a change form or list is processed and rendered.

    The server runs in UTC, but the front desk thinks in wall time: time off typed as 09:00 must
    mean 09:00 at the clinic, in winter and in summer. A change form uses its object's clinic; a
    list or an add form uses the clinics' zone when they all share one, and UTC otherwise.
    """

    # Lookup path from the model to its Clinic ("" for Clinic itself).
    clinic_path = "clinic"

    def clinic_zone(self, request, object_id=None) -> zoneinfo.ZoneInfo | None:
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
        clinics = access.clinics(request.user).order_by()
        zones = list(clinics.values_list("timezone", flat=True).distinct()[:2])
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
        return self._in_zone(
            self.clinic_zone(request), super().changelist_view, request, extra_context
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._in_zone(
            self.clinic_zone(request, object_id),
            super().changeform_view,
            request,
            object_id,
            form_url,
            extra_context,
        )


class _AuditedPaginator(EstimatedCountPaginator):
    """The admin's autocomplete pages through its results with the model admin's paginator:
    the page it is about to send is handed to `shown` first."""

    def __init__(self, *args, shown, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = shown

    def page(self, number):
        page = super().page(number)
        self.shown(list(page.object_list))
        return page


class HealthAuditMixin:
    """Health data shown by the admin joins the audit trail, as in the workspace and the
    staff API (clinic/audit.py, via "admin"): a list page records a view for each client
    on the page (where `audits_list` says the list shows health data), a change page and a
    history page for its record's client, the autocomplete for the clients of the records
    it offers. Recorded before the page is sent."""

    audit_what: ClassVar[str]
    audit_lists = True  # False where the list shows no health data (clients)

    def audits_list(self, request) -> bool:
        return self.audit_lists

    def audited_client_ids(self, objects) -> list[int]:
        return [obj.client_id for obj in objects]

    def listed_with_health_data(self, objects) -> list:
        """The rows of a list (or autocomplete) whose line shows health data."""
        return objects

    def _audit(self, request, response, objects, **details) -> None:
        clients = [pk for pk in self.audited_client_ids(objects) if pk is not None]
        if request.method == "GET" and response.status_code == 200 and clients:
            audit.audit_record(
                request,
                action=AuditEntry.Action.VIEW,
                what=self.audit_what,
                clients=clients,
                via=audit.ADMIN,
                **details,
            )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if self.audits_list(request) and changelist is not None:
            shown = self.listed_with_health_data(list(changelist.result_list))
            self._audit(request, response, shown)
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        if original is not None:
            self._audit(request, response, [original])
        return response

    def history_view(self, request, object_id, extra_context=None):
        # The record's changes name it ("Filler 2027-02-08") and say what changed.
        response = super().history_view(request, object_id, extra_context)
        shown = (getattr(response, "context_data", None) or {}).get("object")
        if shown is not None:
            self._audit(request, response, [shown], page="history")
        return response

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The autocomplete shows what a list shows (each record's name).
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != "autocomplete" or not self.audits_list(request):
            return super().get_paginator(
                request, queryset, per_page, orphans, allow_empty_first_page
            )

        def shown(objects):
            clients = self.audited_client_ids(self.listed_with_health_data(objects))
            audit.audit_record(
                request,
                action=AuditEntry.Action.VIEW,
                what=self.audit_what,
                clients=[pk for pk in clients if pk is not None],
                via=audit.ADMIN,
                page="autocomplete",
            )

        return _AuditedPaginator(queryset, per_page, orphans, allow_empty_first_page, shown=shown)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RefuseNulMixin:
    """PostgreSQL refuses text with a NUL byte, and the admin hands list filter values to the
    database as they come: answer such a query with a 400, not a 500."""

    def changelist_view(self, request, extra_context=None):
        if any("\x00" in key + value for key, value in request.GET.items()):
            return HttpResponseBadRequest("Query parameters may not contain NUL characters.")
        return super().changelist_view(request, extra_context)


def visible_words(request) -> Vocabulary:
    """The words a user may pick in the admin: the defaults and those of the organisations
    where they hold a role (every organisation's for the superuser)."""
    ids = access.organisation_ids(request.user)
    rows = (
        Term.objects.all()
        if ids is None
        else Term.objects.filter(Q(organisation__isnull=True) | Q(organisation__in=ids))
    )
    return Vocabulary.of(
        Word(*row)
        for row in rows.order_by("position", "name").values_list(
            "vocabulary", "code", "name", "question", "sheet", "caution_days"
        )
    )


def term_filter(field: str, vocabulary: str, title: str):
    """A list filter offering the words the user may see, not the column's distinct values
    (which would read a whole table of health records)."""

    class TermFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return visible_words(request).choices(vocabulary)

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    TermFilter.title = title
    return TermFilter
