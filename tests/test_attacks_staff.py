"""Issue 14, "Practitioners escaping their limits", as an attacker tried it: a practitioner
who may not see a client booked them through the public API by email, which made the client
"theirs", then read their declarations; the staff API handed out `manage_token`, with which
they cancelled although their role cannot.

The cast is tests/organisations.py's: the attacker is Alpha's practitioner ("mallory" below,
the user of Alpha Practitioner); the victim is Blake Bramley, a client of the same
organisation whose home is Beta, with filler and a declaration on record and no appointment
with Alpha's practitioner, so not theirs to see.
"""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.test import Client as Browser
from rest_framework.test import APIClient

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER
from bookings.models import Appointment, BookingRequest
from clinic.identity import client_login, client_login_link
from clinic.models import Client
from clinical.models import HealthDeclaration, InjectableRecord
from diary.holds import hold_confirm
from tests.conftest import default_rules
from tests.helpers import assert_error, logged_in
from tests.organisations import VISIT_DAY, make_group

ATTACK_DAY = VISIT_DAY + timedelta(days=1)  # Friday 5 March 2027


@pytest.fixture
def group(db, frozen_now):
    default_rules()
    return make_group()


@pytest.fixture
def mallory(group):
    return group.alpha.staff[PRACTITIONER]


@pytest.fixture
def victim(group):
    return client_login_link(group.beta.client)


def at(branch, day, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=branch.clinic.tzinfo).isoformat()


def record_of(client) -> dict:
    """Everything on a client's record and who they are, to compare before and after."""
    return {
        "client": Client.objects.filter(pk=client.pk).values().get(),
        "injectables": list(InjectableRecord.objects.filter(client=client).values()),
        "declarations": list(HealthDeclaration.objects.filter(client=client).values()),
    }


def book_as_the_public(api, group, victim):
    """Mallory books the victim with Alpha's practitioner (themself) through the public API,
    declaring a pacemaker in the victim's name."""
    return api.post(
        "/api/v1/appointments/",
        {
            "treatment": group.alpha.treatment.slug,
            "start": at(group.alpha, ATTACK_DAY, 14),
            "practitioner": group.alpha.practitioner.pk,
            "client": {"name": victim.name, "email": victim.email, "phone": "07911 123999"},
            "health": {"conditions": ["pacemaker"]},
            "acknowledge_warnings": True,
        },
        format="json",
    )


def assert_victim_hidden(api, browser, group, victim) -> None:
    """Every staff address that shows a client or their health data answers as if the
    victim did not exist."""
    base = f"/api/v1/clients/{victim.pk}"
    for path in ("injectables/", "declarations/"):
        assert_error(api.get(f"{base}/{path}"), 404, "not_found")
    assert_error(
        api.get(f"{base}/eligibility/", {"treatment": group.alpha.treatment.slug}),
        404,
        "not_found",
    )
    assert_error(
        api.post(f"{base}/declarations/", {"condition": "epilepsy"}, format="json"),
        404,
        "not_found",
    )
    found = api.get("/api/v1/clients/", {"q": victim.email})
    assert found.status_code == 200
    assert victim.pk not in [c["id"] for c in found.json()]
    searched = api.get(
        "/api/v1/availability/",
        {
            "treatment": group.alpha.treatment.slug,
            "from": ATTACK_DAY.isoformat(),
            "to": ATTACK_DAY.isoformat(),
            "client": victim.pk,
        },
    )
    assert_error(searched, 400, "invalid_input")
    assert browser.get(f"/staff/clients/{victim.pk}/").status_code == 404
    looked_up = browser.get("/staff/clients/", {"q": victim.email})
    assert looked_up.status_code == 200
    assert f"/staff/clients/{victim.pk}/" not in looked_up.content.decode()


def answers_without_tokens(response) -> dict | list:
    """The body, checked to carry no `manage_token` key and no appointment's token."""
    body = response.content.decode()
    assert "manage_token" not in body, body[:300]
    for token in (a.manage_token for a in Appointment.objects.all()):
        assert token not in body
    return response.json()


# -- (a) a booking through the public API does not make the client theirs --------------------


