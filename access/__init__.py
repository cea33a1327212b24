"""Who may see and do what: the one home of the rules every front end and service asks.

- Staff are active `is_staff` users with a role at a clinic (clinic.Membership; the roles'
  permissions are access/roles.py), and the installation's superuser. A staff account with
  no membership is not staff: it books as any member of the public would, and sees nothing.
- A permission is held at a clinic: `can(user, perm, clinic)`. Without a clinic, `can` asks
  whether it is held at any clinic (Django's `has_perm` answers the same, through
  MembershipBackend, for the admin).
- The clients of an organisation are seen by its front desk and managers (at any of its
  clinics); a practitioner sees only their own clients, and those come from the clinic's
  diary (`practitioner_clients`): never from a hold, nor from a booking they asked for
  themself as the public. Another organisation's clients are seen only by the
  installation's superuser.
- A client's health record is seen by the client themselves, signed in, and by staff who
  may see that client.
- An appointment is seen by staff of its clinic whose role shows the whole diary, and by its
  practitioner.
- Staff act by their role, never by a client's credentials: a manage token (or a manage
  link) a staff account presents gives it nothing its role does not (`may_change_appointment`),
  and no staff answer carries one (`gets_manage_token`).
"""

from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.functional import LazyObject, empty

from access.roles import ROLES
from bookings.models import DIARY_STATUSES, Appointment
from clinic.models import Client, Clinic, Practitioner
from clinic.prepared import Prepared, kept_cursor
from clinic.sql import columns, instances

USE = "clinic.use_workspace"
SEE_ALL_CLIENTS = "clinic.see_all_clients"
SEE_WHOLE_DIARY = "clinic.see_whole_diary"
BOOK = "clinic.book_for_clients"
RECORD_HEALTH = "clinic.record_health"
PERSONAL_DATA = "clinic.handle_personal_data"
VIEW_AUDIT = "clinic.view_auditentry"
OVERRIDE = "bookings.override_eligibility"
VIEW_RULES = "clinical.view_waitingrule"
CHANGE_RULES = "clinical.change_waitingrule"
OUTBOX = "aftercare.view_message"
SIGN_OFF = "bookings.sign_off_appointment"


@dataclass(frozen=True)
class Role:
    """One membership, as the checks read it."""

    clinic_id: int
    organisation_id: int
    role: str

    @property
    def permissions(self) -> frozenset[str]:
        return ROLES.get(self.role, frozenset())


def _itself(user):
    """The user behind Django's lazy request.user (a SimpleLazyObject) once it has been read,
    else `user` as given. Each attribute read through the lazy object is an AttributeError
    raised and caught on the way to the user, and the checks here read a few each, dozens
    of times a request: about 2% of a front-desk booking's web CPU in a sampling profile
    (bench/README.md, "Where the front desk's web CPU goes"), too little for a timed A/B to
    tell apart on the benchmark machine."""
    if isinstance(user, LazyObject) and user._wrapped is not empty:
        return user._wrapped
    return user


def roles_of(user) -> tuple[Role, ...]:
    """The user's memberships (read once per request and kept on the user)."""
    user = _itself(user)
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return ()
    if not hasattr(user, "_access_roles"):
        with kept_cursor() as cursor:
            cursor.execute(MEMBERSHIPS, [user.pk])
            user._access_roles = tuple(Role(*row) for row in cursor.fetchall())
    return user._access_roles


# A staff member's memberships, in Membership's order (its clinic's name, then the role).
# Written out: every staff request asks, and building and compiling the queryset cost more
# than running it.
# A Role's columns and the memberships' order, shared with UserBackend's read of the user.
ROLE_COLUMNS = "membership.clinic_id, clinic.organisation_id, membership.role"
ROLE_ORDER = "clinic.name, membership.role"
MEMBERSHIPS = f"""
SELECT {ROLE_COLUMNS}
  FROM clinic_membership membership
  JOIN clinic_clinic clinic ON clinic.id = membership.clinic_id
 WHERE membership.user_id = %s
 ORDER BY {ROLE_ORDER}
"""


def is_superuser(user) -> bool:
    user = _itself(user)
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def is_staff(user) -> bool:
    """Staff with a role somewhere (or the superuser): their bookings are the clinic's own,
    and the workspace is theirs."""
    return is_superuser(user) or bool(roles_of(user))


