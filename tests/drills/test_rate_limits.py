"""Rate limits on booking, token and lookup endpoints, and the lock-out after repeated wrong
passwords. Limits are counted in the cache; when Redis does not answer, requests pass."""

from django.core.cache import caches
from rest_framework.test import APIClient

from bookings.models import Appointment
from tests import factories
from tests.helpers import assert_error

TOKEN = "/api/v1/auth/token/"


def booking(hour: int) -> dict:
    return {
        "treatment": "manual-facial-massage",
        "start": f"2027-03-02T{hour:02d}:00:00+00:00",
        "client": {"name": "Dana", "email": "dana@example.com"},
    }


def test_bookings_beyond_the_rate_are_429(world, api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "booking": "3/min"}

    answers = [
        api.post("/api/v1/appointments/", booking(h), format="json") for h in (9, 10, 11, 12)
    ]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]  # held: anonymous
    assert_error(answers[-1], 429, "throttled")
    assert Appointment.objects.count() == 3


def test_the_booking_pages_share_the_booking_limit(world, client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "booking": "2/min"}
    url = f"/book/{world.treatment.slug}/details/"
    form = {"start": "2027-03-02T10:00:00+00:00", "name": "Dana", "email": "dana@example.com"}

    answers = [client.post(url, form).status_code for _ in range(3)]

    assert answers[2] == 429
    assert "Please wait a moment" in client.post(url, form).content.decode()


def test_the_limit_is_per_caller(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "lookup": "1/min"}
    first, second = APIClient(REMOTE_ADDR="192.0.2.1"), APIClient(REMOTE_ADDR="192.0.2.2")

    assert first.get("/api/v1/appointments/NOSUCHREF/").status_code == 404
    assert first.get("/api/v1/appointments/NOSUCHREF/").status_code == 429
    assert second.get("/api/v1/appointments/NOSUCHREF/").status_code == 404


def test_a_limit_set_to_off_is_off(world, api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "search": None}

    for _ in range(5):
        response = api.get(
            "/api/v1/availability/",
            {"treatment": "manual-facial-massage", "from": "2027-03-02", "to": "2027-03-02"},
        )
        assert response.status_code == 200


def test_with_the_cache_down_bookings_still_succeed(world, api, settings):
    # A Redis that refuses connections: nothing listens on port 1.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "booking": "1/min"}

    answers = [api.post("/api/v1/appointments/", booking(h), format="json") for h in (9, 10)]

    assert [a.status_code for a in answers] == [202, 202]  # held: anonymous
    caches["default"].close()


def test_five_wrong_passwords_lock_the_account_out_of_the_token_endpoint(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": None}
    factories.StaffFactory(username="desk")  # password: pw-for-tests-1
    api = APIClient()

    wrong = [
        api.post(TOKEN, {"username": "desk", "password": "guess"}, format="json") for _ in range(5)
    ]
    right = api.post(TOKEN, {"username": "desk", "password": "pw-for-tests-1"}, format="json")

    assert {w.status_code for w in wrong[:4]} == {400}
    assert_error(right, 429, "too_many_attempts")
    assert "token" not in right.json()


def test_the_lock_out_is_for_that_account_only(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": None}
    factories.StaffFactory(username="desk")
    factories.StaffFactory(username="manager")
    api = APIClient()
    for _ in range(5):
        api.post(TOKEN, {"username": "desk", "password": "guess"}, format="json")

    response = api.post(TOKEN, {"username": "manager", "password": "pw-for-tests-1"}, format="json")

    assert response.status_code == 200
    assert response.json()["token"]


def test_the_admin_login_locks_out_too(world, client):
    factories.StaffFactory(username="desk")
    for _ in range(5):
        client.post("/admin/login/", {"username": "desk", "password": "guess"})

    response = client.post("/admin/login/", {"username": "desk", "password": "pw-for-tests-1"})

    assert response.status_code == 429


def test_spraying_one_password_over_many_usernames_locks_the_address_out(world, settings):
    """Issue 15: 30 usernames from one address were all answered. Now the address's wrong
    passwords count across usernames (AXES_ADDRESS_FAILURE_LIMIT, 20)."""
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": None}
    factories.StaffFactory(username="desk")
    sprayer = APIClient(REMOTE_ADDR="198.51.100.7")

    answers = [
        sprayer.post(TOKEN, {"username": f"user{n}", "password": "Spring2027!"}, format="json")
        for n in range(30)
    ]
    own = sprayer.post(TOKEN, {"username": "desk", "password": "pw-for-tests-1"}, format="json")
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.9").post(
        TOKEN, {"username": "desk", "password": "pw-for-tests-1"}, format="json"
    )

    codes = [answer.status_code for answer in answers]
    assert codes[:19] == [400] * 19  # wrong, and counted
    assert codes[19:] == [429] * 11  # the 20th reached the limit; refused from then on
    assert_error(answers[-1], 429, "too_many_attempts")
    assert_error(own, 429, "too_many_attempts")  # even a right password, from that address
    assert elsewhere.status_code == 200 and elsewhere.json()["token"]


# -- whose address: X-Forwarded-For is whatever the caller wants it to be --------------------


def forged(number: int) -> dict:
    """A caller on one address claiming a new one in X-Forwarded-For on every request (public
    addresses: a library that prefers public ones over private ones must not be fooled)."""
    return {"REMOTE_ADDR": "192.0.2.50", "HTTP_X_FORWARDED_FOR": f"81.2.69.{number + 10}"}


def test_a_forged_forwarded_for_does_not_escape_the_rate_limit(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "lookup": "1/min"}
    api = APIClient()

    answers = [api.get("/api/v1/appointments/NOSUCHREF/", **forged(n)) for n in range(3)]

    assert [a.status_code for a in answers] == [404, 429, 429]


def test_a_forged_forwarded_for_does_not_escape_the_lock_out(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": None}
    factories.StaffFactory(username="desk")
    api = APIClient()
    for n in range(5):
        api.post(TOKEN, {"username": "desk", "password": "guess"}, format="json", **forged(n))

    right = api.post(
        TOKEN, {"username": "desk", "password": "pw-for-tests-1"}, format="json", **forged(9)
    )

    assert_error(right, 429, "too_many_attempts")


def test_behind_one_proxy_the_client_is_the_address_the_proxy_added(world, settings):
    """PROXY_COUNT=1: the proxy appends the address it saw to whatever the caller sent."""
    settings.PROXY_COUNT = 1
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "lookup": "1/min"}
    api = APIClient()

    def via_proxy(claimed: str, client: str) -> int:
        return api.get(
            "/api/v1/appointments/NOSUCHREF/",
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"{claimed}, {client}",
        ).status_code

    assert via_proxy("198.51.100.1", "203.0.113.7") == 404
    assert via_proxy("198.51.100.2", "203.0.113.7") == 429  # the same client, whatever it claims
    assert via_proxy("198.51.100.1", "203.0.113.8") == 404  # another client behind the proxy
