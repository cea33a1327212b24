"""The staff's API token (`Authorization: Token <key>`, from POST /api/v1/auth/token/): REST
framework's token, with two limits it lacks. A token lasts API_TOKEN_DAYS from when it was
issued; asking for one then gives a new key. A password change deletes the user's tokens, as
Django's own sessions end with it: whoever had the old password may also have the token.

Its own module, imported by REST framework's settings (DEFAULT_AUTHENTICATION_CLASSES): it
must not import REST framework's views.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from web.sessions import possible_key


def token_expired(token: Token) -> bool:
    return token.created <= timezone.now() - timedelta(days=settings.API_TOKEN_DAYS)


def token_for(user) -> Token:
    """The user's token, or a new one if theirs expired (one token a user: REST framework's)."""
    with transaction.atomic():
        token, created = Token.objects.select_for_update().get_or_create(user=user)
        if not created and token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
    return token


class ExpiringTokenAuthentication(TokenAuthentication):
    """REST framework's token authentication, refusing a token older than API_TOKEN_DAYS
    (403 `authentication_failed`, as any token that is not valid: docs/api.md)."""

    def authenticate_credentials(self, key):
        if not possible_key(key):  # refused as any unknown key, before the look-up
            raise AuthenticationFailed("Invalid token.")
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed(
                "This token has expired: ask for a new one (POST /api/v1/auth/token/)."
            )
        return user, token


def tokens_forget_on_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """pre_save of the user model (connected in online/apps.py): a signal, because a password
    changes in many places (the admin's form, `manage.py changepassword`, the shell), and each
    ends in the user's save. Django re-hashing an unchanged password at sign-in also counts;
    the next request for a token then simply gets a new one."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. last_login at every sign-in: no query
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        Token.objects.filter(user_id=instance.pk).delete()
