"""Issue 15, "Faults and attacks the drills did not try", items 8 and 10, as an attacker tried
them: one password sprayed over many usernames from one address; an API token kept after it
expired or after its owner changed their password; a staff account with no role booking as
the clinic; a booking's manage link used long after the visit, and read from an access log.
"""

import pytest
from django.test import Client as Browser

from tests import factories

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
