"""Money at the desk (workspace/views/payments.py and the staff API's payments): the price
as booked on the diary and the day sheet, a payment recorded with a receipt in the outbox,
a fee left by a no-show or a late cancellation the client asked for, waived only by the
manager with a reason, audited; and who may do each (the matrix of test_permissions.py)."""

from decimal import Decimal as D

import pytest
import time_machine
from rest_framework.test import APIClient

from aftercare.models import Message
from clinic.models import AuditEntry
from diary.services import appointment_mark_no_show
from money.models import Charge, Payment, PaymentPolicy
from tests.helpers import logged_in
from tests.workspace.conftest import PERSONAS, TODAY, london
from tests.workspace.test_permissions import API_OUTSIDERS, PAGE_OUTSIDERS, Row, call


def _payments(c):
    return f"/staff/appointments/{c.olivia_visit.reference}/payments/"


def _api(c, visit="olivia_visit"):
    return f"/api/v1/appointments/{getattr(c, visit).reference}/payments/"


PAGES = [
    Row("payments page", "get", _payments, 200, 200, 200),
    # Ben's appointment is not on Pat's sheet: a 404, as if it did not exist.
    Row(
        "another practitioner's payments",
        "get",
        lambda c: f"/staff/appointments/{c.bruno_visit.reference}/payments/",
        200,
        404,
        200,
    ),
]
API = [
    Row("account", "get", _api, 200, 200, 200),
    Row(
        "record a payment",
        "post",
        _api,
        201,
        403,
        201,
        data=lambda c: {"amount": "20.00", "kind": "deposit", "method": "cash"},
    ),
    Row(
        "another practitioner's appointment",
        "post",
        lambda c: _api(c, "bruno_visit"),
        201,
        404,
        201,
        data=lambda c: {"amount": "20.00", "kind": "deposit", "method": "cash"},
    ),
]


@pytest.fixture
def noon(cast):
    with time_machine.travel(london(TODAY, 12), tick=False):
        yield cast


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PAGES, ids=lambda r: r.name)
def test_pages(noon, row, persona):
    response = call(noon.browser(persona), row, noon)

    assert response.status_code == row.expected(persona, PAGE_OUTSIDERS), response.content[:300]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", API, ids=lambda r: r.name)
def test_api(noon, row, persona):
    user = noon.users[persona]
    response = call(logged_in(user) if user else APIClient(), row, noon, format="json")

    expected = row.expected(persona, API_OUTSIDERS)
    assert response.status_code == expected, response.content[:300]
    recorded = Payment.objects.exists()
    assert recorded == (expected == 201)
    if expected == 201:
        assert response.json()["paid"] == "20.00"


def test_the_diary_and_the_day_sheet_show_the_price_with_a_link_to_its_payments(noon):
    desk = noon.browser("desk")
    link = _payments(noon)
    for page in ("/staff/?date=2027-03-01", "/staff/sheet/?date=2027-03-01"):
        content = desk.get(page).content.decode()
        assert link in content, page
        assert "£95.00" in content, page


def test_the_desk_records_a_payment_and_the_client_gets_a_receipt(noon):
    desk = noon.browser("desk")
    page = desk.get(_payments(noon)).content.decode()
    assert "£95.00" in page
    assert "a reschedule keeps this price" in page

    response = desk.post(
        _payments(noon), {"amount": "95.00", "kind": "balance", "method": "card_at_desk"}
    )

    assert response.status_code == 302
    assert response["Location"] == _payments(noon)
    payment = Payment.objects.get()
    assert (payment.amount, payment.kind, payment.method) == (D("95.00"), "balance", "card_at_desk")
    assert payment.recorded_by == noon.users["desk"]
    receipt = Message.objects.get(kind=Message.Kind.RECEIPT)
    assert (receipt.client_id, receipt.data["amount"]) == (noon.olivia.pk, "£95.00")
    page = desk.get(_payments(noon)).content.decode()
    assert "Card at the desk" in page
    assert "data-paid>£95.00" in page


