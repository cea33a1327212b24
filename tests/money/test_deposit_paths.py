"""Deposits on every booking path (issue 19), against the fake Stripe on loopback
(tests/money/fake_stripe.py): a signed-in client booking for themself on the pages and the
API is held for the deposit and sent to the payment page, confirmed by the webhook, released
by the lapse sweep, or released at once when Stripe is down; a booking staff make is
confirmed and the client emailed a link to pay; without a policy, without Stripe keys or with
a course's session, nothing asks for a card."""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from clinic.identity import client_login
from courses.models import CourseOffer
from courses.services import course_buy
from diary import holds
from diary.reservation import SlotRequest, free_practitioners
from diary.services import appointment_book, appointment_cancel
from money import provider
from money.models import Payment, PaymentPolicy, ProviderCall, ProviderEvent
from money.selectors import appointment_account
from money.services import payment_record
from tests import factories
from tests.helpers import book_on_pages, booking_form, logged_in, send_one, signed_in
from tests.money.test_stripe import deliver

LONDON = ZoneInfo("Europe/London")
TUESDAY_10 = datetime.combine(date(2027, 3, 2), time(10), tzinfo=LONDON)
NOW = datetime(2027, 3, 1, 8, tzinfo=LONDON)  # the frozen clock (tests/conftest.py)
APPOINTMENTS = "/api/v1/appointments/"
DANA = "dana@example.com"
# What a booking plans when it is confirmed; none of it while it waits for its deposit.
BOOKED_KINDS = {Message.Kind.CONFIRMATION, Message.Kind.REMINDER, Message.Kind.FORMS_DUE}


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def online_deposit(world):
    """A fixed deposit of 20 asked of online bookings only (the model's default)."""
    return PaymentPolicy.objects.create(clinic=world.clinic, deposit="fixed", deposit_value=D("20"))


@pytest.fixture
def staff_deposit(world):
    """A fixed deposit of 20 asked of staff bookings only."""
    return PaymentPolicy.objects.create(
        clinic=world.clinic,
        deposit="fixed",
        deposit_value=D("20"),
        deposit_online=False,
        deposit_staff=True,
    )


def booked_kinds(appointment) -> set:
    return set(
        Message.objects.filter(appointment=appointment, kind__in=BOOKED_KINDS).values_list(
            "kind", flat=True
        )
    )


def slot_free(world) -> bool:
    request = SlotRequest(treatment=world.treatment, start=TUESDAY_10, online=True, now=NOW)
    return bool(free_practitioners(request))


def book_signed_in(world, email=DANA):
    """The booking pages, signed in as the owner of `email`: Confirm's answer."""
    browser = signed_in(Browser(), email)
    name = "Dana Client" if email == DANA else "Erin Client"
    return browser, book_on_pages(
        browser, world.treatment.slug, booking_form(TUESDAY_10, name=name, email=email)
    )


def api_book(world, email=DANA, **headers):
    api = logged_in(client_login(email))
    body = {
        "treatment": world.treatment.slug,
        "start": TUESDAY_10.isoformat(),
        "client": {"name": "Dana Client", "email": email},
    }
    return api.post(APPOINTMENTS, body, format="json", **headers)


def session_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


# -- A signed-in client booking for themself --------------------------------------------------


