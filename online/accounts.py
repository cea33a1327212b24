"""Clients sign in with a one-time code sent to their email, through django-allauth's login
by code; this adapter is where the site differs from allauth's defaults:

- no sign-up: a login exists for every client from their first booking (clinic/identity.py);
  an address with none is told so by email ("no bookings under this address"), and the
  page says the same thing for both, so it tells nobody whether an address is a client's;
- the emails go through the outbox like every other (aftercare.services.account_message),
  words in sending/content.py; a client who agreed to texts also gets the code by SMS;
- a staff account never signs in by code, even if it has an allauth address row: staff
  sign in with their password at /staff/login/, where the lock-out applies.
"""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect

import access
from aftercare.models import Message
from aftercare.planning import plan_sms
from aftercare.services import account_message
from clinic.addresses import client_ip
from clinic.identity import client_login
from clinic.models import Client

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"

MESSAGE_OF_TEMPLATE = {
    "account/email/login_code": Message.Kind.SIGN_IN_CODE,
    "account/email/unknown_account": Message.Kind.NO_ACCOUNT,
}


class ClientAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        kind = MESSAGE_OF_TEMPLATE.get(template_prefix)
        if kind is None:  # nothing else is switched on; never send what nobody wrote
            raise ValueError(f"No message is written for {template_prefix!r}.")
        data = {"code": context["code"]} if kind == Message.Kind.SIGN_IN_CODE else {}
        account_message(kind=kind, to=email, data=data)
        if kind == Message.Kind.SIGN_IN_CODE:
            text_the_code(email, code=context["code"])

    def get_client_ip(self, request) -> str:
        """The address the rate limits count, by the project's one rule (PROXY_COUNT):
        allauth's own raises, a 500, on a forwarded header shorter than the proxy count."""
        return client_ip(request) or "unknown"

    def pre_login(self, request, user, **kwargs):
        if user.is_staff or user.is_superuser or access.is_staff(user):
            clear_login(request)
            messages.error(request, "Staff sign in with their password on the staff pages.")
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)


def text_the_code(email: str, *, code: str) -> int:
    """The code by text message too, to the owner of `email` where they agreed to texts
    (their choice of SMS: aftercare.planning.plan_sms checks it, the number and the Twilio
    keys), one text per number however many clinics' records share it. The email goes
    whatever happens: a number can change hands. Returns how many texts were planned."""
    texted: set[str] = set()
    for client in Client.objects.filter(email__iexact=email.strip(), sms_opted_in=True).order_by(
        "pk"
    ):
        if client.phone in texted:
            continue
        if plan_sms(
            client=client,
            kind=Message.Kind.SIGN_IN_CODE,
            key=f"{Message.Kind.SIGN_IN_CODE}:{uuid.uuid4().hex}",
            data={"code": code, "minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60},
        ):
            texted.add(client.phone)
    return len(texted)


def login_for_address(request, email: str):
    """Sign in the owner of `email`, who has just proved it (they opened a link sent there
    and confirmed): the login of that address, made if new, its address now verified."""
    user = client_login(email)
    EmailAddress.objects.filter(user=user, email__iexact=email.strip()).update(verified=True)
    if request.user.is_authenticated and request.user.pk == user.pk:
        return user
    login(request, user, backend=BACKEND)
    return user
