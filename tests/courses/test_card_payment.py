"""A course bought online and paid by card (diary/course_payments.py), against the fake
Stripe on loopback: one Checkout, paid by the webhook once however often or in whatever order
it comes, the course usable only once paid and shown paid on both sides; Stripe down, nothing
charged or usable; unpaid, it lapses and its Checkout is expired (and a payment that beats
the expiry is refunded); and a receipt for every course paid, at the desk or by card."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client as Browser
from django.utils.html import strip_tags
from rest_framework.test import APIClient

from aftercare.models import Message
from clinic.models import AuditEntry
from courses.errors import AlreadyPaid, CourseRefused
from courses.models import ClientCourse
from courses.selectors import usable_courses
from courses.services import course_buy, course_mark_paid, session_book
from diary import course_payments
from diary.services import appointment_book
from money import provider
from money.models import Payment, ProviderCall, ProviderEvent
from sending.delivery import render
from sending.tasks import release_lapsed_holds
from tests import factories
from tests.helpers import logged_in, signed_in

TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)  # the world's clock: Mon 1 March, 08:00
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
WEBHOOK = "/api/v1/payments/stripe/webhook/"


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def deliver(stripe_fake, events) -> list[int]:
    """Post Stripe's events to the webhook, signed as Stripe signs them; the statuses."""
    api = APIClient()
    statuses = []
    for event in events:
        payload, signature = stripe_fake.signed(event)
        answer = api.post(
            WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )
        statuses.append(answer.status_code)
    return statuses


def buy(browser, offer):
    return browser.post(f"/my/courses/{offer.pk}/buy/")


def receipts(course) -> list[Message]:
    return list(Message.objects.filter(kind=Message.Kind.COURSE_RECEIPT, client=course.client))


def usable(world, client) -> list[ClientCourse]:
    return usable_courses(client, world.treatment, start=TUESDAY_10, now=NOW)


def test_a_course_bought_online_is_paid_by_card_once_and_then_usable(
    world, offer, olivia, stripe_fake
):
    browser = signed_in(Browser(), olivia.email)
    answer = buy(browser, offer)

    course = ClientCourse.objects.get(client=olivia)
    [session] = stripe_fake.sessions.values()
    assert answer.status_code == 302 and answer["Location"] == session["url"]
    assert session["amount_total"] == 85000 and session["currency"] == "gbp"
    assert session["payment_intent_metadata"] == {
        "lumiere_purpose": "course",
        "lumiere_course": str(course.pk),
    }
    call = ProviderCall.objects.get(client_course=course)
    assert (call.kind, call.status, call.appointment) == ("checkout", "sent", None)
    assert course.awaits_card and not course.is_paid
    assert usable(world, olivia) == [], "not usable before it is paid"
    with pytest.raises(CourseRefused):
        session_book(
            appointment=appointment_book(
                treatment=world.treatment, start=TUESDAY_10, client=olivia, by=olivia.user
            ).appointment,
            client_course=course,
        )
    space = browser.get("/my/")
    assert "waiting for its card payment" in text(space)
    assert f'href="{session["url"]}">Pay for Ten facial massages by card' in space.content.decode()
    assert "Book a session of Ten facial massages" not in text(space)
    assert receipts(course) == []

    events = stripe_fake.pay(session["id"])
    assert deliver(stripe_fake, stripe_fake.take_events()) == [200, 200]

    course.refresh_from_db()
    intent = events[0]["data"]["object"]
    assert course.is_paid and course.paid_method == "card_online"
    assert course.payment_reference == intent["id"] and course.paid_by is None
    assert usable(world, olivia) == [course]
    [receipt] = receipts(course)
    assert receipt.data["amount"] == "850.00 GBP" and receipt.data["method"] == "Card online"
    email = render(receipt)
    assert "Receipt: 850.00 GBP for your Ten facial massages" in email.subject
    assert "a course of 10 sessions at" in email.text and "(Card online)" in email.text
    assert "paid 1 Mar 2027 (card online)" in text(browser.get("/my/"))
    assert ProviderEvent.objects.get(event_id=events[0]["id"]).outcome == "course paid"
    assert not Payment.objects.exists(), "a course's payment is kept on the course"

    # Stripe sends the success again, under the same id and under a new one, and a late
    # "expired" for the session: nothing changes.
    again = stripe_fake.event("payment_intent.succeeded", intent)
    late = stripe_fake.event("checkout.session.expired", {**session, "status": "expired"})
    assert deliver(stripe_fake, [*events, again, late]) == [200] * 4
    course.refresh_from_db()
    assert len(receipts(course)) == 1
    assert list(course.changes.values_list("action", flat=True)) == ["bought", "paid"]
    assert not ProviderCall.objects.filter(kind="refund").exists()
    assert len(stripe_fake.charges) == 1