def test_a_signed_in_clients_booking_is_held_until_its_deposit_is_paid(
    world, online_deposit, stripe_fake
):
    browser, to_pay = book_signed_in(world)

    held = Appointment.objects.get(client__email=DANA)
    assert to_pay.status_code == 302
    assert to_pay["Location"].startswith(f"{stripe_fake.base}/pay/")
    assert held.status == Appointment.Status.HELD and held.channel == "online"
    assert held.held_until == NOW + timedelta(minutes=30)
    assert not slot_free(world), "the hold keeps the time"
    (session,) = stripe_fake.sessions.values()
    assert session["id"] == session_id(to_pay["Location"])
    assert (session["amount_total"], session["currency"]) == (2000, "gbp")
    assert session["payment_intent_metadata"]["lumiere_appointment"] == held.reference
    call = ProviderCall.objects.get(kind="checkout", appointment=held)
    assert call.status == "sent" and stripe_fake.key_uses[call.key] == 1
    assert booked_kinds(held) == set(), "no email while the booking waits for its deposit"
    assert held.changes.get().action == AppointmentChange.Action.HELD
    page = text(browser.get(reverse("online:confirmed", args=[held.reference, held.manage_token])))
    assert "Your deposit is still to pay" in page
    deposit_page = reverse("online:deposit", args=[held.reference, held.manage_token])
    assert browser.get(deposit_page)["Location"].endswith("/confirmed/")

    stripe_fake.pay(session["id"])
    events = stripe_fake.take_events()
    answers = deliver(events)

    held.refresh_from_db()
    assert [a.json()["outcome"] for a in answers] == ["confirmed", "ignored"]
    assert held.status == Appointment.Status.CONFIRMED and held.held_until is None
    deposit = Payment.objects.get(appointment=held)
    assert (deposit.kind, deposit.method, deposit.amount) == ("deposit", "card_online", D("20.00"))
    assert booked_kinds(held) >= {Message.Kind.CONFIRMATION, Message.Kind.REMINDER}
    assert Message.objects.filter(appointment=held, kind=Message.Kind.CONFIRMATION).count() == 1

    again = deliver(events)  # Stripe delivers the same events again

    assert [a.json()["outcome"] for a in again] == ["duplicate", "duplicate"]
    assert Payment.objects.filter(appointment=held).count() == 1
    assert Message.objects.filter(appointment=held, kind=Message.Kind.CONFIRMATION).count() == 1
    assert Message.objects.filter(appointment=held, kind=Message.Kind.RECEIPT).count() == 1
    assert len(stripe_fake.charges) == 1 and ProviderEvent.objects.count() == 2


def test_the_api_answers_held_with_the_payment_url_and_a_replay_gives_it_again(
    world, online_deposit, stripe_fake
):
    made = api_book(world, HTTP_IDEMPOTENCY_KEY="dana-deposit-1")

    assert made.status_code == 201, made.json()
    body = made.json()
    (session,) = stripe_fake.sessions.values()
    assert body["status"] == "held" and body["payment_url"] == session["url"]
    held = Appointment.objects.get(reference=body["reference"])
    assert held.status == Appointment.Status.HELD and held.client.email == DANA
    assert booked_kinds(held) == set()

    replay = api_book(world, HTTP_IDEMPOTENCY_KEY="dana-deposit-1")

    assert replay.status_code == 200
    assert replay.json()["payment_url"] == session["url"]
    assert len(stripe_fake.sessions) == 1 and ProviderCall.objects.count() == 1

    stripe_fake.pay(session["id"])
    deliver(stripe_fake.take_events())
    held.refresh_from_db()
    assert held.status == Appointment.Status.CONFIRMED
    assert Message.objects.filter(appointment=held, kind=Message.Kind.CONFIRMATION).count() == 1
    assert "payment_url" not in api_book(world, HTTP_IDEMPOTENCY_KEY="dana-deposit-1").json()


def test_a_hold_not_paid_in_time_frees_the_time_for_another_client(
    world, online_deposit, stripe_fake
):
    _, to_pay = book_signed_in(world)
    held = Appointment.objects.get(client__email=DANA)
    session = session_id(to_pay["Location"])

    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        assert holds.holds_release_lapsed() == 1
        provider.calls_sweep()
        held.refresh_from_db()
        assert held.status == Appointment.Status.EXPIRED
        assert stripe_fake.sessions[session]["status"] == "expired"
        with pytest.raises(ValueError):
            stripe_fake.pay(session)  # its page cannot be paid any more
        assert booked_kinds(held) == set()
        erin = factories.ClientFactory(clinic=world.clinic, email="erin@example.com")
        desk = factories.StaffFactory(username="desk")
        other = appointment_book(
            treatment=world.treatment, start=TUESDAY_10, client=erin, by=desk
        ).appointment

    assert other.status == Appointment.Status.CONFIRMED
    assert stripe_fake.charges == [] and not Payment.objects.exists()