def test_a_practitioner_booking_by_email_gets_no_token_and_no_client(group, mallory, victim):
    api, browser = logged_in(mallory), Browser()
    browser.force_login(mallory)
    before = record_of(victim)
    clients_before = Client.objects.count()

    response = book_as_the_public(api, group, victim)

    # Their role does not book: the booking is a hold for the address to confirm, told to
    # them as to anyone, with no manage token and nothing of the victim.
    assert response.status_code == 202, response.content
    body = answers_without_tokens(response)
    assert body["status"] == "held"
    assert "client" not in body
    held = Appointment.objects.get(reference=body["reference"])
    assert held.client is None and held.status == Appointment.Status.HELD
    assert held.created_by == mallory
    # Nobody was made or linked, nothing was written to the victim's record.
    assert Client.objects.count() == clients_before
    assert record_of(victim) == before
    assert_victim_hidden(api, browser, group, victim)
    # Reading the hold through the staff API gives no client and no token either.
    read = answers_without_tokens(api.get(f"/api/v1/appointments/{held.reference}/"))
    assert "client" not in read


def test_a_practitioner_cannot_book_a_client_by_id(group, mallory, victim):
    response = logged_in(mallory).post(
        "/api/v1/appointments/",
        {
            "treatment": group.alpha.treatment.slug,
            "start": at(group.alpha, ATTACK_DAY, 14),
            "client_id": victim.pk,
        },
        format="json",
    )

    assert_error(response, 403, "permission_denied")
    assert not Appointment.objects.filter(client=victim, clinic=group.alpha.clinic).exists()


def test_the_victim_confirming_the_hold_does_not_make_them_the_practitioners(
    group, mallory, victim
):
    """Even once the address's owner confirms the booking from the email (it is then a real
    appointment with Mallory), a booking Mallory asked for as the public is not the clinic's
    diary making the client theirs: the record stays 404 to them."""
    api, browser = logged_in(mallory), Browser()
    browser.force_login(mallory)
    held = Appointment.objects.get(
        reference=book_as_the_public(api, group, victim).json()["reference"]
    )

    confirmed = hold_confirm(
        appointment=held, by=client_login(victim.email), acknowledge_warnings=True
    ).appointment

    assert confirmed.status == Appointment.Status.CONFIRMED
    assert confirmed.client == victim and confirmed.practitioner == group.alpha.practitioner
    assert_victim_hidden(api, browser, group, victim)
    # It is on their day list (they will give it) without the client, their cautions or a
    # token; and reading it shows the same.
    listed = answers_without_tokens(
        api.get("/api/v1/appointments/", {"date": ATTACK_DAY.isoformat()})
    )
    [entry] = [e for e in listed if e["reference"] == confirmed.reference]
    assert "client" not in entry and "cautions" not in entry
    assert victim.name not in str(listed) and victim.email not in str(listed)
    read = answers_without_tokens(api.get(f"/api/v1/appointments/{confirmed.reference}/"))
    assert "client" not in read
    sheet = browser.get("/staff/sheet/", {"date": ATTACK_DAY.isoformat()}).content.decode()
    assert confirmed.reference in sheet and "Not shown to your role" in sheet
    assert victim.name not in sheet and f"/staff/clients/{victim.pk}/" not in sheet
    # The clinic's front desk sees it all, and a booking they make does count for Mallory.
    desk = logged_in(group.alpha.staff[FRONT_DESK])
    desk_read = answers_without_tokens(desk.get(f"/api/v1/appointments/{confirmed.reference}/"))
    assert desk_read["client"]["id"] == victim.pk
    desk_browser = Browser()
    desk_browser.force_login(group.alpha.staff[FRONT_DESK])
    desk_lookup = desk_browser.get("/staff/clients/", {"q": victim.email}).content.decode()
    assert f"/staff/clients/{victim.pk}/" in desk_lookup
    booked = desk.post(
        "/api/v1/appointments/",
        {
            "treatment": group.alpha.treatment.slug,
            "start": at(group.alpha, ATTACK_DAY, 16),
            "practitioner": group.alpha.practitioner.pk,
            "client_id": victim.pk,
            "acknowledge_warnings": True,
        },
        format="json",
    )
    assert booked.status_code == 201, booked.content
    assert api.get(f"/api/v1/clients/{victim.pk}/declarations/").status_code == 200