def is_staff_at(user, clinic) -> bool:
    """Staff of `clinic`: their bookings there are the clinic's own (short notice allowed,
    no cancellation window). Staff of another clinic book there as the public does."""
    return can(user, USE, clinic)


def _clinic_id(clinic) -> int | None:
    return getattr(clinic, "pk", clinic)


def can(user, permission: str, clinic=None) -> bool:
    """Holds `permission` at `clinic` (a Clinic or its id), or at any clinic when None."""
    if is_superuser(user):
        return True
    wanted = _clinic_id(clinic)
    return any(
        permission in role.permissions
        for role in roles_of(user)
        if wanted is None or role.clinic_id == wanted
    )


def clinic_ids(user, permission: str = USE) -> set[int] | None:
    """The clinics where the user holds `permission`; None for the superuser (all of them)."""
    if is_superuser(user):
        return None
    return {role.clinic_id for role in roles_of(user) if permission in role.permissions}


def clinics(user, permission: str = USE) -> QuerySet[Clinic]:
    """The clinics where the user holds `permission`, as a queryset to scope reads with."""
    ids = clinic_ids(user, permission)
    return Clinic.objects.all() if ids is None else Clinic.objects.filter(pk__in=ids)


def organisation_ids(user, permission: str = USE) -> set[int] | None:
    """The organisations of the clinics where the user holds `permission`; None for the
    superuser."""
    if is_superuser(user):
        return None
    return {role.organisation_id for role in roles_of(user) if permission in role.permissions}


def can_override(user, clinic=None) -> bool:
    """May book past a clinical rule that refuses, giving a reason, at `clinic`."""
    return can(user, OVERRIDE, clinic)


def is_client_self(user, client: Client | None) -> bool:
    """`user` is signed in as this client."""
    return bool(
        client is not None
        and user is not None
        and user.is_authenticated
        and client.user_id is not None
        and client.user_id == user.pk
    )


def practitioner_ids(user) -> list[int]:
    """The practitioner rows (one per clinic's diary) linked to this staff user."""
    if not roles_of(user):
        return []
    if not hasattr(user, "_access_practitioners"):
        user._access_practitioners = list(
            Practitioner.objects.filter(
                user=user, clinic_id__in=[role.clinic_id for role in roles_of(user)]
            ).values_list("pk", flat=True)
        )
    return user._access_practitioners


def practitioner_clients(user) -> QuerySet[Appointment]:
    """The appointments that make a client one of this practitioner's own: the clinic's
    diary with them, and nothing else.

    - at the clinic of one of their practitioner rows (a row is one clinic's diary, and
      `practitioner_ids` keeps only rows at clinics where they hold a role);
    - in a diary status (DIARY_STATUSES: confirmed, completed, no-show). A hold (HELD) or a
      hold that lapsed or was refused (EXPIRED) is an address's wish, not a booking, and a
      cancelled appointment is gone from the diary;
    - not one the practitioner asked for themself through the public path (created by
      them, channel online). Whoever holds no role that books at a clinic books there as
      the public does; were such a booking to count, a practitioner could make any
      address's owner "theirs" by booking them, and then read their record. Their
      bookings made with a role that books (channel staff) count: the clinic booked them.
    """
    if not roles_of(user):
        return Appointment.objects.none()
    return Appointment.objects.filter(
        practitioner_id__in=practitioner_ids(user),
        clinic_id=F("practitioner__clinic_id"),
        status__in=DIARY_STATUSES,
        client__isnull=False,
    ).exclude(created_by=user, channel=Appointment.Channel.ONLINE)


def _own_clients(user) -> Q:
    """Clients with an appointment of `practitioner_clients`."""
    return Q(Exists(practitioner_clients(user).filter(client_id=OuterRef("pk"))))


def visible_clients(user) -> QuerySet[Client]:
    """The clients this staff user may look up and whose health record they may see."""
    if is_superuser(user):
        return Client.objects.all()
    if not is_staff(user):
        return Client.objects.none()
    whole = organisation_ids(user, SEE_ALL_CLIENTS)
    return Client.objects.filter(Q(organisation_id__in=whole) | _own_clients(user))


def may_see_client(user, client: Client | None) -> bool:
    """Staff whose role shows them this client (the predicate of visible_clients)."""
    if client is None or not is_staff(user):
        return False
    if is_superuser(user):
        return True
    if client.organisation_id in organisation_ids(user, SEE_ALL_CLIENTS):
        return True
    return visible_clients(user).filter(pk=client.pk).exists()


