"""The clinic's payment policies: its own and its treatments' (money/models.py). Clinic
managers edit their clinics'; what is due for each event is money/due.py's to say. The calls
to the card provider, read-only."""

from django.contrib import admin
from django.utils.text import Truncator

from backoffice.admin.base import ScopedAdmin
from money.models import PaymentPolicy, ProviderCall


@admin.register(PaymentPolicy)
class PaymentPolicyAdmin(ScopedAdmin):
    list_display = (
        "clinic",
        "treatment",
        "deposit",
        "deposit_value",
        "late_cancel_fee",
        "late_cancel_value",
        "no_show_fee",
        "no_show_value",
    )
    list_select_related = ("clinic", "treatment")
    list_filter = (("clinic", admin.RelatedOnlyFieldListFilter),)
    fieldsets = (
        (None, {"fields": ("clinic", "treatment")}),
        ("Deposit", {"fields": ("deposit", "deposit_value", "deposit_online", "deposit_staff")}),
        (
            "Late cancellation",
            {"fields": ("late_cancel_window_hours", "late_cancel_fee", "late_cancel_value")},
        ),
        ("No-show", {"fields": ("no_show_fee", "no_show_value")}),
    )


@admin.register(ProviderCall)
class ProviderCallAdmin(ScopedAdmin):
    """The calls to the card provider, read-only (money/provider.py makes and records them;
    the workspace's payment problems page tries one again or settles it): managers read
    their clinics', filtered by status."""

    list_display = (
        "created_at",
        "kind",
        "status",
        "for_what",
        "amount",
        "currency",
        "attempts",
        "error",
        "done_at",
    )
    list_filter = ("status", "kind")
    list_select_related = ("appointment", "client_course")
    ordering = ("-created_at", "-pk")
    readonly_fields = [f.name for f in ProviderCall._meta.fields]

    @admin.display(description="for", ordering="appointment__reference")
    def for_what(self, call):
        return call.about  # an appointment's reference, or a course bought online

    @admin.display(description="last error")
    def error(self, call):
        return Truncator(call.last_error).chars(120) or "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
