"""What every workspace page's frame shows: the clinic looked at, the clinics to switch to,
the staff member's role there, and which of the managers' pages their role opens."""

import access
from clinic.models import Membership
from money import problems


def workspace(request) -> dict:
    clinic = getattr(request, "clinic", None)
    if clinic is None:  # not a workspace page (role_required sets it)
        return {}
    user = request.user
    return {
        "workspace": {
            "clinic": clinic,
            "clinics": request.clinics,
            "role": dict(Membership.Role.choices).get(_role_at(user, clinic), "Superuser"),
            "may_see_rules": access.can(user, access.VIEW_RULES, clinic),
            "may_see_audit": access.can(user, access.VIEW_AUDIT, clinic),
            "may_see_outbox": access.can(user, access.OUTBOX, clinic),
            "may_book": access.can(user, access.BOOK, clinic),
            # Payment problems (workspace/views/problems.py): the desk's and the managers'.
            "may_see_payment_problems": problems.may_see(user, clinic),
            "may_record": access.can(user, access.RECORD_HEALTH, clinic),
            "may_recall": access.can(user, access.SEE_ALL_CLIENTS, clinic)
            and access.can(user, access.RECORD_HEALTH, clinic),
        }
    }


def _role_at(user, clinic) -> str | None:
    """The user's role at `clinic`, from the memberships read with the user (access.roles_of:
    no query of its own), or None. A superuser who is not staff has no roles there, and their
    membership, if any, is read."""
    roles = access.roles_of(user)
    if roles:
        return next((role.role for role in roles if role.clinic_id == clinic.pk), None)
    return (
        Membership.objects.filter(user=user, clinic=clinic).values_list("role", flat=True).first()
    )
