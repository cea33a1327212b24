"""One client's booking against everyone else (issue 8's authorization matrix for the booking
endpoints): client B, anonymous callers and staff without a role can neither read, move nor
cancel client A's booking, and get 404 as if it did not exist; guessing references or manage
tokens finds nothing. Staff endpoints (complete, no-show) are 403 for every non-staff caller,
whatever the reference. The staff pages and staff API are in test_permissions.py.
"""

import secrets
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from bookings.models import REFERENCE_ALPHABET, Appointment
from diary.services import appointment_book
from tests import factories
from tests.helpers import logged_in
from tests.workspace.conftest import PERSONAS, TODAY, london

# What each caller gets for client A's booking: the client is A (olivia), client_b another
# client with a login; pat is the practitioner (who may see A's bookings, not move them).
EXPECTED = {
    "anonymous": {"read": 404, "move": 404, "cancel": 404, "complete": 403, "no-show": 403},
    "client": {"read": 200, "move": 200, "cancel": 200, "complete": 403, "no-show": 403},
    "client_b": {"read": 404, "move": 404, "cancel": 404, "complete": 403, "no-show": 403},
    "norole": {"read": 404, "move": 404, "cancel": 404, "complete": 403, "no-show": 403},
    "desk": {"read": 200, "move": 200, "cancel": 200, "complete": 409, "no-show": 409},
    "pat": {"read": 200, "move": 403, "cancel": 403, "complete": 409, "no-show": 409},
    "mia": {"read": 200, "move": 200, "cancel": 200, "complete": 409, "no-show": 409},
}
ACTIONS = ["read", "move", "cancel", "complete", "no-show"]


@pytest.fixture
def client_b(cast):
    return factories.ClientFactory(
        clinic=cast.world.clinic,
        user=factories.UserFactory(username="clara"),
        name="Clara Client",
        email="clara@example.com",
    )


@pytest.fixture
def a_booking(cast):
    """Client A's booking three days ahead, outside the cancellation window."""
    return appointment_book(
        treatment=cast.world.treatment,
        start=london(TODAY + timedelta(days=3), 14),
        client=cast.olivia,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    ).appointment


def api_for(cast, client_b, persona: str) -> APIClient:
    user = client_b.user if persona == "client_b" else cast.users[persona]
    return logged_in(user) if user else APIClient()


def act(api, reference: str, action: str, cast):
    url = f"/api/v1/appointments/{reference}/"
    if action == "read":
        return api.get(url)
    body = {}
    if action == "move":
        start = london(TODAY + timedelta(days=4), 14)
        body = {"start": start.isoformat(), "acknowledge_warnings": True}
    path = {"move": "reschedule"}.get(action, action)
    return api.post(f"{url}{path}/", body, format="json")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", [*PERSONAS, "client_b"])
def test_who_may_do_what_with_client_as_booking(cast, client_b, a_booking, persona, action):
    before = Appointment.objects.values("status", "start").get(pk=a_booking.pk)

    response = act(api_for(cast, client_b, persona), a_booking.reference, action, cast)

    assert response.status_code == EXPECTED[persona][action], response.content[:300]
    body = response.content.decode()
    if response.status_code in (403, 404):
        # Refused: nothing changed, and nothing of A's booking or record is in the answer.
        assert Appointment.objects.values("status", "start").get(pk=a_booking.pk) == before
        for secret in ("Olivia", "olivia", "cheeks", a_booking.manage_token):
            assert secret not in body


def test_client_b_guessing_references_finds_nothing_and_is_slowed_down(cast, client_b, a_booking):
    api = logged_in(client_b.user)
    reference = a_booking.reference
    guesses = {f" {reference}", f"{reference}X", reference[:-1]}
    guesses |= {
        "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(len(reference)))
        for _ in range(200)
    }
    guesses.discard(reference)

    # A's own reference, in another case (references are read in any case): still A's.
    assert act(api, reference.lower(), "read", cast).status_code == 404
    answers = [
        act(api, guess, action, cast).status_code
        for guess in guesses
        for action in ("read", "cancel")
    ]

    # Never found, never told it exists (403); the lookup and booking limits cut the
    # guessing short with 429 well before 400 tries.
    assert set(answers) == {404, 429}
    assert answers.count(404) < len(answers) / 2
    assert Appointment.objects.get(pk=a_booking.pk).status == Appointment.Status.CONFIRMED


@pytest.mark.parametrize("persona", ["anonymous", "client_b", "desk"])
def test_a_manage_link_with_a_guessed_token_is_404_for_everyone(cast, client_b, a_booking, persona):
    api = api_for(cast, client_b, persona)
    token = a_booking.manage_token
    forged = [token[:-1] + ("A" if token[-1] != "A" else "B"), secrets.token_urlsafe(32), ""]

    answers = {
        api.get(f"/booking/{a_booking.reference}/{guess}/").status_code for guess in forged if guess
    }
    answers |= {
        api.get(f"/api/v1/appointments/{a_booking.reference}/", {"token": guess}).status_code
        for guess in forged
        if persona != "desk"  # staff may read it anyway; the token is not what lets them
    }

    assert answers == {404}
    assert api.get(f"/booking/{a_booking.reference}/{token}/").status_code == 200
