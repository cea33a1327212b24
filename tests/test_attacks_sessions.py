"""A stolen staff session cookie, replayed: refused once its session has ended, whatever
ended it (a logout, a password change, a deactivation, the account deleted, its expiry),
and never worth more than the staff member's roles of the moment. The session and the user
are read by written-out statements (web/sessions.py, access.UserBackend): these say they
still end sessions as Django's own reads did."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import access
from clinic.models import Membership
from tests import factories
from web import sessions

PASSWORD = "pw-for-tests-1"  # tests/factories.py UserFactory's


@pytest.fixture
def desk(world):
    return factories.StaffFactory(username="desk", clinics=[world.clinic])


def _signed_in(desk) -> Client:
    browser = Client()
    response = browser.post("/staff/login/", {"username": desk.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return browser


def _stolen(browser: Client) -> Client:
    """Another browser holding a copy of `browser`'s session cookie."""
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[settings.SESSION_COOKIE_NAME]
    return thief


def _is_in(browser: Client) -> bool:
    response = browser.get("/staff/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_signing_in_by_password_records_the_written_out_users_backend(world, desk):
    browser = _signed_in(desk)

    session = Session.objects.get(pk=browser.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.get_decoded()[BACKEND_SESSION_KEY] == "access.UserBackend"
    assert _is_in(browser) and _is_in(_stolen(browser))


def test_a_staff_request_reads_its_session_and_its_user_with_roles_in_two_statements(world, desk):
    browser = _signed_in(desk)

    with CaptureQueriesContext(connection) as queries:
        assert _is_in(browser)

    sql = [q["sql"] for q in queries]
    session_read = sessions._read_query(Session)
    # Written out: the stored data alone, not the ORM's select of every column.
    assert session_read.statement.startswith('SELECT "session_data" FROM "django_session"')
    assert len([q for q in sql if session_read.sent_in(q)]) == 1, sql
    assert not [q for q in sql if q.startswith('SELECT "django_session"')], sql  # the ORM's
    # The user with their memberships, in one statement: no read of the memberships alone.
    (user_read,) = [q for q in sql if access.user_query().sent_in(q)]
    assert "clinic_membership membership" in access.user_query().statement
    assert not [q for q in sql if q is not user_read and "clinic_membership membership" in q]


def test_the_roles_read_with_the_user_are_those_read_alone_in_the_same_order(world, desk):
    other = factories.ClinicFactory(organisation=world.clinic.organisation, name="Aardvark")
    Membership.objects.create(user=desk, clinic=other, role=Membership.Role.MANAGER)
    read_alone = access.roles_of(type(desk).objects.get(pk=desk.pk))

    with_user = access.roles_of(access.UserBackend().get_user(desk.pk))

    assert with_user == read_alone
    assert [role.clinic_id for role in with_user] == [other.pk, world.clinic.pk]


def test_a_logged_out_session_is_refused(world, desk):
    browser = _signed_in(desk)
    thief = _stolen(browser)

    browser.post("/staff/logout/")

    assert not _is_in(thief)


def test_a_password_change_ends_every_other_session(world, desk):
    browser = _signed_in(desk)
    thief = _stolen(browser)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value

    desk.set_password("a-new-password-2027")
    desk.save()

    assert not _is_in(thief)
    assert not Session.objects.filter(pk=key).exists()  # flushed, not just refused


def test_a_deactivated_staff_members_session_is_refused(world, desk):
    thief = _stolen(_signed_in(desk))

    type(desk).objects.filter(pk=desk.pk).update(is_active=False)

    assert not _is_in(thief)


def test_a_deleted_accounts_session_is_refused(world, desk):
    thief = _stolen(_signed_in(desk))

    Membership.objects.filter(user=desk).delete()
    desk.delete()

    assert not _is_in(thief)


def test_an_expired_session_is_refused(world, desk):
    browser = _signed_in(desk)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value

    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    assert not _is_in(browser)


def test_a_role_taken_away_counts_from_the_next_request(world, desk):
    browser = _signed_in(desk)
    assert _is_in(browser)

    Membership.objects.filter(user=desk).delete()

    assert browser.get("/staff/").status_code == 403


FORGED_KEYS = ["abcdefgh\x00ijklmnop", "ABC'; SELECT 1;--xyz", "é" * 32, "k" * 4096]


@pytest.mark.parametrize("key", FORGED_KEYS)
def test_a_forged_session_key_or_api_token_is_refused_not_an_error(world, key):
    """A cookie, X-Session-Token or API token no session or token could have (a NUL byte
    PostgreSQL refuses in a statement, quotes, letters outside ASCII, a huge one) is read as
    none: the staff pages send the visitor to sign in and the APIs refuse it as any unknown
    token (403 authentication_failed), never a 500."""
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = key
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/staff/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not [q for q in queries if "django_session" in q["sql"] and "\x00" in q["sql"]]
    answer = Client().get("/api/v1/me/appointments/", HTTP_X_SESSION_TOKEN=key)
    assert answer.status_code == 403, answer.content
    assert answer.json()["code"] == "authentication_failed"
    staff_api = Client().get("/api/v1/appointments/", HTTP_AUTHORIZATION=f"Token {key}")
    assert staff_api.status_code == 403, staff_api.content
    assert staff_api.json()["code"] == "authentication_failed"


# A session whose key this process has read before is read with its user, in one round trip
# (web/sessions.py, `_users_by_key`): it ends as every other session does.


def _known(browser: Client, user) -> Client:
    """`browser`, its session read once already, so that this process knows whose it is."""
    assert _is_in(browser)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert sessions._users_by_key[key] == user.pk
    return browser


def test_a_known_sessions_request_reads_its_user_in_the_sessions_round_trip(world, desk):
    browser = _known(_signed_in(desk), desk)

    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/staff/")

    assert response.status_code == 200 and response.wsgi_request.user.pk == desk.pk
    sql = [q["sql"] for q in queries]
    (read,) = [q for q in sql if sessions._read_query(Session).sent_in(q)]
    assert access.user_query().sent_in(read), read  # the user with the session
    assert [q for q in sql if access.user_query().sent_in(q)] == [read], sql
    assert access.roles_of(response.wsgi_request.user) == access.roles_of(
        type(desk).objects.get(pk=desk.pk)
    )


def _log_out(browser, desk):
    browser.post("/staff/logout/")


def _change_password(browser, desk):
    desk.set_password("a-new-password-2027")
    desk.save()


def _deactivate(browser, desk):
    type(desk).objects.filter(pk=desk.pk).update(is_active=False)


def _delete(browser, desk):
    Membership.objects.filter(user=desk).delete()
    desk.delete()


def _expire(browser, desk):
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))


