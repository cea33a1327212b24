"""A program signs a client in by code and reads their appointments: django-allauth's headless
API for apps under /_allauth/app/v1/ (only the endpoints of online/api/urls.py), its session
token in X-Session-Token (online/api/client_token.py), and GET /api/v1/me/appointments/
(online/api/me.py); docs/api.md "Clients signed in by code"."""

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client as Browser
from django.test import override_settings
from rest_framework.test import APIClient

from aftercare.models import Message
from clinic.services import client_get_or_create
from diary import services
from tests import factories
from tests.helpers import assert_error

LONDON = ZoneInfo("Europe/London")
AUTH = "/_allauth/app/v1/auth"
REQUEST = f"{AUTH}/code/request"
CONFIRM = f"{AUTH}/code/confirm"
SESSION = f"{AUTH}/session"
ME = "/api/v1/me/appointments/"


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def ask_for_code(email: str, **headers):
    return APIClient().post(REQUEST, {"email": email}, format="json", **headers)


def code_sent_to(email: str) -> str:
    return (
        Message.objects.filter(to=email, kind=Message.Kind.SIGN_IN_CODE).latest("pk").data["code"]
    )


def confirm(token: str, code: str):
    return APIClient().post(CONFIRM, {"code": code}, format="json", HTTP_X_SESSION_TOKEN=token)


def sign_in(email: str) -> str:
    """The whole flow: ask for a code, read it from the outbox, confirm it; the token."""
    pending = ask_for_code(email).json()["meta"]["session_token"]
    confirmed = confirm(pending, code_sent_to(email))
    assert confirmed.status_code == 200, confirmed.json()
    return confirmed.json()["meta"]["session_token"]


def me(token: str | None = None, api: APIClient | None = None):
    api = api or APIClient()
    headers = {"HTTP_X_SESSION_TOKEN": token} if token else {}
    return api.get(ME, **headers)


@pytest.fixture
def olivia(world):
    client, _ = client_get_or_create(clinic=world.clinic, name="Olivia Turner", email="o@ex.com")
    return client


@pytest.fixture
def visit(world, olivia):
    return services.appointment_book(
        treatment=world.treatment, start=at(date(2027, 3, 10), 10), client=olivia
    ).appointment


def test_a_client_signs_in_by_code_and_reads_their_appointments(visit):
    pending = ask_for_code("o@ex.com")
    assert pending.status_code == 401  # allauth's "not yet": the code flow is pending
    flows = {flow["id"]: flow for flow in pending.json()["data"]["flows"]}
    assert flows["login_by_code"]["is_pending"] is True

    token = sign_in("o@ex.com")
    response = me(token)

    assert response.status_code == 200
    [item] = response.json()["upcoming"]
    assert item["reference"] == visit.reference
    assert item["manage_token"] == visit.manage_token
    assert item["clinic"] == {"slug": "lumiere", "name": "Lumière", "phone": "020 7946 0000"}
    assert item["start"] == "2027-03-10T10:00:00+00:00"
    assert item["changeable_until"] == "2027-03-09T10:00:00+00:00"
    assert item["changeable"] is True
    assert response.json()["past"] == []


def test_the_token_moves_and_cancels_as_the_owning_client(visit):
    token = sign_in("o@ex.com")
    item = me(token).json()["upcoming"][0]

    # With the manage token the list gave, or as the signed-in owner with none.
    shown = APIClient().get(
        f"/api/v1/appointments/{item['reference']}/", HTTP_X_SESSION_TOKEN=token
    )
    cancelled = APIClient().post(
        f"/api/v1/appointments/{item['reference']}/cancel/",
        {"reason": "Away"},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )

    assert shown.status_code == 200 and shown.json()["reference"] == visit.reference
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    listed = me(token).json()
    assert listed["upcoming"] == [] and listed["past"][0]["status"] == "cancelled"


def test_three_wrong_codes_end_the_attempt(olivia):
    pending = ask_for_code("o@ex.com").json()["meta"]["session_token"]
    code = code_sent_to("o@ex.com")
    wrong = "000000" if code != "000000" else "111111"

    answers = [confirm(pending, wrong) for _ in range(3)]
    late = confirm(pending, code)  # the right code, too late

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert answers[0].json()["errors"][0]["code"] == "incorrect_code"
    assert late.status_code == 409  # no code is pending any more: ask for a new one
    assert "session_token" not in late.json().get("meta", {})
    assert_error(me(pending), 403, "not_authenticated")


def test_an_unknown_address_gets_the_same_answer_as_a_client(olivia):
    known = ask_for_code("o@ex.com")
    unknown = ask_for_code("nobody@ex.com")

    def shape(response):
        body = json.loads(response.content)
        body["meta"]["session_token"] = "<token>"
        return response.status_code, body

    assert shape(known) == shape(unknown)
    assert Message.objects.filter(to="nobody@ex.com", kind=Message.Kind.NO_ACCOUNT).exists()
    assert not Message.objects.filter(to="nobody@ex.com", kind=Message.Kind.SIGN_IN_CODE).exists()
    # No code exists for it, so nothing can be confirmed: every guess is "incorrect".
    token = unknown.json()["meta"]["session_token"]
    assert confirm(token, "123456").json()["errors"][0]["code"] == "incorrect_code"


