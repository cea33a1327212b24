"""Courses bought online and paid by card (Stripe): the glue between courses and money, which
do not import each other.

1. `course_buy_by_card` buys the course (unusable until paid, courses/services.py) and plans
   its Checkout Session as a ProviderCall in the same transaction; `checkout_open`, once that
   commits, makes the call at once (the client waits for the payment page). When Stripe cannot
   be reached the course lapses at once (`checkout_failed`): it was never usable, nothing is
   charged, and a session Stripe may have made is expired; the client tries again later or
   buys it at the desk.
2. Stripe's webhook (diary/deposits.py `webhook_receive`, purpose "course") calls
   `course_paid`: the course is paid once (the PaymentIntent's id is its payment reference,
   unique), usable, and its receipt planned, in the webhook's transaction.
3. A course not paid by its `card_until` (COURSE_PAYMENT_MINUTES) is lapsed by
   `courses_lapse_unpaid` (Celery beat, with the holds' sweep), its Checkout expired.
Paid at the desk meanwhile (`course_paid_at_desk`), its Checkout is expired; a payment that
comes for a course lapsed, or paid otherwise meanwhile, is refunded in full.

Without Stripe keys nothing here is used: a course bought online is reserved, usable at once,
and paid at the desk.
"""

import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.models import Client
from courses.errors import CourseRefused
from courses.models import ClientCourse, CourseOffer
from courses.services import course_buy, course_lapse, course_mark_paid
from money import provider, stripe_api
from money.currency import minor_unit
from money.models import ProviderCall
from money.services import card_save

COURSE = "course"
# Stripe accepts a Checkout Session's expiry from 30 minutes on; the lapse expires the
# session explicitly whenever it comes.
CHECKOUT_MIN_SECONDS = 31 * 60


def pays_by_card(offer: CourseOffer) -> bool:
    """Buying `offer` online asks for a card: card payments are on and it costs something."""
    return stripe_api.enabled() and offer.price > 0


def course_buy_by_card(
    *, client: Client, offer: CourseOffer, by, now: datetime | None = None
) -> ClientCourse:
    """`client` buys `offer` online, to pay by card now: the course (unusable until paid) and
    its Checkout call, in one transaction. The caller opens the page (`checkout_open`)."""
    now = now or timezone.now()
    until = now + timedelta(minutes=settings.COURSE_PAYMENT_MINUTES)
    with transaction.atomic():
        course = course_buy(client=client, offer=offer, by=by, card_until=until, now=now)
        back = settings.SITE_URL.rstrip("/") + reverse("online:my") + "#courses"
        clinic = offer.clinic
        provider.plan(
            kind=ProviderCall.Kind.CHECKOUT,
            client_course=course,
            amount=course.price,
            currency=course.currency,
            enqueue=False,  # made by the request waiting for it
            payload={
                "email": client.email,
                "reference": f"course-{course.pk}",
                "currency": course.currency,
                "amount_minor": stripe_api.minor(course.price, course.currency),
                "description": f"{course.name}, {course.sessions_total} sessions, {clinic.name}",
                "metadata": {"lumiere_purpose": COURSE, "lumiere_course": str(course.pk)},
                "expires_at": int(max(until.timestamp(), time.time() + CHECKOUT_MIN_SECONDS)),
                "success_url": back,
                "cancel_url": back,
            },
        )
    return course


def _checkout(course: ClientCourse) -> ProviderCall | None:
    calls = ProviderCall.objects.filter(
        client_course=course, kind=ProviderCall.Kind.CHECKOUT, status__in=provider.LIVE
    )
    return next((c for c in calls.order_by("-pk") if not c.result.get("released")), None)


def checkout_open(course: ClientCourse) -> str | None:
    """The address of the course's payment page, making the planned call now if nobody has
    (never inside a transaction: it waits on Stripe). None: Stripe could not be reached."""
    call = _checkout(course)
    answer = provider.answer_of(call) if call is not None else None
    return answer.get("url") if answer else None


