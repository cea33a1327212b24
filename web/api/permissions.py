"""DRF permission classes for the staff endpoints, over the access policy (access/)."""

from rest_framework.permissions import BasePermission

import access


class IsWorkspaceUser(BasePermission):
    """Staff in one of the roles of access/roles.py; a staff account with no role, a client
    or an anonymous caller gets 403."""

    def has_permission(self, request, view):
        return access.is_staff(request.user)


def role_permission(permission: str) -> type[BasePermission]:
    """A permission class for staff whose role holds `permission` (e.g. access.BOOK)."""

    class HasRolePermission(BasePermission):
        def has_permission(self, request, view):
            return access.can(request.user, permission)

    return HasRolePermission