def test_stripe_down_on_the_pages_releases_the_time_and_says_so(world, online_deposit, stripe_fake):
    stripe_fake.go_down()

    browser, answer = book_signed_in(world)

    assert answer.status_code == 302
    assert answer["Location"] == reverse("online:sorry", args=[world.treatment.slug])
    page = text(browser.get(answer["Location"]))
    assert "nothing was charged" in page
    held = Appointment.objects.get(client__email=DANA)
    assert held.status == Appointment.Status.EXPIRED and slot_free(world)
    assert ProviderCall.objects.get(kind="checkout").status == ProviderCall.Status.CANCELLED
    assert booked_kinds(held) == set()
    stripe_fake.come_back()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        provider.calls_sweep()
    assert {s["status"] for s in stripe_fake.sessions.values()} <= {"expired"}
    assert stripe_fake.charges == []


def test_stripe_down_on_the_api_is_503_and_the_same_key_may_try_again(
    world, online_deposit, stripe_fake
):
    stripe_fake.fail_for(60)

    refused = api_book(world, HTTP_IDEMPOTENCY_KEY="dana-deposit-2")

    assert refused.status_code == 503
    assert refused.json()["code"] == "payment_unavailable" and refused.json()["detail"]
    assert Appointment.objects.get().status == Appointment.Status.EXPIRED
    assert slot_free(world) and stripe_fake.charges == [] and stripe_fake.sessions == {}

    stripe_fake.fail_until = 0
    retried = api_book(world, HTTP_IDEMPOTENCY_KEY="dana-deposit-2")

    assert retried.status_code == 201, retried.json()
    assert retried.json()["status"] == "held" and retried.json()["payment_url"]
    assert retried.json()["reference"] != Appointment.objects.order_by("pk").first().reference


# -- Nothing asked: no policy, no Stripe keys, a course's session ------------------------------


def test_without_a_policy_a_signed_in_client_is_booked_at_once(world, stripe_fake):
    _, answer = book_signed_in(world)

    booked = Appointment.objects.get(client__email=DANA)
    assert answer["Location"] == reverse(
        "online:confirmed", args=[booked.reference, booked.manage_token]
    )
    assert booked.status == Appointment.Status.CONFIRMED
    assert Message.Kind.CONFIRMATION in booked_kinds(booked)
    assert not ProviderCall.objects.exists() and stripe_fake.sessions == {}


def test_without_stripe_keys_nothing_asks_for_a_card(world):
    PaymentPolicy.objects.create(
        clinic=world.clinic, deposit="fixed", deposit_value=D("20"), deposit_staff=True
    )
    made = api_book(world)

    assert made.status_code == 201 and made.json()["status"] == "confirmed"
    assert "payment_url" not in made.json()
    booked = Appointment.objects.get()
    assert appointment_account(booked).outstanding == D("20.00")  # taken at the desk
    assert not ProviderCall.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.DEPOSIT_DUE).exists()


def test_a_course_session_asks_no_deposit(world, online_deposit, stripe_fake):
    offer = CourseOffer.objects.create(
        clinic=world.clinic,
        name="Ten facial massages",
        treatment=world.treatment,
        sessions=10,
        price=D("850.00"),
        currency=world.clinic.currency,
        validity=6,
        validity_unit="months",
    )
    dana = factories.ClientFactory(clinic=world.clinic, name="Dana Client", email=DANA)
    course = course_buy(client=dana, offer=offer, by=dana.user)
    browser = signed_in(Browser(), DANA)
    browser.post(f"/book/{world.treatment.slug}/details/", booking_form(TUESDAY_10))

    answer = browser.post(
        f"/book/{world.treatment.slug}/confirm/",
        {"start": TUESDAY_10.isoformat(), "course": str(course.pk)},
    )

    booked = Appointment.objects.get(client=dana)
    assert answer["Location"].endswith("/confirmed/")
    assert booked.status == Appointment.Status.CONFIRMED and booked.net_price == D("0.00")
    assert not ProviderCall.objects.exists() and stripe_fake.sessions == {}


# -- A booking staff make ---------------------------------------------------------------------


@pytest.fixture
def bruno(world):
    return factories.ClientFactory(clinic=world.clinic, name="Bruno Costa", email="bruno@ex.com")