def test_the_desk_sees_a_course_paid_by_card_as_paid(world, offer, olivia, stripe_fake, manager):
    buy(signed_in(Browser(), olivia.email), offer)
    [session] = stripe_fake.sessions.values()
    stripe_fake.pay(session["id"])
    deliver(stripe_fake, stripe_fake.take_events())

    desk = Browser()
    desk.force_login(manager)
    page = text(desk.get(f"/staff/clients/{olivia.pk}/"))
    assert "paid 1 Mar 2027 (card online)" in page and "not paid yet" not in page


def test_stripe_down_while_buying_is_a_clear_answer_and_nothing_usable_or_charged(
    world, offer, olivia, stripe_fake
):
    browser = signed_in(Browser(), olivia.email)
    stripe_fake.go_down()

    answer = buy(browser, offer)
    space = text(browser.get(answer["Location"]))

    assert answer["Location"] == "/my/#courses"
    assert "We can’t take card payments just now, and nothing was charged" in space
    assert "You have no courses." in space, "the client's list never shows it"
    course = ClientCourse.objects.get(client=olivia)
    assert course.lapsed_at is not None and not course.is_paid and not course.usable
    assert usable(world, olivia) == [] and receipts(course) == []
    assert ProviderCall.objects.get(kind="checkout").status == ProviderCall.Status.CANCELLED
    assert not Message.objects.filter(client=olivia, status=Message.Status.PENDING).exists()

    stripe_fake.come_back()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        provider.calls_sweep()
    # Whether the call reached Stripe is not known: its key asks again, and the session it
    # gets back is closed.
    assert ProviderCall.objects.get(kind="checkout_expire").status == ProviderCall.Status.SENT
    assert {s["status"] for s in stripe_fake.sessions.values()} <= {"expired"}
    assert stripe_fake.charges == []


