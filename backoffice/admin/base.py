"""What the admin modules share: the clinic's time zone on its pages, the audit of health
data shown, read-only inlines, and a clean 400 for NUL bytes in a list's query."""

import zoneinfo
from typing import ClassVar

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.template.response import SimpleTemplateResponse
from django.utils import timezone

from clinic import audit
from clinic.models import AuditEntry, Clinic


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
    staff API (clinic/audit.py, via "admin"): a list page records a view for each client
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
                via=audit.ADMIN,
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
