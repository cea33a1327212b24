"""Signing in by a code sent to the email (django-allauth's login by code, online/accounts.py,
clinic/identity.py): every client has a login from their first booking; the code goes out
through the outbox and is wiped once sent; an unknown address is told so by email, and the
page answers exactly as for a client; a staff account is never reached by a code."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.test import Client as Browser

from aftercare.models import Message
from aftercare.services import sms_opt_in
from clinic.identity import client_login
from clinic.models import Client, SmsConsentSource
from clinic.services import client_get_or_create
from tests import factories
from tests.helpers import send_one

SIGN_IN = "/account/sign-in/"
CODE = "/account/sign-in/code/"


@pytest.fixture
def olivia(world):
    client, _ = client_get_or_create(
        clinic=world.clinic, name="Olivia Turner", email="Olivia.Turner@example.com"
    )
    return client


def ask_for_code(browser: Browser, email: str):
    return browser.post(SIGN_IN, {"email": email})


def code_sent_to(email: str) -> Message:
    return Message.objects.get(to__iexact=email, kind=Message.Kind.SIGN_IN_CODE)


def test_a_client_has_a_login_from_their_first_booking(olivia, world):
    assert olivia.user is not None
    assert not olivia.user.has_usable_password() and not olivia.user.is_staff
    address = EmailAddress.objects.get(user=olivia.user)
    assert address.email == "olivia.turner@example.com" and not address.verified
    other = factories.ClinicFactory(slug="elsewhere")  # another organisation, same person
    there, created = client_get_or_create(
        clinic=other, name="Olivia T", email="olivia.turner@EXAMPLE.com"
    )
    assert created and there.pk != olivia.pk
    assert there.user_id == olivia.user_id  # one login for both records


def test_a_client_signs_in_with_the_code_sent_to_them(olivia):
    browser = Browser()

    response = ask_for_code(browser, "olivia.turner@example.com")

    assert response.status_code == 302 and response.url == CODE
    message = code_sent_to("olivia.turner@example.com")
    code = message.data["code"]
    assert re.fullmatch(r"[0-9]{6}", code)
    response = browser.post(CODE, {"code": code})
    assert response.status_code == 302
    assert int(browser.session[SESSION_KEY]) == olivia.user_id
    assert EmailAddress.objects.get(user=olivia.user).verified  # the address is proven now


def test_a_wrong_code_does_not_sign_in_and_three_end_the_attempt(olivia):
    browser = Browser()
    ask_for_code(browser, "olivia.turner@example.com")
    code = code_sent_to("olivia.turner@example.com").data["code"]

    for _ in range(3):
        browser.post(CODE, {"code": "000000" if code != "000000" else "111111"})
    response = browser.post(CODE, {"code": code})  # the right one, too late

    assert SESSION_KEY not in browser.session
    assert response.status_code in (200, 302)


def test_an_unknown_address_gets_the_same_page_and_an_email_saying_so(olivia):
    known = ask_for_code(Browser(), "olivia.turner@example.com")
    unknown = ask_for_code(Browser(), "nobody@example.com")

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert not Message.objects.filter(kind=Message.Kind.SIGN_IN_CODE, to="nobody@example.com")
    assert Message.objects.filter(kind=Message.Kind.NO_ACCOUNT, to="nobody@example.com").exists()
    assert not EmailAddress.objects.filter(email="nobody@example.com").exists()


def test_a_staff_account_is_never_reached_by_a_code(world):
    desk = factories.StaffFactory(username="dee", email="dee@clinic.example.com")
    ask_for_code(Browser(), "dee@clinic.example.com")
    assert Message.objects.get(to="dee@clinic.example.com").kind == Message.Kind.NO_ACCOUNT

    # Even given an address row (by hand, in the admin), the code does not sign them in.
    EmailAddress.objects.create(user=desk, email="dee@clinic.example.com", primary=True)
    browser = Browser()
    ask_for_code(browser, "dee@clinic.example.com")
    code = code_sent_to("dee@clinic.example.com").data["code"]
    browser.post(CODE, {"code": code})

    assert SESSION_KEY not in browser.session


def test_a_client_login_is_never_a_staff_account(world):
    factories.StaffFactory(username="dee", email="dee@clinic.example.com")

    login = client_login("dee@clinic.example.com")

    assert not login.is_staff and login.username != "dee"


def test_the_code_goes_out_by_email_and_is_then_forgotten(olivia, inbox):
    ask_for_code(Browser(), "olivia.turner@example.com")
    message = code_sent_to("olivia.turner@example.com")
    code = message.data["code"]
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)

    assert send_one(message.pk) == Message.Status.SENT

    [received] = inbox.for_outbox(message.pk)
    assert received["To"] == "olivia.turner@example.com"
    assert code in received["Subject"] and code in received.get_body(("plain",)).get_content()
    message.refresh_from_db()
    assert message.data == {}


def test_a_client_who_agreed_to_texts_also_gets_the_code_by_sms(olivia, world, twilio):
    """Their choice of SMS (issue 21): the code by text too, once per number, wiped once
    sent; the email goes as ever. A client who did not agree gets no text."""
    Client.objects.filter(pk=olivia.pk).update(phone="+447911123456")
    sms_opt_in(client=Client.objects.get(pk=olivia.pk), source=SmsConsentSource.CLIENT_SPACE)
    other = factories.ClinicFactory(slug="elsewhere")  # her record at another business
    there, _ = client_get_or_create(
        clinic=other, name="Olivia T", email="olivia.turner@example.com", phone="+447911123456"
    )
    sms_opt_in(client=there, source=SmsConsentSource.CLIENT_SPACE)
    factories.ClientFactory(clinic=world.clinic, email="noah@example.com", phone="+447911123457")

    ask_for_code(Browser(), "olivia.turner@example.com")
    ask_for_code(Browser(), "noah@example.com")

    email = code_sent_to("olivia.turner@example.com")
    [text] = Message.objects.filter(channel=Message.Channel.SMS)
    assert text.kind == Message.Kind.SIGN_IN_CODE and text.data["code"] == email.data["code"]
    Message.objects.filter(pk=text.pk).update(status=Message.Status.SENDING)
    outcome = send_one(text.pk)
    text.refresh_from_db()
    assert outcome == Message.Status.SENT, text.last_error
    [sent] = twilio.sent
    assert sent.to == "+447911123456"
    assert f"Your sign-in code is {email.data['code']}." in sent.body
    assert "STOP" not in sent.body
    text.refresh_from_db()
    assert text.data == {}  # the code is no use now
