"""The audit trail in the admin, read-only: entries are written by clinic/audit.py only."""

from django.contrib import admin
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import F, Q
from django.utils.html import format_html_join

from backoffice.admin.base import ScopedAdmin
from backoffice.admin.lists import DateRangeFilter, IndexedSearchMixin
from clinic import audit
from clinic.models import AuditEntry, AuditSubject
from records.selectors import AnyOf

# Up to this many clients found, their entries are matched by one bitmap over the entries'
# own indexes (AuditEntryAdmin.client_match).
FEW_CLIENTS = 20


class ChoicesFilter(admin.SimpleListFilter):
    """A filter on a text field with the values the code writes, named here: Django's own
    filter for a field without choices reads the whole table for them (SELECT DISTINCT)."""

    field: str
    values: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.values]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class WhatFilter(ChoicesFilter):
    title = field = "what"
    parameter_name = "what__exact"  # as Django's own filter named it
    values = (
        audit.CLIENT_PAGE,
        audit.INJECTABLES,
        audit.DECLARATIONS,
        audit.ELIGIBILITY,
        audit.DAY_SHEET,
        audit.DAY_LIST,
        audit.APPOINTMENT,
        audit.APPOINTMENT_FLAGS,
        audit.MESSAGE_DATA,
        audit.PERSONAL_DATA,
    )


class ViaFilter(ChoicesFilter):
    title = field = "via"
    parameter_name = "via__exact"
    values = (audit.WORKSPACE, audit.API, audit.ADMIN, audit.PAGES, audit.SYSTEM)


@admin.register(AuditEntry)
class AuditEntryAdmin(IndexedSearchMixin, ScopedAdmin):
    """Managers read the trail of their clinics; entries of no clinic (a command, the
    client themselves) only the installation's superuser."""

    list_display = ("at", "username", "action", "what", "shown", "via", "ip")
    list_filter = (("at", DateRangeFilter), "action", ViaFilter, WhatFilter)
    list_select_related = ("client",)
    search_fields = ("username", "client__name", "client__email", "ip")
    search_client = "client"
    search_username = True
    search_ip = True
    ordering = ("-at", "-pk")  # audit_at_id
    readonly_fields = [f.name for f in AuditEntry._meta.fields] + ["clients_listed"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(listed=audit.listed_count())

    def client_match(self, client_ids):
        """The entries of a view of one of them, and of the lists that showed them. For a
        few clients, on PostgreSQL, as `client_id IN (...) OR id = ANY(ARRAY(the lists'
        entry ids))`: one BitmapOr over the entries' client and primary key indexes, each
        entry read once (as privacy/export.py reads a client's trail). The ids as a subquery
        (clinic/audit.py `entries_about`) read the client's own entries twice, through a
        hash of both halves: ~2,000 entries for the bench's long client, 12 ms against 2 for
        the count and 13 against 3 for the page. Not for many clients: an array of
        thousands, tested against each entry of a walk down the date index, would cost
        more than the hash."""
        if (
            connection.vendor != "postgresql"
            or not isinstance(client_ids, list)
            or len(client_ids) > FEW_CLIENTS
        ):
            return audit.entries_about(client_ids)
        if not client_ids:
            return Q(pk__in=[])
        listed = AuditSubject.objects.filter(client__in=client_ids).order_by().values("entry_id")
        return Q(client__in=client_ids) | AnyOf(F("pk"), ArraySubquery(listed))

    @admin.display(description="client")
    def shown(self, entry):
        if entry.client_id is not None:
            return entry.client
        return f"a list of {entry.listed} clients" if entry.listed else "-"

    @admin.display(description="clients listed")
    def clients_listed(self, entry):
        """The clients a list showed, by id and name, on the entry's own page."""
        clients = [s.client for s in entry.subjects.select_related("client").order_by("client")]
        return format_html_join(", ", "{} ({})", ((c.name, c.pk) for c in clients)) or "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