def test_a_course_not_paid_in_time_lapses_and_its_checkout_is_expired(
    world, offer, olivia, stripe_fake, settings
):
    browser = signed_in(Browser(), olivia.email)
    buy(browser, offer)
    course = ClientCourse.objects.get(client=olivia)
    [session] = stripe_fake.sessions.values()

    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        assert course_payments.courses_lapse_unpaid() == 0, "not due yet"
    later = NOW + timedelta(minutes=settings.COURSE_PAYMENT_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        assert release_lapsed_holds() == 1, "beat's sweep of lapsed holds lapses it"
        assert course_payments.courses_lapse_unpaid() == 0
        provider.calls_sweep()

    course.refresh_from_db()
    assert course.lapsed_at is not None and not course.usable
    assert stripe_fake.sessions[session["id"]]["status"] == "expired"
    assert usable(world, olivia) == []
    with pytest.raises(CourseRefused):
        course_mark_paid(client_course=course, method="cash", by=None)
    assert "You have no courses." in text(browser.get("/my/"))
    assert receipts(course) == [] and stripe_fake.charges == []


def test_a_payment_made_as_the_course_lapsed_is_refunded(world, offer, olivia, stripe_fake):
    buy(signed_in(Browser(), olivia.email), offer)
    course = ClientCourse.objects.get(client=olivia)
    [session] = stripe_fake.sessions.values()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        course_payments.courses_lapse_unpaid()  # the expiry has not reached Stripe yet
    events = stripe_fake.pay(session["id"])

    assert deliver(stripe_fake, [*stripe_fake.take_events(), events[0]]) == [200] * 3
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        provider.calls_sweep()

    course.refresh_from_db()
    assert not course.is_paid and receipts(course) == []
    [refund] = ProviderCall.objects.filter(kind="refund")
    assert refund.client_course == course and refund.status == ProviderCall.Status.SENT
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [85000]


def test_a_course_paid_at_the_desk_gets_one_receipt(world, offer, olivia, manager):
    course = course_buy(client=olivia, offer=offer, by=manager)
    assert receipts(course) == []

    course_mark_paid(client_course=course, method="cash", by=manager)
    with pytest.raises(AlreadyPaid):
        course_mark_paid(client_course=course, method="cash", by=manager)

    [receipt] = receipts(course)
    assert receipt.data["amount"] == "850.00 GBP" and receipt.data["method"] == "Cash"
    assert receipt.data["course"]["name"] == "Ten facial massages"
    assert "(Cash)" in render(receipt).text


def test_the_desk_page_records_a_payment_with_its_receipt(world, offer, olivia, manager):
    course = course_buy(client=olivia, offer=offer, by=manager)
    desk = Browser()
    desk.force_login(manager)
    url = f"/staff/clients/{olivia.pk}/courses/{course.pk}/paid/"
    desk.post(url, {"method": "card_at_desk"})
    desk.post(url, {"method": "card_at_desk"})
    [receipt] = receipts(course)
    assert receipt.data["method"] == "Card at the desk"


def test_without_card_payments_a_course_bought_online_is_usable_and_paid_at_the_desk(
    world, offer, olivia
):
    browser = signed_in(Browser(), olivia.email)
    answer = buy(browser, offer)

    course = ClientCourse.objects.get(client=olivia)
    assert answer["Location"] == "/my/#courses"
    assert not ProviderCall.objects.exists()
    assert course.card_until is None and course.usable and not course.is_paid
    assert usable(world, olivia) == [course]
    assert "pay at the clinic on your first visit" in text(browser.get("/my/"))
    assert receipts(course) == []


def test_a_webhook_for_a_course_that_is_not_ours_changes_nothing(world, offer, stripe_fake):
    intent = {
        "id": "pi_other",
        "object": "payment_intent",
        "amount": 85000,
        "amount_received": 85000,
        "currency": "gbp",
        "metadata": {"lumiere_purpose": "course", "lumiere_course": "nine"},
    }
    assert deliver(stripe_fake, [stripe_fake.event("payment_intent.succeeded", intent)]) == [200]
    assert ProviderEvent.objects.get().outcome == "ignored: not ours"
    assert not Message.objects.exists()


def test_the_api_lists_a_course_paid_by_card_and_not_one_that_lapsed(
    world, offer, olivia, stripe_fake
):
    browser = signed_in(Browser(), olivia.email)
    buy(browser, offer)
    stripe_fake.go_down()
    buy(browser, offer)  # lapses at once
    stripe_fake.come_back()
    paid_session = next(s for s in stripe_fake.sessions.values() if s["status"] == "open")
    stripe_fake.pay(paid_session["id"])
    deliver(stripe_fake, stripe_fake.take_events())

    listed = logged_in(olivia.user).get("/api/v1/me/courses/").json()
    assert [(c["id"], c["paid"]) for c in listed] == [
        (ClientCourse.objects.get(lapsed_at=None).pk, True)
    ]


def test_paid_at_the_desk_while_its_card_payment_waits_closes_the_payment_page(
    world, offer, olivia, stripe_fake, manager
):
    buy(signed_in(Browser(), olivia.email), offer)
    course = ClientCourse.objects.get(client=olivia)
    [session] = stripe_fake.sessions.values()
    desk = Browser()
    desk.force_login(manager)

    desk.post(f"/staff/clients/{olivia.pk}/courses/{course.pk}/paid/", {"method": "cash"})
    provider.calls_sweep()

    course.refresh_from_db()
    assert course.is_paid and course.paid_method == "cash" and course.usable
    assert stripe_fake.sessions[session["id"]]["status"] == "expired"
    [receipt] = receipts(course)
    assert receipt.data["method"] == "Cash"


def test_a_course_refund_stuck_at_stripe_is_on_the_problems_page_and_settled_there(
    world, offer, olivia, stripe_fake, manager
):
    buy(signed_in(Browser(), olivia.email), offer)
    [session] = stripe_fake.sessions.values()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        course_payments.courses_lapse_unpaid()
    deliver(stripe_fake, [*stripe_fake.take_events(), stripe_fake.pay(session["id"])[0]])
    stripe_fake.go_down()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        provider.calls_sweep()  # the course's refund is tried, and Stripe does not answer
    [refund] = ProviderCall.objects.filter(kind="refund")
    desk = Browser()
    desk.force_login(manager)

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        page = text(desk.get("/staff/payments/problems/"))
        desk.post(
            f"/staff/payments/problems/{refund.pk}/resolve/",
            {"reason": "Refunded in cash at the desk"},
        )

    assert "Course: Ten facial massages" in page and "Olivia Turner" in page
    admin = Browser()
    admin.force_login(factories.StaffFactory(username="root", is_superuser=True))
    assert "the course Ten facial massages" in text(admin.get("/admin/money/providercall/"))
    refund.refresh_from_db()
    assert refund.status == ProviderCall.Status.CANCELLED
    entry = AuditEntry.objects.get(details__call=refund.pk)
    assert entry.details["reference"] == "the course Ten facial massages"
    assert entry.client_id == olivia.pk