def test_holds_and_lapsed_holds_never_make_a_client_visible(group, mallory, victim):
    """A hold that somehow names a client (or one that lapsed) is not the diary."""
    desk = group.alpha.staff[FRONT_DESK]
    api = logged_in(mallory)
    for status in (Appointment.Status.HELD, Appointment.Status.EXPIRED):
        Appointment.objects.filter(pk=group.alpha.visit.pk).update(client=victim, status=status)
        assert_error(api.get(f"/api/v1/clients/{victim.pk}/declarations/"), 404, "not_found")
    # The control: the same appointment, confirmed and booked by the desk, is theirs.
    Appointment.objects.filter(pk=group.alpha.visit.pk).update(
        status=Appointment.Status.CONFIRMED, created_by=desk
    )
    assert api.get(f"/api/v1/clients/{victim.pk}/declarations/").status_code == 200
    # An appointment with nobody recorded as its maker (a system or a deleted account)
    # counts as the clinic's.
    Appointment.objects.filter(pk=group.alpha.visit.pk).update(created_by=None)
    assert api.get(f"/api/v1/clients/{victim.pk}/declarations/").status_code == 200


# -- (b) no staff answer carries a manage token ------------------------------------------------


STAFF = [FRONT_DESK, PRACTITIONER, MANAGER, "superuser"]


def staff_api(group, role) -> APIClient:
    user = group.superuser if role == "superuser" else group.alpha.staff[role]
    return logged_in(user)


@pytest.mark.parametrize("role", STAFF)
def test_staff_reads_carry_no_manage_token(group, role):
    api = staff_api(group, role)
    visit = group.alpha.visit

    for response in (
        api.get(f"/api/v1/appointments/{visit.reference}/"),
        # Presenting the token changes nothing: staff read by their role.
        api.get(f"/api/v1/appointments/{visit.reference}/", {"token": visit.manage_token}),
        api.get("/api/v1/appointments/", {"date": VISIT_DAY.isoformat()}),
        api.get(
            "/api/v1/appointments/", {"date": VISIT_DAY.isoformat(), "clinic": group.alpha.slug}
        ),
    ):
        assert response.status_code == 200, response.content
        answers_without_tokens(response)
    # The staff shape is still there for those whose role shows the client.
    read = api.get(f"/api/v1/appointments/{visit.reference}/").json()
    assert read["client"]["id"] == group.alpha.client.pk