def test_codes_are_rate_limited_per_address_and_per_ip(olivia):
    answers = [ask_for_code("o@ex.com", REMOTE_ADDR=f"10.0.0.{n}") for n in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 400]
    assert answers[3].json()["errors"][0]["code"] == "too_many_login_attempts"
    assert Message.objects.filter(to="o@ex.com", kind=Message.Kind.SIGN_IN_CODE).count() == 3

    many = [ask_for_code(f"a{n}@ex.com", REMOTE_ADDR="10.9.9.9") for n in range(11)]
    assert [a.status_code for a in many].count(400) == 1 and many[-1].status_code == 400


def test_without_a_valid_token_there_is_no_client(olivia):
    pending = ask_for_code("o@ex.com").json()["meta"]["session_token"]

    assert_error(me(), 403, "not_authenticated")
    assert_error(me(pending), 403, "not_authenticated")  # asked for a code, never confirmed
    assert_error(me("not-a-session"), 403, "authentication_failed")


def test_signing_out_ends_the_token(olivia):
    token = sign_in("o@ex.com")

    APIClient().delete(SESSION, HTTP_X_SESSION_TOKEN=token)

    assert_error(me(token), 403, "authentication_failed")


def test_only_the_code_endpoints_of_allauth_are_there(world):
    for path in (f"{AUTH}/login", f"{AUTH}/signup", "/_allauth/app/v1/account/email"):
        response = APIClient().post(path, {"email": "x@ex.com"}, format="json")
        assert_error(response, 404, "not_found")
    assert APIClient().get("/_allauth/browser/v1/config").status_code == 404


def test_each_client_reads_only_their_own(world, visit):
    north = factories.ClinicFactory(slug="north", name="North")
    client_get_or_create(clinic=north, name="Olivia T", email="o@ex.com")
    priya, _ = client_get_or_create(clinic=world.clinic, name="Priya", email="p@ex.com")
    hers = services.appointment_book(
        treatment=world.treatment, start=at(date(2027, 3, 12), 12), client=priya
    ).appointment

    olivia_sees = me(sign_in("o@ex.com")).json()
    priya_sees = me(sign_in("p@ex.com")).json()

    assert [a["reference"] for a in olivia_sees["upcoming"]] == [visit.reference]
    assert [a["reference"] for a in priya_sees["upcoming"]] == [hers.reference]
    assert hers.manage_token not in str(olivia_sees) and visit.manage_token not in str(priya_sees)


def test_staff_have_no_client_space_and_no_session_token(world):
    desk = factories.StaffFactory(username="dee")
    api = APIClient()
    api.force_authenticate(desk)
    assert_error(me(api=api), 404, "not_found")

    # A staff member's own page session, sent as a session token, signs nobody in.
    browser = Browser()
    browser.force_login(desk)
    assert_error(me(browser.session.session_key), 403, "authentication_failed")

    # Even with an address row (added by hand in the admin), a code signs no staff in.
    EmailAddress.objects.create(user=desk, email=desk.email, primary=True)
    pending = ask_for_code(desk.email).json()["meta"]["session_token"]
    confirmed = confirm(pending, code_sent_to(desk.email))
    assert confirmed.status_code == 401 and confirmed.json()["meta"]["is_authenticated"] is False
    assert "session_token" not in confirmed.json()["meta"]


def test_allauth_counts_addresses_as_the_rest_of_the_site_does():
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.PROXY_COUNT


@override_settings(PROXY_COUNT=1, ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_the_per_ip_limit_counts_the_address_our_proxy_saw(olivia):
    """Behind one proxy, each caller is the address it appended: one caller's limit is not
    everyone's, and a caller cannot dodge theirs by writing X-Forwarded-For entries."""
    first = [
        ask_for_code(f"b{n}@ex.com", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 1.1.1.1") for n in range(11)
    ]
    other = ask_for_code("c@ex.com", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")

    assert first[-1].status_code == 400 and first[-2].status_code == 401
    assert other.status_code == 401


@override_settings(PROXY_COUNT=2, ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_a_request_that_bypassed_a_proxy_is_counted_by_its_connection_not_a_500(olivia):
    """allauth's own reading of X-Forwarded-For raises on a header shorter than the proxy
    count; the adapter reads it by the site's rule (clinic/addresses.py)."""
    answer = ask_for_code("b@ex.com", HTTP_X_FORWARDED_FOR="6.6.6.6")

    assert answer.status_code == 401  # asked: a code is on its way if the address is known
    assert Message.objects.filter(to="b@ex.com").exists()
