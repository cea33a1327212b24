"""Every write of courses: a course bought (online, reserved and paid at the desk until a
card provider is configured, else paid by card; or sold at the desk), marked paid (with its
receipt planned), lapsed when its card payment never came, and its sessions booked,
used, burned or given back as diary/services.py books, completes, cancels or marks a
no-show, in that change's transaction.

One lock per course: every count of its sessions is read under its ClientCourse row lock
(`_locked`), so two completions at once cannot use one session twice; the unique session
number (course_session_number_once) is the database's backstop. Lock order: an
appointment's row (or its practitioner's, when booking) before its course's, never after.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

import access
from aftercare.models import Message
from aftercare.planning import cancel_pending, local_morning, morning_after, save_new
from bookings.models import Appointment
from clinic.audit import acting_user
from clinic.models import Client, Treatment
from courses import validity
from courses.errors import AlreadyPaid, CourseRefused, CourseUsedUp, NotAllowed
from courses.models import ClientCourse, CourseChange, CourseOffer, Redemption
from courses.selectors import USED

SELL = access.BOOK  # who books for clients sells them a course
RECORD = "money.record_payment"  # who records a payment at the desk records a course's
# The "your course expires soon" email goes this many days before the last day.
EXPIRY_NOTICE_DAYS = 14


def may_sell(user, clinic) -> bool:
    return access.can(user, SELL, clinic)


def may_record(user, clinic) -> bool:
    return access.can(user, RECORD, clinic)


def _locked(course_id: int) -> ClientCourse:
    """The course's row, locked until the caller's transaction ends: its sessions are
    counted and changed one caller at a time."""
    return ClientCourse.objects.select_for_update(of=("self",)).get(pk=course_id)


def _counts(course: ClientCourse) -> tuple[int, int]:
    """(used, booked), read while holding the course's lock."""
    used = booked = 0
    for status in course.redemptions.values_list("status", flat=True):
        if status in USED:
            used += 1
        elif status == Redemption.Status.BOOKED:
            booked += 1
    return used, booked


def _history(course, action, *, by=None, appointment=None, note="") -> None:
    CourseChange.objects.create(
        client_course=course,
        action=action,
        by=acting_user(by),
        appointment=appointment,
        note=note[:200],
    )


# -- buying and paying ------------------------------------------------------------------------


def course_buy(
    *,
    client: Client,
    offer: CourseOffer,
    by,
    card_until: datetime | None = None,
    now: datetime | None = None,
) -> ClientCourse:
    """`client` buys `offer`: at the desk when `by` is staff who book at its clinic, else
    online by the client themself (the caller has checked that `by` is signed in as
    `client`). Unpaid until course_mark_paid. Plans "your course expires soon".

    `card_until` (online, card payments on): it is paid by card, unusable until then, and
    lapses unpaid after it (diary/course_payments.py plans the payment in this transaction)."""
    now = now or timezone.now()
    clinic = offer.clinic
    staff = access.is_staff_at(by, clinic)
    if access.is_staff(by) and not may_sell(by, clinic):
        raise NotAllowed("Your role does not sell courses.")
    if not offer.active:
        raise CourseRefused("This course is not offered any more.")
    if client.organisation_id != clinic.organisation_id:
        raise CourseRefused("This course is sold by another business.")
    with transaction.atomic():
        course = ClientCourse.objects.create(
            client=client,
            clinic=clinic,
            offer=offer,
            name=offer.name,
            treatment=offer.treatment,
            category=offer.category,
            sessions_total=offer.sessions,
            price=offer.price,
            currency=offer.currency or clinic.currency,
            late_cancel_burns=offer.late_cancel_burns,
            no_show_burns=offer.no_show_burns,
            channel=ClientCourse.Channel.STAFF if staff else ClientCourse.Channel.ONLINE,
            bought_at=now,
            expires_at=validity.expiry(
                bought_at=now, validity=offer.validity, unit=offer.validity_unit, tz=clinic.tzinfo
            ),
            bought_by=acting_user(by),
            card_until=card_until if not staff else None,
        )
        _history(course, CourseChange.Action.BOUGHT, by=by)
        _plan_expiry_notice(course, now=now)
    return course