def test_a_bad_amount_is_said_on_the_form_and_nothing_is_recorded(noon):
    response = noon.browser("desk").post(
        _payments(noon), {"amount": "1.001", "kind": "balance", "method": "cash"}
    )

    assert response.status_code == 200
    assert "no finer than" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_practitioner_sees_the_money_but_records_nothing(noon):
    pat = noon.browser("pat")
    assert "Record a payment" not in pat.get(_payments(noon)).content.decode()

    response = pat.post(_payments(noon), {"amount": "20", "kind": "deposit", "method": "cash"})

    assert response.status_code == 302
    assert not Payment.objects.exists()


@pytest.fixture
def no_show(noon):
    PaymentPolicy.objects.create(
        clinic=noon.world.clinic, no_show_fee="percentage", no_show_value=D("50")
    )
    appointment_mark_no_show(appointment=noon.olivia_visit, by=noon.users["desk"])
    return Charge.objects.get(appointment=noon.olivia_visit)


def _waive(c):
    return f"/staff/appointments/{c.olivia_visit.reference}/fee/waive/"


def test_a_no_show_fee_is_outstanding_and_the_manager_waives_it(noon, no_show):
    assert no_show.amount == D("47.50")
    mia = noon.browser("mia")
    page = mia.get(_payments(noon)).content.decode()
    assert "£47.50" in page
    assert "no-show fee" in page
    assert _waive(noon) in page

    response = mia.post(_waive(noon), {"reason": "Her car broke down"})

    assert response.status_code == 302
    no_show.refresh_from_db()
    assert no_show.is_waived and no_show.waive_reason == "Her car broke down"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.WAIVE)
    assert (entry.username, entry.via, entry.client_id) == ("mia", "workspace", noon.olivia.pk)
    assert "data-outstanding>Nothing" in mia.get(_payments(noon)).content.decode()


def test_the_front_desk_cannot_waive_a_fee(noon, no_show):
    desk = noon.browser("desk")
    assert _waive(noon) not in desk.get(_payments(noon)).content.decode()

    desk.post(_waive(noon), {"reason": "Nice client"})

    no_show.refresh_from_db()
    assert not no_show.is_waived
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.WAIVE).exists()


def test_the_api_waives_only_for_the_capability_and_with_a_reason(noon, no_show):
    url = f"/api/v1/appointments/{noon.olivia_visit.reference}/fee/waive/"
    desk = logged_in(noon.users["desk"])
    assert desk.post(url, {"reason": "x"}, format="json").status_code == 403
    mia = logged_in(noon.users["mia"])
    assert mia.post(url, {"reason": ""}, format="json").status_code == 400

    response = mia.post(url, {"reason": "Goodwill"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["charge"]["waived"] is True
    assert body["outstanding"] == "0"
    assert mia.post(url, {"reason": "Again"}, format="json").json()["code"] == "invalid_status"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.WAIVE, via="api").count() == 1


def test_the_api_answers_a_bad_amount_with_its_code(noon):
    response = logged_in(noon.users["desk"]).post(
        _api(noon), {"amount": "lots", "kind": "deposit", "method": "cash"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "payment_refused"
    assert not Payment.objects.exists()


def test_the_desk_cancels_for_a_client_who_asked_late_and_the_fee_falls_due(noon):
    PaymentPolicy.objects.create(
        clinic=noon.world.clinic, late_cancel_fee="fixed", late_cancel_value=D("30")
    )
    visit = noon.bruno_visit
    with time_machine.travel(london(TODAY, 9), tick=False):
        response = noon.browser("desk").post(
            f"/staff/appointments/{visit.reference}/cancel/",
            {"reason": "Phoned in", "client_asked": "on"},
        )
    assert response.status_code == 302
    assert Charge.objects.get(appointment=visit).amount == D("30.00")