def desk_books(world, client):
    desk = Browser()
    desk.force_login(factories.StaffFactory(username="desk"))
    answer = desk.post(
        f"/staff/clients/{client.pk}/book/",
        {
            "treatment": world.treatment.slug,
            "date": TUESDAY_10.date().isoformat(),
            "start": TUESDAY_10,
        },
    )
    assert answer.status_code == 302
    return desk, Appointment.objects.get(client=client)


def test_a_staff_booking_is_confirmed_and_the_client_emailed_a_link_to_pay(
    world, staff_deposit, stripe_fake, bruno, settings, inbox
):
    desk, booked = desk_books(world, bruno)

    assert booked.status == Appointment.Status.CONFIRMED and booked.channel == "staff"
    assert Message.Kind.CONFIRMATION in booked_kinds(booked)
    (link,) = Message.objects.filter(appointment=booked, kind=Message.Kind.DEPOSIT_DUE)
    assert not ProviderCall.objects.exists(), "no session until the client presses Pay"
    payments = text(desk.get(reverse("workspace:payments", args=[booked.reference])))
    assert "Due now £20.00 (deposit)" in payments
    assert "A link to pay the deposit by card was emailed to the client" in payments
    link.status, link.claimed_at = Message.Status.SENDING, NOW
    link.save(update_fields=["status", "claimed_at"])
    assert send_one(link.pk) == Message.Status.SENT
    deposit_page = reverse("online:deposit", args=[booked.reference, booked.manage_token])
    [email] = inbox.for_outbox(link.pk)
    assert email["To"] == "bruno@ex.com"
    assert "Your deposit of £20.00" in email["Subject"]
    body = email.get_body(("plain",)).get_content()
    assert settings.SITE_URL.rstrip("/") + deposit_page in body

    client = Browser()
    shown = client.get(deposit_page)  # a mail scanner opening the link makes nothing
    assert shown.status_code == 200 and "Pay £20.00 by card" in text(shown)
    assert not ProviderCall.objects.exists()
    to_pay = client.post(deposit_page)
    assert to_pay["Location"].startswith(f"{stripe_fake.base}/pay/")
    assert client.post(deposit_page)["Location"] == to_pay["Location"], "the same page again"
    assert len(stripe_fake.sessions) == 1

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        assert holds.holds_release_lapsed() == 0  # staff's booking stands, paid or not
    stripe_fake.pay(session_id(to_pay["Location"]))
    answers = deliver(stripe_fake.take_events())

    booked.refresh_from_db()
    assert answers[0].json()["outcome"] == "already booked"
    assert booked.status == Appointment.Status.CONFIRMED
    deposit = Payment.objects.get(appointment=booked)
    assert (deposit.kind, deposit.method, deposit.amount) == ("deposit", "card_online", D("20.00"))
    assert Message.objects.filter(appointment=booked, kind=Message.Kind.RECEIPT).count() == 1
    assert appointment_account(booked).outstanding == D("0.00")
    assert "Nothing to pay now" in text(client.get(deposit_page))
    assert Message.objects.filter(kind=Message.Kind.DEPOSIT_DUE).count() == 1


def test_the_api_staff_booking_plans_the_link_once_and_no_payment_url(
    world, staff_deposit, stripe_fake, bruno
):
    desk = logged_in(factories.StaffFactory(username="desk"))
    body = {"treatment": world.treatment.slug, "start": TUESDAY_10.isoformat()}

    made = desk.post(APPOINTMENTS, {**body, "client_id": bruno.pk}, format="json")

    assert made.status_code == 201, made.json()
    assert made.json()["status"] == "confirmed" and "payment_url" not in made.json()
    booked = Appointment.objects.get(reference=made.json()["reference"])
    assert Message.objects.filter(appointment=booked, kind=Message.Kind.DEPOSIT_DUE).count() == 1
    assert not ProviderCall.objects.exists() and stripe_fake.sessions == {}