def visible_client_ids(user, client_ids) -> set[int]:
    """Those of `client_ids` this staff user may see (may_see_client for many, one query)."""
    wanted = {pk for pk in client_ids if pk is not None}
    if not wanted:
        return set()
    return set(visible_clients(user).filter(pk__in=wanted).values_list("pk", flat=True))


def visible_among(user, clients) -> set[int]:
    """The ids of those of `clients` (Client instances already read, None skipped) this
    staff user may see: visible_client_ids, without its query for the clients of an
    organisation whose every client the user's role shows (the front desk's and manager's
    diary, issue 16); one query for the others."""
    clients = {client.pk: client for client in clients if client is not None}
    if not clients or not is_staff(user):
        return set()
    if is_superuser(user):
        return set(clients)
    whole = organisation_ids(user, SEE_ALL_CLIENTS)
    sure = {pk for pk, client in clients.items() if client.organisation_id in whole}
    return sure | visible_client_ids(user, clients.keys() - sure)


def may_see_record(user, client: Client | None) -> bool:
    """May learn what this client's health record says: the client signed in as
    themselves, or staff who may see them."""
    return is_client_self(user, client) or may_see_client(user, client)


def can_for_client(user, permission: str, client: Client) -> bool:
    """Holds `permission` at a clinic of the client's organisation (their record is
    shared by its clinics)."""
    if is_superuser(user):
        return True
    return any(
        permission in role.permissions and role.organisation_id == client.organisation_id
        for role in roles_of(user)
    )


def clinic_for_client(user, permission: str, client: Client) -> int | None:
    """The clinic, of the client's organisation, where the user acts with `permission` on
    them (the first of their memberships there; the client's home clinic for the
    superuser): the one the audit trail names for an action that came with no clinic."""
    if is_superuser(user):
        return client.home_clinic_id
    return next(
        (
            role.clinic_id
            for role in sorted(roles_of(user), key=lambda role: role.clinic_id)
            if permission in role.permissions and role.organisation_id == client.organisation_id
        ),
        None,
    )


def diary_of(user) -> Q:
    """The appointments this staff user may see, as a filter: the whole diary of the clinics
    where their role shows it, and their own appointments elsewhere."""
    if is_superuser(user):
        return Q()
    if not is_staff(user):
        return Q(pk__in=[])
    return Q(clinic_id__in=clinic_ids(user, SEE_WHOLE_DIARY)) | Q(
        practitioner_id__in=practitioner_ids(user)
    )


def may_see_appointment(user, appointment: Appointment) -> bool:
    """On this staff user's day sheet: the whole diary of its clinic, or a practitioner's
    own appointments."""
    if not is_staff(user):
        return False
    if can(user, SEE_WHOLE_DIARY, appointment.clinic_id):
        return True
    return appointment.practitioner_id in practitioner_ids(user)


def may_change_appointment(user, appointment: Appointment) -> bool:
    """May cancel or move this appointment, as far as a staff role goes: staff (a role
    somewhere, or the superuser) act by their role alone, which must book at the
    appointment's clinic. Anyone else (its client signed in, the holder of its manage
    token, an account in no role) is not judged here: their credential is the front end's
    to check, and the clinic's cancellation window binds them.

    Why a token gives staff nothing: the manage token is the client's key to their own
    booking. A staff account that presents one (leaked, read off a screen, or once handed
    out by an answer) is still that account, and what it does is recorded as done by the
    clinic (no cancellation window, the clinic's emails). Were the token to count, a
    practitioner, whose role does not cancel or move, could do both with any token they
    came by; so their role decides, token or not."""
    if not is_staff(user):
        return True
    return can(user, BOOK, appointment.clinic_id)


def may_sign_off(user, appointment: Appointment) -> bool:
    """May approve or decline the appointment's practitioner sign-off: a role that signs off
    at its clinic (practitioner, clinic manager) and has it on their day sheet (a
    practitioner: their own appointments)."""
    return can(user, SIGN_OFF, appointment.clinic_id) and may_see_appointment(user, appointment)


def gets_manage_token(user) -> bool:
    """Whether an answer about an appointment may carry its manage token to `user`: only
    the client's own answers do (the anonymous holder of the token, a client signed in),
    never staff's. Staff act by their role (`may_change_appointment`), so the token would
    give them nothing but a way to pass the client's key on."""
    return not is_staff(user)


