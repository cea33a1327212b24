"""Writing the audit trail: one AuditEntry per client whose health data a request showed or
changed. The workspace views and the staff API call `audit_record` after their permission
check, before they answer, so nothing is shown that was not recorded.
"""

from collections.abc import Iterable

from clinic.addresses import client_ip
from clinic.models import AuditEntry

USER_AGENT_LENGTH = AuditEntry._meta.get_field("user_agent").max_length
PATH_LENGTH = AuditEntry._meta.get_field("path").max_length

# What was seen or changed, as the trail names it.
CLIENT_PAGE = "client page"
INJECTABLES = "injectables"
DECLARATIONS = "declarations"
ELIGIBILITY = "eligibility"
DAY_SHEET = "day sheet cautions"
DAY_LIST = "day list cautions"
APPOINTMENT = "appointment cautions"
PERSONAL_DATA = "all personal data"


def audit_record(
    request,
    *,
    action: str,
    what: str,
    clients: Iterable,
    via: str = "workspace",
    **details,
) -> None:
    """Record that `request.user` did `action` (AuditEntry.Action) on `what` of each of
    `clients` (Client instances or ids), in one query."""
    client_ids = list(dict.fromkeys(getattr(c, "pk", c) for c in clients))
    if not client_ids:
        return
    user = request.user if request.user.is_authenticated else None
    common = {
        "user": user,
        "username": user.get_username() if user else "",
        "action": action,
        "what": what,
        "via": via,
        "path": request.get_full_path()[:PATH_LENGTH],
        "ip": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        "details": details,
    }
    AuditEntry.objects.bulk_create(AuditEntry(client_id=pk, **common) for pk in client_ids)


def audit_api(request, *, action: str, what: str, clients: Iterable, **details) -> None:
    audit_record(request, action=action, what=what, clients=clients, via="api", **details)


def audit_override(request, appointment, *, via: str = "workspace") -> None:
    """Staff booked `appointment` past a clinical rule: the override joins the trail."""
    if appointment.override_reason:
        audit_record(
            request,
            action=AuditEntry.Action.OVERRIDE,
            what=APPOINTMENT,
            clients=[appointment.client_id],
            via=via,
            reference=appointment.reference,
            reason=appointment.override_reason,
        )
