"""The client token the API accepts: the session token django-allauth's headless API hands
out once the code emailed to the address is confirmed (POST /_allauth/app/v1/auth/code/request,
then .../code/confirm; docs/api.md "Clients signed in by code"). A program sends it in
`X-Session-Token`, and allauth's own DRF authentication reads it.

Two things differ from allauth's defaults, so the API keeps its own contract (docs/api.md): a
token that is not valid is a 403 `authentication_failed`, as a bad `Authorization: Token` is,
never silently anonymous and never a 401; and a staff account is never signed in by it (staff
cannot sign in by code at all, and the session of a staff member signed in on the pages, sent
as a header, would skip the CSRF check their cookie gets).

Its own module, imported by REST framework's settings (DEFAULT_AUTHENTICATION_CLASSES): it
must not import REST framework's views.
"""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

import access


class ClientSessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's X-Session-Token authentication, for clients only."""

    allow_invalid_session_tokens = False

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, session = found
        if user.is_staff or user.is_superuser or access.is_staff(user):
            raise AuthenticationFailed("Staff sign in with a password, not a session token.")
        return user, session

    def authenticate_header(self, request):
        # No WWW-Authenticate challenge: the API answers missing or bad credentials with a
        # 403, never a 401 (docs/api.md "Errors").
        return None
