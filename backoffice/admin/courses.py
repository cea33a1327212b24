"""The courses a clinic sells (courses/models.py): clinic managers edit their clinics'
offers, as they edit the rest of the catalogue. What clients bought is seen on the client's
page in the workspace (audited there), not here."""

from django.contrib import admin

from backoffice.admin.base import ScopedAdmin
from courses.models import CourseOffer


@admin.register(CourseOffer)
class CourseOfferAdmin(ScopedAdmin):
    list_display = (
        "name",
        "clinic",
        "treatment",
        "category",
        "sessions",
        "price",
        "currency",
        "validity",
        "validity_unit",
        "active",
    )
    list_select_related = ("clinic", "treatment")
    list_filter = (("clinic", admin.RelatedOnlyFieldListFilter), "active")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("clinic", "name", "active")}),
        ("What it is for", {"fields": ("treatment", "category", "sessions")}),
        ("Price and validity", {"fields": ("price", "currency", "validity", "validity_unit")}),
        ("Late cancellation and no-show", {"fields": ("late_cancel_burns", "no_show_burns")}),
    )
