"""Issue 15, "Faults and attacks the drills did not try", items 8 and 10, as an attacker tried
them: one password sprayed over many usernames from one address; an API token kept after it
expired or after its owner changed their password; a staff account with no role booking as
the clinic; a booking's manage link used long after the visit, and read from an access log.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bookings.models import Appointment
from diary import services
from tests import factories
from tests.conftest import NOW
from tests.helpers import assert_error, booking_form, logged_in

SPRAYER = "198.51.100.7"


# -- Password spraying ---------------------------------------------------------------------


def test_spraying_the_staff_sign_in_page_locks_the_address_out(world):
    factories.StaffFactory(username="desk")  # password: pw-for-tests-1
    sprayer = Browser(REMOTE_ADDR=SPRAYER)

    answers = [
        sprayer.post("/staff/login/", {"username": f"user{n}", "password": "Spring2027!"})
        for n in range(30)
    ]
    own = sprayer.post("/staff/login/", {"username": "desk", "password": "pw-for-tests-1"})
    desk = Browser(REMOTE_ADDR="203.0.113.9")
    elsewhere = desk.post("/staff/login/", {"username": "desk", "password": "pw-for-tests-1"})

    codes = [answer.status_code for answer in answers]
    assert codes[:19] == [200] * 19  # the form again, "wrong username or password"
    assert codes[19:] == [429] * 11
    assert "locked" in answers[-1].content.decode().lower()
    assert own.status_code == 429 and "_auth_user_id" not in sprayer.session
    assert elsewhere.status_code == 302 and desk.session["_auth_user_id"]


def test_a_clinic_behind_one_address_survives_a_few_typos(world):
    """The address's limit is well above the account's: staff sharing an office address are
    not locked out together by each other's typos."""
    for name in ("desk", "manager", "nurse"):
        factories.StaffFactory(username=name)
    office = Browser(REMOTE_ADDR="192.0.2.10")
    for name in ("desk", "manager", "nurse"):
        for _ in range(3):
            office.post("/staff/login/", {"username": name, "password": "typo"})

    response = office.post("/staff/login/", {"username": "nurse", "password": "pw-for-tests-1"})

    assert response.status_code == 302


@pytest.fixture(autouse=True)
def _no_token_throttle(settings):
    """The token endpoint's own rate limit is another test's subject."""
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": None}


# -- API tokens ----------------------------------------------------------------------------

TOKEN = "/api/v1/auth/token/"
CLIENTS = "/api/v1/clients/"