def course_mark_paid(
    *,
    client_course: ClientCourse,
    method: str,
    by=None,
    reference: str = "",
    now: datetime | None = None,
) -> ClientCourse:
    """The one place a course becomes paid: staff recording a payment at the desk, or (by
    None, method CARD_ONLINE, with the provider's `reference`) a card payment confirmed by
    the provider. A second call finds it paid (AlreadyPaid) and changes nothing."""
    if by is not None and not may_record(by, client_course.clinic_id):
        raise NotAllowed("Your role does not record payments.")
    if method not in ClientCourse.Method.values:
        raise CourseRefused(f"Choose one of: {', '.join(ClientCourse.Method.values)}.")
    with transaction.atomic():
        course = _locked(client_course.pk)
        if course.is_paid:
            raise AlreadyPaid()
        if course.lapsed_at is not None:
            raise CourseRefused("This course lapsed unpaid and cannot be used: sell it again.")
        course.paid_at = now or timezone.now()
        course.paid_method = method
        course.payment_reference = reference
        course.paid_by = acting_user(by)
        course.save(update_fields=["paid_at", "paid_method", "payment_reference", "paid_by"])
        _history(course, CourseChange.Action.PAID, by=by, note=course.get_paid_method_display())
        _plan_receipt(course)
    return course


def course_lapse(
    *, client_course: ClientCourse, now: datetime | None = None, early: bool = False
) -> bool:
    """A course bought by card and not paid by its `card_until` (or `early`: its payment
    could not even start) lapses: never usable, its emails dropped. False (nothing changed)
    if it is paid, lapsed already, or not due."""
    now = now or timezone.now()
    with transaction.atomic():
        course = _locked(client_course.pk)
        if not course.awaits_card or (course.card_until > now and not early):
            return False
        course.lapsed_at = now
        course.save(update_fields=["lapsed_at"])
        _history(course, CourseChange.Action.LAPSED, note="Not paid by card in time")
        cancel_pending(
            Message.objects.filter(key__startswith=course_key(course, "")),
            reason="The course lapsed unpaid.",
        )
    return True


# -- its sessions, as the diary changes appointments ------------------------------------------


def check_usable(course: ClientCourse, *, client: Client, treatment: Treatment, start) -> None:
    """Refuse a course that cannot pay for `treatment` at `start` for `client` (not the
    count of its sessions: that is read under its lock)."""
    if course.client_id != client.pk:
        raise CourseRefused("That course is not this client's.")
    if course.lapsed_at is not None:
        raise CourseRefused(f"{course.name} was not paid in time and cannot be used.")
    if course.awaits_card:
        raise CourseRefused(f"{course.name} can be used once it is paid.")
    if not course.covers(treatment):
        raise CourseRefused(f"{course.name} is not for {treatment.name}.")
    if start >= course.expires_at:
        raise CourseRefused(f"{course.name} expires before this appointment.")


def session_book(*, appointment: Appointment, client_course: ClientCourse, by=None) -> Redemption:
    """Put a session of the course on `appointment`, just written in the caller's
    transaction: the course pays for it (its discount is its whole price)."""
    course = _locked(client_course.pk)
    check_usable(
        course, client=appointment.client, treatment=appointment.treatment, start=appointment.start
    )
    used, booked = _counts(course)
    if used + booked >= course.sessions_total:
        raise CourseUsedUp()
    redemption = Redemption.objects.create(client_course=course, appointment=appointment)
    _history(course, CourseChange.Action.BOOKED, by=by, appointment=appointment)
    return redemption


def covered_discount(*, price, client_course: ClientCourse) -> dict:
    """The appointment fields of a visit the course pays for: its price as booked, all of
    it taken off, and why."""
    return {"discount": price, "discount_reason": f"Course: {client_course.name}"}


def _booked_session(appointment: Appointment) -> Redemption | None:
    return (
        Redemption.objects.filter(appointment=appointment, status=Redemption.Status.BOOKED)
        .only("pk", "client_course_id")
        .first()
    )


def on_completed(appointment: Appointment, *, by=None, now: datetime | None = None) -> None:
    """The appointment was just completed (in the caller's transaction, under its row lock):
    use its session, under the course's lock. A course whose sessions are all used by now
    (CourseUsedUp) refuses, and the completion rolls back."""
    booked = _booked_session(appointment)
    if booked is None:
        return
    now = now or timezone.now()
    course = _locked(booked.client_course_id)
    redemption = Redemption.objects.get(pk=booked.pk)
    if redemption.status != Redemption.Status.BOOKED:
        return
    used, _ = _counts(course)
    if used >= course.sessions_total:
        raise CourseUsedUp("Every session of this course is used: complete it without the course.")
    _settle(redemption, course, Redemption.Status.REDEEMED, number=used + 1, by=by, now=now)
    _plan_next_session(course, appointment, done=used + 1, now=now)


def on_cancelled(
    appointment: Appointment, *, by_clinic: bool, by=None, now: datetime | None = None
) -> None:
    """Cancelled (in the caller's transaction): by the clinic, the session comes back; by or
    for the client inside the clinic's cancellation window, it is used up if the course
    says so, else it comes back."""
    now = now or timezone.now()
    window = timedelta(hours=appointment.clinic.cancellation_window_hours)
    late = not by_clinic and appointment.start - now < window
    _release(appointment, burn=lambda course: late and course.late_cancel_burns, by=by, now=now)