def test_stripe_down_on_the_deposit_page_keeps_the_booking(
    world, staff_deposit, stripe_fake, bruno
):
    _, booked = desk_books(world, bruno)
    deposit_page = reverse("online:deposit", args=[booked.reference, booked.manage_token])
    stripe_fake.go_down()
    client = Browser()

    answer = client.post(deposit_page)

    assert answer["Location"] == deposit_page
    assert "Your booking stands and nothing was charged" in text(client.get(deposit_page))
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CONFIRMED
    assert ProviderCall.objects.get(kind="checkout").status == ProviderCall.Status.CANCELLED
    assert stripe_fake.charges == []


def test_without_stripe_keys_the_staff_booking_asks_nothing_by_card(world, staff_deposit, bruno):
    desk, booked = desk_books(world, bruno)

    assert booked.status == Appointment.Status.CONFIRMED
    assert not Message.objects.filter(kind=Message.Kind.DEPOSIT_DUE).exists()
    assert not ProviderCall.objects.exists()
    payments = text(desk.get(reverse("workspace:payments", args=[booked.reference])))
    assert "(deposit)" in payments and "emailed to the client" not in payments
    deposit_page = reverse("online:deposit", args=[booked.reference, booked.manage_token])
    page = text(Browser().get(deposit_page))
    assert "Please pay it at the desk" in page and "by card" not in page
    assert Browser().post(deposit_page)["Location"] == deposit_page
    assert not ProviderCall.objects.exists()


def test_the_link_does_not_go_once_the_deposit_is_paid_at_the_desk(
    world, staff_deposit, stripe_fake, bruno, inbox
):
    _, booked = desk_books(world, bruno)
    desk = factories.StaffFactory(username="front")
    payment_record(appointment=booked, amount="20.00", kind="deposit", method="cash", by=desk)
    link = Message.objects.get(appointment=booked, kind=Message.Kind.DEPOSIT_DUE)
    link.status, link.claimed_at = Message.Status.SENDING, NOW
    link.save(update_fields=["status", "claimed_at"])

    assert send_one(link.pk) == Message.Status.CANCELLED

    link.refresh_from_db()
    assert link.last_error == "The deposit is paid." and inbox.for_outbox(link.pk) == []


def test_cancelling_a_staff_booking_closes_its_open_payment_page(
    world, staff_deposit, stripe_fake, bruno
):
    _, booked = desk_books(world, bruno)
    deposit_page = reverse("online:deposit", args=[booked.reference, booked.manage_token])
    session = session_id(Browser().post(deposit_page)["Location"])

    appointment_cancel(appointment=booked, by=factories.StaffFactory(username="mia"), reason="")
    provider.calls_sweep()

    assert stripe_fake.sessions[session]["status"] == "expired"
    with pytest.raises(ValueError):
        stripe_fake.pay(session)
    assert stripe_fake.charges == []


def test_cancelling_a_paid_booking_refunds_it_and_leaves_its_paid_page_alone(
    world, staff_deposit, stripe_fake, bruno
):
    _, booked = desk_books(world, bruno)
    deposit_page = reverse("online:deposit", args=[booked.reference, booked.manage_token])
    session = session_id(Browser().post(deposit_page)["Location"])
    stripe_fake.pay(session)
    deliver(stripe_fake.take_events())

    appointment_cancel(appointment=booked, by=factories.StaffFactory(username="mia"), reason="")
    provider.calls_sweep()

    assert not ProviderCall.objects.filter(kind="checkout_expire").exists()
    assert not ProviderCall.objects.filter(status=ProviderCall.Status.FAILED).exists()
    (refund,) = stripe_fake.refunds.values()
    assert refund["amount"] == 2000 and appointment_account(booked).paid == D("0.00")


def test_the_deposit_page_is_a_404_without_the_bookings_own_token(
    world, staff_deposit, stripe_fake, bruno
):
    _, booked = desk_books(world, bruno)
    erin = factories.ClientFactory(clinic=world.clinic, email="erin@example.com")
    other = appointment_book(
        treatment=world.treatment,
        start=TUESDAY_10 + timedelta(hours=2),
        client=erin,
        by=factories.StaffFactory(username="front"),
    ).appointment

    for token in ("guessed", other.manage_token):
        path = reverse("online:deposit", args=[booked.reference, token])
        assert Browser().get(path).status_code == 404
        assert Browser().post(path).status_code == 404
    assert not ProviderCall.objects.exists() and stripe_fake.sessions == {}
