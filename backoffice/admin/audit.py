"""The audit trail in the admin, read-only: entries are written by clinic/audit.py only."""

from django.contrib import admin

from backoffice.admin.base import ScopedAdmin
from clinic.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdmin):
    """Managers read the trail of their clinics; entries of no clinic (a command, the
    client themselves) only the installation's superuser."""

    list_display = ("at", "username", "action", "what", "client", "via", "ip")
    list_filter = ("action", "via", "what")
    list_select_related = ("client",)
    search_fields = ("username", "client__name", "client__email", "ip")
    date_hierarchy = "at"
    ordering = ("-at", "-pk")
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