@pytest.mark.parametrize("role", [FRONT_DESK, MANAGER, "superuser"])
def test_staff_bookings_and_moves_carry_no_manage_token(group, role):
    api = staff_api(group, role)
    body = {
        "treatment": group.alpha.treatment.slug,
        "start": at(group.alpha, ATTACK_DAY, 11),
        "client_id": group.alpha.client.pk,
        "acknowledge_warnings": True,
    }

    booked = api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert booked.status_code == 201, booked.content
    reference = answers_without_tokens(booked)["reference"]
    replayed = api.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replayed.json()["reference"] == reference
    answers_without_tokens(replayed)
    by_email = api.post(
        "/api/v1/appointments/",
        {
            "treatment": group.alpha.treatment.slug,
            "start": at(group.alpha, ATTACK_DAY, 9),
            "client": {"name": "New Person", "email": "new.person@example.com"},
        },
        format="json",
    )
    assert by_email.status_code == 201, by_email.content
    answers_without_tokens(by_email)
    moved = api.post(
        f"/api/v1/appointments/{reference}/reschedule/",
        {"start": at(group.alpha, ATTACK_DAY, 15), "acknowledge_warnings": True},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    answers_without_tokens(moved)
    cancelled = api.post(f"/api/v1/appointments/{reference}/cancel/", {}, format="json")
    assert cancelled.status_code == 200, cancelled.content
    assert answers_without_tokens(cancelled)["status"] == "cancelled"


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("outcome", ["complete", "no-show"])
def test_attendance_answers_carry_no_manage_token(group, role, outcome):
    api = staff_api(group, role)
    visit = group.alpha.visit
    after = datetime.combine(VISIT_DAY, time(11), tzinfo=group.alpha.clinic.tzinfo)

    with time_machine.travel(after, tick=False):
        response = api.post(f"/api/v1/appointments/{visit.reference}/{outcome}/")

    assert response.status_code == 200, response.content
    assert answers_without_tokens(response)["reference"] == visit.reference


def test_the_clients_own_answers_keep_their_token(group, victim):
    """The token is the client's: signed in or holding it, they still get it."""
    visit = group.beta.visit
    own = logged_in(client_login(victim.email)).get(f"/api/v1/appointments/{visit.reference}/")
    assert own.json()["manage_token"] == visit.manage_token
    holder = APIClient().get(
        f"/api/v1/appointments/{visit.reference}/", {"token": visit.manage_token}
    )
    assert holder.json()["manage_token"] == visit.manage_token
    assert "client" not in holder.json()


# -- (c) a leaked token gives a practitioner no cancel or move --------------------------------


def test_a_practitioner_with_a_leaked_token_cannot_cancel_or_move(group, mallory):
    api = logged_in(mallory)
    visit = group.alpha.visit  # their own appointment, on their day sheet
    token = visit.manage_token  # leaked: read off a screen, a forwarded email

    refusals = [
        api.post(
            f"/api/v1/appointments/{visit.reference}/cancel/", {"token": token}, format="json"
        ),
        api.post(f"/api/v1/appointments/{visit.reference}/cancel/?token={token}"),
        api.post(
            f"/api/v1/appointments/{visit.reference}/reschedule/",
            {"start": at(group.alpha, ATTACK_DAY, 15), "token": token},
            format="json",
        ),
    ]

    for response in refusals:
        body = assert_error(response, 403, "permission_denied")
        assert "role" in body["detail"]
    unchanged = Appointment.objects.get(pk=visit.pk)
    assert unchanged.status == Appointment.Status.CONFIRMED
    assert unchanged.start == visit.start
    assert not unchanged.changes.filter(action="cancelled").exists()


def test_a_practitioner_with_a_token_for_another_clinic_cannot_cancel(group, mallory):
    """A token for an appointment out of their diary altogether: still their role decides
    (none at Beta), not the token."""
    visit = group.beta.visit

    response = logged_in(mallory).post(
        f"/api/v1/appointments/{visit.reference}/cancel/",
        {"token": visit.manage_token},
        format="json",
    )

    assert_error(response, 403, "permission_denied")
    assert Appointment.objects.get(pk=visit.pk).status == Appointment.Status.CONFIRMED


def test_a_practitioner_signed_in_cannot_cancel_through_the_manage_link(group, mallory):
    """The booking pages take the same token; a practitioner's session there acts by their
    role too."""
    visit = group.alpha.visit
    browser = Browser()
    browser.force_login(mallory)

    response = browser.post(
        f"/booking/{visit.reference}/{visit.manage_token}/cancel/", {"reason": "x"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("/sorry/")
    assert Appointment.objects.get(pk=visit.pk).status == Appointment.Status.CONFIRMED


def test_the_token_still_works_for_the_client_and_for_a_role_that_cancels(group):
    """The control: the refusal above is the role's, not a broken token."""
    alpha, beta = group.alpha.visit, group.beta.visit

    by_client = APIClient().post(
        f"/api/v1/appointments/{alpha.reference}/cancel/",
        {"token": alpha.manage_token},
        format="json",
    )
    by_desk = logged_in(group.beta.staff[FRONT_DESK]).post(
        f"/api/v1/appointments/{beta.reference}/cancel/",
        {"token": beta.manage_token},
        format="json",
    )

    assert by_client.status_code == 200 and by_desk.status_code == 200
    assert Appointment.objects.get(pk=alpha.pk).status == Appointment.Status.CANCELLED
    assert Appointment.objects.get(pk=beta.pk).status == Appointment.Status.CANCELLED
    assert BookingRequest.objects.count() == 0