def payment_url(course: ClientCourse) -> str | None:
    """The open payment page of a course waiting for its card payment, if any."""
    if not course.awaits_card:
        return None
    call = _checkout(course)
    return call.result.get("url") if call is not None else None


def course_paid_at_desk(*, client_course: ClientCourse, method: str, by) -> ClientCourse:
    """Staff record a course's payment taken at the desk (courses/services.py checks who
    may, and plans the receipt); a payment page still open for it is closed in the same
    transaction, so the client cannot pay twice (a payment that beats the close is
    refunded by the webhook)."""
    with transaction.atomic():
        course = course_mark_paid(client_course=client_course, method=method, by=by)
        provider.checkout_release(client_course=course)
    return course


def checkout_failed(course: ClientCourse) -> None:
    """Stripe could not be reached while buying: the course lapses now (it was never
    usable) and its Checkout is released, so nothing can be charged for it."""
    with transaction.atomic():
        if course_lapse(client_course=course, early=True):
            provider.checkout_release(client_course=course)


def courses_lapse_unpaid(*, now: datetime | None = None) -> int:
    """Lapse every course bought by card and not paid by its `card_until`, and expire its
    Checkout (Celery beat, with the holds' sweep). How many lapsed."""
    now = now or timezone.now()
    due = ClientCourse.objects.filter(
        card_until__lt=now, paid_at__isnull=True, lapsed_at__isnull=True
    )
    lapsed = 0
    for course in due.only("pk")[:500]:
        with transaction.atomic():
            if course_lapse(client_course=course, now=now):
                provider.checkout_release(client_course=course)
                lapsed += 1
    return lapsed


# -- Stripe's webhook (diary/deposits.py dispatches here, in its transaction) ------------------


def _amount(intent: dict, currency: str) -> Decimal:
    unit = minor_unit(currency)
    received = intent.get("amount_received") or intent.get("amount") or 0
    return (Decimal(int(received)) * unit).quantize(unit)


def course_paid(intent: dict) -> str:
    """A course's PaymentIntent succeeded: the course is paid (once), its receipt planned;
    a payment for a course lapsed or paid otherwise is refunded. What it did, for the log."""
    course_id = str((intent.get("metadata") or {}).get("lumiere_course", ""))
    course = (
        ClientCourse.objects.select_for_update(of=("self",))
        .select_related("clinic")
        .filter(pk=int(course_id) if course_id.isdigit() else 0)
        .first()
    )
    if course is None or not intent.get("id"):
        return "ignored: not ours"
    if course.payment_reference == intent["id"]:
        return "course already paid"
    amount = _amount(intent, course.currency)
    if course.is_paid or course.lapsed_at is not None:
        return _refund(course, intent["id"], amount)
    try:
        course_mark_paid(
            client_course=course,
            method=ClientCourse.Method.CARD_ONLINE,
            reference=intent["id"],
        )
    except CourseRefused:
        return _refund(course, intent["id"], amount)
    card_save(
        client_id=course.client_id,
        clinic_id=course.clinic_id,
        customer=intent.get("customer") or "",
        payment_method=intent.get("payment_method") or "",
    )
    return "course paid"


def _refund(course: ClientCourse, payment_intent: str, amount: Decimal) -> str:
    """Refund in full a card payment the course did not need (planned once per payment)."""
    planned = ProviderCall.objects.filter(
        client_course=course,
        kind=ProviderCall.Kind.REFUND,
        payload__payment_intent=payment_intent,
    ).exists()
    if not planned and amount > 0:
        why = "course lapsed unpaid" if course.lapsed_at else "course already paid"
        provider.plan(
            kind=ProviderCall.Kind.REFUND,
            client_course=course,
            amount=amount,
            currency=course.currency,
            payload={"payment_intent": payment_intent, "reason": why},
        )
    return "refunded: the course was lapsed or paid already"