def on_no_show(appointment: Appointment, *, by=None, now: datetime | None = None) -> None:
    _release(appointment, burn=lambda course: course.no_show_burns, by=by, now=now)


def _release(appointment, *, burn, by, now) -> None:
    booked = _booked_session(appointment)
    if booked is None:
        return
    course = _locked(booked.client_course_id)
    redemption = Redemption.objects.get(pk=booked.pk)
    if redemption.status != Redemption.Status.BOOKED:
        return
    if burn(course):
        used, _ = _counts(course)
        _settle(redemption, course, Redemption.Status.BURNED, number=used + 1, by=by, now=now)
    else:
        _settle(redemption, course, Redemption.Status.RETURNED, number=None, by=by, now=now)


ACTIONS = {
    Redemption.Status.REDEEMED: CourseChange.Action.REDEEMED,
    Redemption.Status.BURNED: CourseChange.Action.BURNED,
    Redemption.Status.RETURNED: CourseChange.Action.RETURNED,
}


def _settle(redemption, course, status, *, number, by, now) -> None:
    redemption.status, redemption.number, redemption.settled_at = status, number, now
    redemption.save(update_fields=["status", "number", "settled_at"])
    note = f"Session {number} of {course.sessions_total}" if number else ""
    _history(course, ACTIONS[status], by=by, appointment=redemption.appointment, note=note)


# -- messages ---------------------------------------------------------------------------------


def course_key(course: ClientCourse, kind: str, *suffix) -> str:
    return ":".join(str(part) for part in ("course", course.pk, kind, *suffix))


def _facts(course: ClientCourse) -> dict:
    last_day = course.last_day
    return {
        "course_id": course.pk,
        "course": {
            "name": course.name,
            "sessions": course.sessions_total,
            "last_day": f"{last_day:%A} {last_day.day} {last_day:%B %Y}",
        },
    }


def _plan_receipt(course: ClientCourse) -> None:
    """The receipt, in the payment's transaction (the course's key: sent once)."""
    facts = _facts(course)
    facts.update(
        amount=f"{course.price} {course.currency}",
        method=course.get_paid_method_display(),
        paid_at=course.paid_at.isoformat(),
    )
    save_new(
        [
            Message(
                key=course_key(course, Message.Kind.COURSE_RECEIPT),
                clinic_id=course.clinic_id,
                client_id=course.client_id,
                treatment_id=course.treatment_id,
                kind=Message.Kind.COURSE_RECEIPT,
                due_at=timezone.now(),
                data=facts,
            )
        ]
    )


def _plan_expiry_notice(course: ClientCourse, *, now: datetime) -> None:
    """ "Your course expires soon", EXPIRY_NOTICE_DAYS before its last day; none for a course
    shorter than that. Checked again when due (courses/notices.py)."""
    tz = course.clinic.tzinfo
    due = local_morning(day=course.last_day - timedelta(days=EXPIRY_NOTICE_DAYS), tz=tz)
    if due <= now:
        return
    save_new(
        [
            Message(
                key=course_key(course, Message.Kind.COURSE_EXPIRING),
                clinic_id=course.clinic_id,
                client_id=course.client_id,
                treatment_id=course.treatment_id,
                kind=Message.Kind.COURSE_EXPIRING,
                due_at=due,
                data=_facts(course),
            )
        ]
    )


def _plan_next_session(course, appointment, *, done: int, now: datetime) -> None:
    """ "Book session n of N" at the treatment's cadence after a session used, while any is
    left; it replaces the generic rebooking nudge of that visit."""
    treatment = appointment.treatment
    if done >= course.sessions_total or not treatment.rebook_after_days:
        return
    cancel_pending(
        appointment.messages.filter(kind=Message.Kind.REBOOK),
        reason="The course's own message asks for the next session.",
    )
    if appointment.client.unsubscribed_at is not None:
        return
    due = max(
        now,
        morning_after(
            start=appointment.start, days=treatment.rebook_after_days, tz=course.clinic.tzinfo
        ),
    )
    facts = _facts(course)
    facts["course"]["session"] = done + 1
    save_new(
        [
            Message(
                key=course_key(course, Message.Kind.COURSE_NEXT, done + 1),
                clinic_id=course.clinic_id,
                client_id=course.client_id,
                appointment=appointment,
                treatment_id=appointment.treatment_id,
                kind=Message.Kind.COURSE_NEXT,
                due_at=due,
                data=facts,
            )
        ]
    )


def pays_for(appointment: Appointment) -> bool:
    """A session of a course is (or was) on this appointment."""
    return Redemption.objects.filter(appointment=appointment).exists()