@pytest.mark.parametrize("ending", [_log_out, _change_password, _deactivate, _delete, _expire])
def test_a_known_session_ends_as_any_other(world, desk, ending):
    browser = _known(_signed_in(desk), desk)
    thief = _stolen(browser)

    ending(browser, desk)

    assert not _is_in(thief)


def test_a_wrong_guess_of_whose_session_it_is_reads_the_right_user(world, desk):
    other = factories.StaffFactory(username="other", clinics=[world.clinic])
    browser = _signed_in(desk)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    sessions._users_by_key[key] = other.pk  # as if the key were the other's

    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/staff/")

    assert response.status_code == 200 and response.wsgi_request.user.pk == desk.pk
    reads = [q["sql"] for q in queries if access.user_query().sent_in(q["sql"])]
    assert len(reads) == 2, reads  # the guess, read with the session and left; then desk
    assert sessions._users_by_key[key] == desk.pk


def test_a_user_read_with_a_session_is_never_used_by_another_request(world, desk):
    """What a session's read hands the user backend lasts until the next read of a session
    or of a user: a stale hand-off (here: no such user) is cleared by the next session read."""
    browser = _known(_signed_in(desk), desk)
    access.read_with_session(desk.pk, [])  # left over, as if from another request

    assert _is_in(browser)
    assert access._read_with_session.get() is None  # taken by this request's get_user
    assert _is_in(_known(_signed_in(desk), desk))
