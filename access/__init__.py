"""Who may see and do what, for the workspace pages and the staff API alike (the role table
is in workspace/roles.py).

Every check starts from `is_workspace_user`: an active `is_staff` user holding the
workspace permission through a role group. Practitioners without `see_all_clients` are
limited to their own clients: those with an appointment, not cancelled, with the
practitioner linked to them (Practitioner.user).
"""

from django.db.models import Exists, OuterRef, QuerySet

from bookings.models import Appointment, Status
from clinic.models import Client, Practitioner

USE = "clinic.use_workspace"
SEE_ALL_CLIENTS = "clinic.see_all_clients"
SEE_WHOLE_DIARY = "clinic.see_whole_diary"
BOOK = "clinic.book_for_clients"
RECORD_HEALTH = "clinic.record_health"
PERSONAL_DATA = "clinic.handle_personal_data"
VIEW_AUDIT = "clinic.view_auditentry"
OVERRIDE = "bookings.override_eligibility"
VIEW_RULES = "clinical.view_waitingrule"


def is_workspace_user(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(USE)
    )


def can(user, permission: str) -> bool:
    return is_workspace_user(user) and user.has_perm(permission)


def practitioner_of(user) -> Practitioner | None:
    """The practitioner this user is, if any (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_workspace_practitioner"):
        user._workspace_practitioner = Practitioner.objects.filter(user=user).first()
    return user._workspace_practitioner


def _own_appointments(user) -> QuerySet[Appointment]:
    practitioner = practitioner_of(user)
    if practitioner is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(practitioner=practitioner).exclude(status=Status.CANCELLED)


def visible_clients(user) -> QuerySet[Client]:
    """The clients this user may look up and whose health record they may see."""
    if not is_workspace_user(user):
        return Client.objects.none()
    if user.has_perm(SEE_ALL_CLIENTS):
        return Client.objects.all()
    return Client.objects.filter(Exists(_own_appointments(user).filter(client_id=OuterRef("pk"))))


def may_see_client(user, client: Client | None) -> bool:
    if client is None or not is_workspace_user(user):
        return False
    if user.has_perm(SEE_ALL_CLIENTS):
        return True
    return _own_appointments(user).filter(client=client).exists()


def may_record_health(user, client: Client) -> bool:
    return can(user, RECORD_HEALTH) and may_see_client(user, client)


def may_see_appointment(user, appointment: Appointment) -> bool:
    """On this user's day sheet: the whole diary, or a practitioner's own appointments."""
    if not is_workspace_user(user):
        return False
    if user.has_perm(SEE_WHOLE_DIARY):
        return True
    practitioner = practitioner_of(user)
    return practitioner is not None and appointment.practitioner_id == practitioner.pk


def sheet_practitioner(user, requested_id: int | None) -> tuple[bool, int | None]:
    """Which practitioner's sheet this user gets when asking for `requested_id` (None: the
    whole clinic). Returns (allowed, practitioner id to show)."""
    if not is_workspace_user(user):
        return False, None
    if user.has_perm(SEE_WHOLE_DIARY):
        return True, requested_id
    practitioner = practitioner_of(user)
    if practitioner is None or requested_id not in (None, practitioner.pk):
        return False, None
    return True, practitioner.pk
