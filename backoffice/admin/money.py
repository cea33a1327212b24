"""The clinic's payment policies: its own and its treatments' (money/models.py). Clinic
managers edit their clinics'; what is due for each event is money/due.py's to say."""

from django.contrib import admin

from backoffice.admin.base import ScopedAdmin
from money.models import PaymentPolicy


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