def token_of(username: str) -> str:
    answer = APIClient().post(
        TOKEN, {"username": username, "password": "pw-for-tests-1"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    return answer.json()["token"]


def with_token(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_token_stops_working_after_api_token_days(world, settings):
    settings.API_TOKEN_DAYS = 30
    factories.StaffFactory(username="desk")
    key = token_of("desk")
    assert with_token(key).get(CLIENTS, {"q": "dana"}).status_code == 200

    with time_machine.travel(NOW + timedelta(days=30, seconds=1), tick=False):
        late = with_token(key).get(CLIENTS, {"q": "dana"})
        fresh = token_of("desk")
        again = with_token(fresh).get(CLIENTS, {"q": "dana"})

    assert_error(late, 403, "authentication_failed")
    assert "expired" in late.json()["detail"]
    assert fresh != key and again.status_code == 200


def test_a_token_still_works_the_day_before_it_expires(world, settings):
    settings.API_TOKEN_DAYS = 30
    factories.StaffFactory(username="desk")
    key = token_of("desk")

    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        assert with_token(key).get(CLIENTS, {"q": "dana"}).status_code == 200
        assert token_of("desk") == key  # the same token until it expires


def test_a_password_change_ends_the_token(world):
    desk = factories.StaffFactory(username="desk")
    key = token_of("desk")

    desk.set_password("a-new-password-2027")
    desk.save()
    response = with_token(key).get(CLIENTS, {"q": "dana"})

    assert_error(response, 403, "authentication_failed")
    assert not Token.objects.filter(key=key).exists()


def test_a_password_changed_in_the_admin_ends_the_token(world, client):
    desk = factories.StaffFactory(username="desk")
    key = token_of("desk")
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))

    changed = client.post(
        f"/admin/auth/user/{desk.pk}/password/",
        {"password1": "a-new-password-2027", "password2": "a-new-password-2027"},
    )
    response = with_token(key).get(CLIENTS, {"q": "dana"})

    assert changed.status_code == 302
    assert_error(response, 403, "authentication_failed")


def test_signing_in_on_the_pages_keeps_the_token(world):
    """Saving the user for anything but its password (last_login at every sign-in) is no
    password change."""
    factories.StaffFactory(username="desk")
    key = token_of("desk")

    Browser().post("/staff/login/", {"username": "desk", "password": "pw-for-tests-1"})

    assert with_token(key).get(CLIENTS, {"q": "dana"}).status_code == 200


# -- A staff account in no role books as the public ------------------------------------------

SIX_MONTHS_AHEAD = datetime(2027, 9, 1, 9, tzinfo=UTC)  # a Wednesday, past max_advance_days
SOON = datetime(2027, 3, 1, 9, tzinfo=UTC)  # an hour from NOW: inside the minimum notice


@pytest.fixture
def norole(world):
    return factories.StaffFactory(username="norole", roles=[], email="norole@example.com")


@pytest.mark.parametrize("start", [SIX_MONTHS_AHEAD, SOON], ids=["six-months-ahead", "soon"])
def test_no_role_books_through_the_api_as_the_public(world, norole, start):
    api = logged_in(norole)

    answers = [
        api.post(
            "/api/v1/appointments/",
            {"treatment": world.treatment.slug, "start": start.isoformat(), "client": who},
            format="json",
        )
        for who in (
            {"name": "Dana", "email": "dana@example.com"},
            {"name": "No Role", "email": "norole@example.com"},
        )
    ]
    slots = api.get(
        "/api/v1/availability/",
        {"treatment": world.treatment.slug, "from": start.date(), "to": start.date()},
    )

    for answer in answers:
        assert_error(answer, 409, "slot_unavailable")
    assert start.isoformat() not in [slot["start"] for slot in slots.json()["slots"]]
    assert not Appointment.objects.exists()


def test_no_role_books_through_the_pages_as_the_public(world, norole, client):
    client.force_login(norole)
    form = booking_form(SIX_MONTHS_AHEAD)

    client.post(reverse("online:details", args=[world.treatment.slug]), form)
    response = client.post(
        reverse("online:confirm", args=[world.treatment.slug]), form, follow=True
    )

    assert not Appointment.objects.exists()
    assert "Manual facial massage" in response.content.decode()
    assert response.redirect_chain and "/sorry/" in response.redirect_chain[-1][0]


def test_the_front_desk_still_books_as_the_clinic(world):
    desk = factories.StaffFactory(username="desk")
    client = factories.ClientFactory(clinic=world.clinic, email="dana@example.com")

    answer = logged_in(desk).post(
        "/api/v1/appointments/",
        {"treatment": world.treatment.slug, "start": SOON.isoformat(), "client_id": client.pk},
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    assert Appointment.objects.get().channel == Appointment.Channel.STAFF


# -- Manage links: they expire, and access logs never hold them ----------------------------


@pytest.fixture
def visit(world):
    erin = factories.ClientFactory(clinic=world.clinic, email="erin@example.com")
    return services.appointment_book(
        treatment=world.treatment, start=datetime(2027, 3, 4, 10, tzinfo=UTC), client=erin
    ).appointment


def manage_url(appointment, view="online:manage") -> str:
    return reverse(view, args=[appointment.reference, appointment.manage_token])


@pytest.mark.parametrize("view", ["manage", "confirmed", "ics", "cancel", "reschedule"])
def test_the_manage_link_expires_manage_link_days_after_the_visit(world, visit, client, view):
    url = manage_url(visit, f"online:{view}")
    last_day = visit.end + timedelta(days=30) - timedelta(seconds=1)

    with time_machine.travel(last_day, tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(last_day + timedelta(seconds=1), tick=False):
        expired = client.get(url)

    assert expired.status_code == 410
    words = expired.content.decode()
    assert "This link has expired" in words and reverse("account_login") in words
    assert visit.reference not in words and "erin@example.com" not in words


def test_an_expired_manage_link_cancels_nothing(world, visit, client):
    with time_machine.travel(visit.end + timedelta(days=31), tick=False):
        response = client.post(manage_url(visit, "online:cancel"), {"reason": "Away"})

    assert response.status_code == 410
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CONFIRMED


def test_the_api_refuses_an_expired_manage_token(world, visit, api):
    path = f"/api/v1/appointments/{visit.reference}/"
    with time_machine.travel(visit.end + timedelta(days=31), tick=False):
        expired = api.get(path, {"token": visit.manage_token})
        wrong = api.get(path, {"token": "x" * 27})

    body = assert_error(expired, 410, "link_expired")
    assert "erin@example.com" not in str(body) and "start" not in body
    assert_error(wrong, 404, "not_found")


def test_a_wrong_token_is_still_not_found(world, visit, client):
    response = client.get(manage_url(visit).replace(visit.manage_token, "x" * 27))

    assert response.status_code == 404


def test_the_access_log_holds_no_token(world, visit, caplog, settings):
    """The web server's access line (web/access_log.py, around the whole site in
    config/wsgi.py) for each URL that carries a token."""
    from web.access_log import AccessLog

    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    logged = AccessLog(app)
    manage = manage_url(visit).removeprefix(settings.SITE_URL.rstrip("/"))
    with caplog.at_level("INFO", logger="web.access"):
        for path, query in [
            (manage, ""),
            (f"/api/v1/appointments/{visit.reference}/", f"token={visit.manage_token}&x=1"),
            (f"/hold/{visit.reference}/{visit.hold_link_token()}/", ""),
            ("/aftercare/unsubscribe/12:abcDEF_-123/", ""),
        ]:
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "192.0.2.1",
            }
            logged(environ, lambda status, headers, exc_info=None: None)

    log = "\n".join(record.getMessage() for record in caplog.records)
    assert len(caplog.records) == 4
    assert visit.manage_token not in log
    assert visit.hold_link_token() not in log and "abcDEF_-123" not in log
    assert f"/booking/{visit.reference}/[token]/" in log  # still says which booking
    assert "token=[token]&x=1" in log