def may_see_practitioner(user, practitioner_id: int) -> bool:
    """May see this practitioner's diary: the whole diary of their clinic, or their own."""
    if is_superuser(user):
        return True
    if practitioner_id in practitioner_ids(user):
        return True
    clinic_id = (
        Practitioner.objects.filter(pk=practitioner_id).values_list("clinic_id", flat=True).first()
    )
    return clinic_id is not None and can(user, SEE_WHOLE_DIARY, clinic_id)


def sheet_practitioner(user, clinic, requested_id: int | None) -> tuple[bool, int | None]:
    """Which practitioner's sheet of `clinic` this user gets when asking for `requested_id`
    (None: the whole clinic). Returns (allowed, practitioner id to show)."""
    if not can(user, USE, clinic):
        return False, None
    if can(user, SEE_WHOLE_DIARY, clinic):
        return True, requested_id
    own = Practitioner.objects.filter(pk__in=practitioner_ids(user), clinic=clinic).first()
    if own is None or requested_id not in (None, own.pk):
        return False, None
    return True, own.pk


class MembershipBackend(BaseBackend):
    """Django's permissions from the user's roles (access/roles.py), held at any of their
    clinics: the admin and `user.has_perm` read them here. Which clinic's rows a permission
    reaches is the admin's business (backoffice/admin/base.py), through `can` and
    `clinic_ids`. The superuser's permissions come from Django's own ModelBackend."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set().union(*(role.permissions for role in roles_of(user_obj)))

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))


class UserBackend(ModelBackend):
    """Django's ModelBackend (passwords; the superuser's permissions), whose signed-in user
    is read on each request by one written-out statement that brings their memberships
    (`roles_of`) too: that read, the memberships' and the queryset compiled for the user
    were three round trips and most of a staff request's CPU before its view (issue 16).

    Only the read differs: the user is the row as stored, refused when inactive
    (`user_can_authenticate`), and Django's get_user still checks the session against the
    password's hash, so a logout, a password change or a deactivation ends every session as
    it did. Elsewhere than PostgreSQL (the SQLite demo, whose raw rows are not converted as
    the ORM's are) the ORM reads it."""

    def get_user(self, user_id):
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        read, rows = _read_with_session.get(), None
        _read_with_session.set(None)
        if read is not None and read[0] == user_id:
            rows = read[1]
        else:
            with kept_cursor() as cursor:
                cursor.execute(user_query().sql(), {"user": user_id})
                rows = cursor.fetchall()
        if not rows:
            return None
        (user,) = instances(rows[0], get_user_model())
        first_role = len(get_user_model()._meta.concrete_fields)
        user._access_roles = tuple(
            Role(*row[first_role:]) for row in rows if row[first_role] is not None
        )
        return user if self.user_can_authenticate(user) else None


# The rows of user_query read in the round trip of this request's session (web/sessions.py
# SessionStore.load): (the user's id, the rows), taken by UserBackend.get_user if it is asked
# for that user next, instead of reading them again. Every load of a session sets or clears
# it, and get_user clears it, so it never outlives the request that read it.
_read_with_session: ContextVar[tuple[int, list] | None] = ContextVar(
    "read_with_session", default=None
)


def read_with_session(user_id: int | None, rows: list | None = None) -> None:
    """Hand UserBackend.get_user the rows of user_query for `user_id`, read with the session
    (None: nothing read with it)."""
    _read_with_session.set(None if user_id is None else (user_id, rows))


@cache
def user_query() -> Prepared:
    """The user by id, once per membership of theirs (in MEMBERSHIPS' order), or once with
    no membership; planned once per connection (clinic/prepared.py)."""
    meta, quote = get_user_model()._meta, connection.ops.quote_name
    statement = f"""
SELECT {columns(get_user_model(), "u")}, {ROLE_COLUMNS}
  FROM {quote(meta.db_table)} u
  LEFT JOIN clinic_membership membership ON membership.user_id = u.{quote(meta.pk.column)}
  LEFT JOIN clinic_clinic clinic ON clinic.id = membership.clinic_id
 WHERE u.{quote(meta.pk.column)} = %(user)s
 ORDER BY {ROLE_ORDER}
"""
    return Prepared(f"{meta.db_table}_with_memberships", statement, {"user": "bigint"})
