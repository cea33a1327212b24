"""Who may see and do what: the one home of the rules every front end and service asks.

- Staff are active `is_staff` users whose role (access/roles.py) lets them use the
  workspace. A staff account in no role is not staff here: it books as any member of the
  public would, and sees nothing.
- Practitioners without `see_all_clients` see only their own clients: those with an
  appointment, not cancelled, with the practitioner linked to them (Practitioner.user).
- A client's health record is seen by the client themselves, signed in, and by staff who
  may see that client.
"""

from django.db.models import Exists, OuterRef, QuerySet

from bookings.models import Appointment
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


def is_staff(user) -> bool:
    """Staff in a role: their bookings are the clinic's own, and the workspace is theirs."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(USE)
    )


def can(user, permission: str) -> bool:
    return is_staff(user) and user.has_perm(permission)


def can_override(user) -> bool:
    """May book past a clinical rule that refuses, giving a reason."""
    return can(user, OVERRIDE)


def is_client_self(user, client: Client | None) -> bool:
    """`user` is signed in as this client."""
    return bool(
        client is not None
        and user is not None
        and user.is_authenticated
        and client.user_id is not None
        and client.user_id == user.pk
    )


def practitioner_of(user) -> Practitioner | None:
    """The practitioner this user is, if any (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_access_practitioner"):
        user._access_practitioner = Practitioner.objects.filter(user=user).first()
    return user._access_practitioner


def _own_appointments(user) -> QuerySet[Appointment]:
    practitioner = practitioner_of(user)
    if practitioner is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(practitioner=practitioner).exclude(
        status=Appointment.Status.CANCELLED
    )


def visible_clients(user) -> QuerySet[Client]:
    """The clients this staff user may look up and whose health record they may see."""
    if not is_staff(user):
        return Client.objects.none()
    if user.has_perm(SEE_ALL_CLIENTS):
        return Client.objects.all()
    return Client.objects.filter(Exists(_own_appointments(user).filter(client_id=OuterRef("pk"))))


def may_see_client(user, client: Client | None) -> bool:
    """Staff whose role shows them this client (the predicate of visible_clients)."""
    if client is None or not is_staff(user):
        return False
    if user.has_perm(SEE_ALL_CLIENTS):
        return True
    return _own_appointments(user).filter(client=client).exists()


def may_see_record(user, client: Client | None) -> bool:
    """May learn what this client's health record says: the client signed in as
    themselves, or staff who may see them."""
    return is_client_self(user, client) or may_see_client(user, client)


def may_see_appointment(user, appointment: Appointment) -> bool:
    """On this staff user's day sheet: the whole diary, or a practitioner's own
    appointments."""
    if not is_staff(user):
        return False
    if user.has_perm(SEE_WHOLE_DIARY):
        return True
    practitioner = practitioner_of(user)
    return practitioner is not None and appointment.practitioner_id == practitioner.pk


def sheet_practitioner(user, requested_id: int | None) -> tuple[bool, int | None]:
    """Which practitioner's sheet this user gets when asking for `requested_id` (None: the
    whole clinic). Returns (allowed, practitioner id to show)."""
    if not is_staff(user):
        return False, None
    if user.has_perm(SEE_WHOLE_DIARY):
        return True, requested_id
    practitioner = practitioner_of(user)
    if practitioner is None or requested_id not in (None, practitioner.pk):
        return False, None
    return True, practitioner.pk
