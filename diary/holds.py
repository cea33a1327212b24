"""Bookings asked for by someone who has not proved their email: the time is held, nothing
is written to anyone's record, and the owner of the address confirms from the emailed link.

Why: an email typed into a form proves nothing. If the booking were made at once, whoever
typed a client's address would book as that client (and write their declarations onto the
client's record), and the rules' answers would tell them about the client's record. So an
anonymous booking (pages or API, anyone but a signed-in client or the clinic's staff):

1. is checked against what the caller declared in this request only (`check_eligibility`
   with no record): a refusal or a warning from their own answers is given in full, as it
   is the same for any address;
2. holds the slot: an appointment with no client, HELD until `held_until` (HOLD_MINUTES),
   claimed like any booking, so the exclusion constraints count it and nobody else can book
   the time; the request (name, address, phone, declarations) waits beside it in a
   BookingRequest;
3. emails the address a link to confirm (aftercare planning `on_held`). The answer to the
   caller is the same whether the address is new, a client's, or a client whose record
   refuses or warns: "held, check your email".

Confirming (`hold_confirm`, by the signed-in owner of the address: the link signs them in)
runs the rules on the client's whole record plus the declarations, now for someone who may
see the record: a refusal gives its reasons and dates and releases the hold; warnings are
shown to acknowledge; otherwise the same appointment becomes the client's CONFIRMED booking
(the client made if new), the declarations join the record, and the usual emails are
planned. A hold not confirmed in time is released by `holds_release_lapsed` (Celery beat);
a link opened a little after that still books the time if it is free.

With card payments on and a deposit asked by the payment policy, confirming first gets the
deposit's payment page from Stripe (released, nothing written, if Stripe cannot be reached),
then binds the hold to its client but keeps it HELD until the deposit is paid
(diary/deposits.py): the caller sends the client to the payment page, and Stripe's webhook
confirms the booking. A signed-in client's own booking held for its deposit gets its page
the same way (`deposit_page`).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aftercare import planning
from aftercare.services import sms_opt_in
from bookings.db import insert, is_postgresql
from bookings.history import change_record
from bookings.models import Appointment, AppointmentChange, BookingRequest
from bookings.signoff import signoff_sync
from clinic.audit import Origin, acting_user
from clinic.models import Practitioner, SmsConsentSource, Treatment
from clinic.selectors import client_by_email
from clinic.services import client_get_or_create
from clinic.sql import practitioner_of
from clinical.rules import Declared
from clinical.services import appointments_recheck, declared_check, declared_store
from consent.planning import plan_forms_reminder
from diary import deposits, sql
from diary.errors import (
    EligibilityRefused,
    HoldGone,
    PaymentUnavailable,
    SlotUnavailable,
    TooManyHolds,
    WarningsNotAcknowledged,
)
from diary.reservation import SlotRequest, claim_first, free_practitioners, unavailable
from diary.services import (
    Booked,
    _hold,
    _locked,
    _practitioner,
    check_eligibility,
    drawn_id,
    rules_and_diary,
    written_with_holds,
)
from money import provider
from money.prices import booked_price


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str = ""
    sms_opt_in: bool = False  # ticked "text me a reminder" on the booking form


def declared_data(declared: Declared | None) -> dict:
    """`declared` as JSON for the BookingRequest (dates as ISO strings)."""
    if declared is None:
        return {}
    return {
        "injectables": [
            {**item, "date": item["date"].isoformat()} for item in declared.injectables
        ],
        "conditions": list(declared.conditions),
    }


def declared_from(data: dict) -> Declared:
    return Declared(
        injectables=[
            {**item, "date": date.fromisoformat(item["date"])}
            for item in data.get("injectables", [])
        ],
        conditions=list(data.get("conditions", [])),
    )


def _check_not_flooding(email: str, *, since: datetime, recent: int | None = None) -> None:
    """Each hold emails the address given, which nobody has proved is the caller's: at most
    HOLDS_PER_ADDRESS_PER_HOUR holds per address `since` an hour ago, so the form cannot be
    used to flood an inbox (the per-IP rate limits apply besides). `recent`: their number,
    when the caller read it (sql.RECENT_HOLDS_COUNT, with the rules)."""
    if recent is None:
        recent = BookingRequest.objects.filter(
            email__iexact=email.strip(), created_at__gte=since
        ).count()
    if recent >= settings.HOLDS_PER_ADDRESS_PER_HOUR:
        raise TooManyHolds()


def appointment_hold(
    *,
    treatment: Treatment,
    start: datetime,
    contact: Contact,
    practitioner: Practitioner | None = None,
    declared: Declared | None = None,
    acknowledge_warnings: bool = False,
    by=None,
    now: datetime | None = None,
) -> Booked:
    """Hold `treatment` at `start` for the owner of `contact.email` to confirm. The online
    booking window applies. Raises TooManyHolds, SlotUnavailable, InjectionDateInFuture, or a
    refusal or WarningsNotAcknowledged that comes from `declared` alone; returns the held
    appointment and the warnings acknowledged."""
    now = now or timezone.now()
    clinic = treatment.clinic
    declared_check(declared, clinic=clinic)
    request = SlotRequest(
        treatment=treatment,
        start=start,
        online=True,
        now=now,
        practitioner_id=practitioner.pk if practitioner else None,
    )
    # On PostgreSQL in one round trip: the address's recent holds, the day's diary, the
    # rules (no record: the caller has not shown whose it is; no prerequisites, which are
    # checked on confirming, with the client's appointments) and the id the held
    # appointment will have (written with its other rows in one round trip). They decide
    # in turn: the address's holds, the slot, the rules.
    since = now - timedelta(hours=1)
    reads = (sql.NEXT_APPOINTMENT_ID, sql.RECENT_HOLDS_COUNT) if is_postgresql() else ()
    facts, diary = rules_and_diary(
        request,
        client=None,
        also=reads,
        also_params={"email": contact.email.strip(), "since": since},
        with_prerequisites=False,
    )
    _check_not_flooding(
        contact.email, since=since, recent=facts.also[1][0][0] if facts is not None else None
    )
    candidates = free_practitioners(request, diary)
    if not candidates:
        raise unavailable(request)
    outcome = check_eligibility(
        client=None,
        treatment=treatment,
        start=start,
        declared=declared,
        acknowledge_warnings=acknowledge_warnings,
        override_reason=None,
        by=None,
        new_client=True,
        prerequisites_apply=False,
        also=reads,
        facts=facts,
    )
    appointment_id = drawn_id(outcome.also[:1])

    def write(practitioner_id: int, resource_ids: list[int]) -> Appointment:
        end = start + timedelta(minutes=treatment.duration_minutes)
        held = Appointment(
            clinic=clinic,
            client=None,
            treatment=treatment,
            **_practitioner(practitioner, practitioner_id),
            practitioner_requested=practitioner is not None,
            start=start,
            end=end,
            blocked_until=end + timedelta(minutes=treatment.buffer_after_minutes),
            status=Appointment.Status.HELD,
            held_until=now + timedelta(minutes=settings.HOLD_MINUTES),
            channel=Appointment.Channel.ONLINE,
            **booked_price(treatment),
            created_by=acting_user(by),
            changed_by=acting_user(by),
        )
        # It, its request, history line and outbox row go with its holds, in one round trip
        # on PostgreSQL (bookings/db.py together), as a booking's do (services.appointment_book).
        with written_with_holds(held, appointment_id) as writes:
            insert(
                [
                    BookingRequest(
                        appointment=held,
                        name=contact.name.strip(),
                        email=contact.email.strip(),
                        phone=contact.phone.strip(),
                        sms_opt_in=contact.sms_opt_in,
                        declared=declared_data(declared),
                    )
                ]
            )
            change_record(
                held,
                action=AppointmentChange.Action.HELD,
                by=by,
                channel=Appointment.Channel.ONLINE,
                details={"warnings": outcome.warnings},
            )
            planning.on_held(held, to=contact.email.strip())
            _hold(held, resource_ids, writes)
        return held

    held = claim_first(request, candidates, write)
    practitioner_of(held)  # the answer names them
    return Booked(held, tuple(outcome.warnings))


def hold_confirm(
    *,
    appointment: Appointment,
    by,
    acknowledge_warnings: bool = False,
    origin: Origin | None = None,
    now: datetime | None = None,
) -> Booked:
    """The owner of the address confirms their held booking; `by` is their signed-in login,
    so the rules speak to them in full. A second confirmation returns the booking as it is.
    Raises HoldGone, SlotUnavailable (a lapsed hold whose time was taken since), a refusal
    (the hold is released) or WarningsNotAcknowledged (the hold stays)."""
    now = now or timezone.now()
    with transaction.atomic():
        held = _locked(appointment)
        wish = BookingRequest.objects.get(appointment=held)
    if held.status == Appointment.Status.CONFIRMED and wish.outcome == wish.Outcome.CONFIRMED:
        return Booked(held)
    if deposits.is_waiting_for_deposit(held):
        return Booked(held)  # confirmed by its owner already, waiting for the deposit
    if wish.outcome not in (wish.Outcome.WAITING, wish.Outcome.LAPSED):
        raise HoldGone()
    clinic, treatment = held.clinic, held.treatment
    declared = declared_from(wish.declared)
    request = SlotRequest(
        treatment=treatment,
        start=held.start,
        online=True,
        now=wish.created_at,  # the booking window was met when they asked
        practitioner_id=held.practitioner_id if held.practitioner_requested else None,
        exclude_appointment_id=held.pk,
    )
    candidates = free_practitioners(request)
    candidates.prefer(held.practitioner_id)
    if not candidates:
        hold_release(held, outcome=BookingRequest.Outcome.LAPSED, now=now)
        raise unavailable(request)
    existing = client_by_email(organisation_id=clinic.organisation_id, email=wish.email)
    try:
        outcome = check_eligibility(
            client=existing,
            treatment=treatment,
            start=held.start,
            declared=declared,
            acknowledge_warnings=acknowledge_warnings,
            override_reason=None,
            by=by,
            new_client=existing is None,
        )
    except WarningsNotAcknowledged:
        raise  # the hold stays while they read the warnings
    except EligibilityRefused:
        hold_release(held, outcome=BookingRequest.Outcome.REFUSED, now=now)
        raise
    # A deposit to pay (or a card to save for fees): its payment page is had from Stripe
    # before anything is written for the client, so Stripe down leaves nothing behind but
    # the released hold.
    if deposits.deposit_plan(held, email=wish.email, client=existing, now=now):
        _payment_page(held, now=now)

    def write(practitioner_id: int, resource_ids: list[int]) -> Appointment:
        locked = _locked(held)
        if locked.status not in (Appointment.Status.HELD, Appointment.Status.EXPIRED):
            raise HoldGone()
        client, _ = client_get_or_create(
            clinic=clinic, name=wish.name, email=wish.email, phone=wish.phone
        )
        locked.resource_holds.all().delete()
        _hold(locked, resource_ids)
        previous = locked.status
        locked.client = client
        locked.practitioner_id = practitioner_id
        locked.held_until = None
        deposit = deposits.deposit_hold(locked, now=now)  # sets held_until when one is asked
        locked.status = Appointment.Status.HELD if deposit else Appointment.Status.CONFIRMED
        locked.changed_by = acting_user(by)
        locked.save(
            update_fields=[
                "client",
                "practitioner",
                "status",
                "held_until",
                "changed_by",
                "updated_at",
            ]
        )
        # Waiting for a deposit, the request stays open (a lapse releases it as any hold).
        BookingRequest.objects.filter(pk=wish.pk).update(
            outcome=wish.outcome if deposit else BookingRequest.Outcome.CONFIRMED,
            decided_at=None if deposit else now,
        )
        change_record(
            locked,
            action=AppointmentChange.Action.HELD if deposit else AppointmentChange.Action.BOOKED,
            by=by,
            channel=Appointment.Channel.ONLINE,
            from_status=previous,
            details={"warnings": outcome.warnings, "confirmed_from_hold": True} | deposit,
        )
        signoff_sync(locked, reasons=outcome.approvals)
        if not deposit:  # else once paid (diary/deposits.py)
            planning.on_booked(locked)
            plan_forms_reminder(locked)
        if wish.sms_opt_in:  # the address's owner confirmed what the form asked for
            # After the reminder is planned: agreeing adds a text to the reminders not sent.
            sms_opt_in(client=client, source=SmsConsentSource.BOOKING_FORM)
        if declared.declares_anything:
            declared_store(client=client, declared=declared, by=by, reference=locked.reference)
            appointments_recheck(client=client, by=by, exclude_id=locked.pk)
        return locked

    try:
        confirmed = claim_first(request, candidates, write)
    except SlotUnavailable:
        hold_release(held, outcome=BookingRequest.Outcome.LAPSED, now=now)
        raise
    return Booked(confirmed, tuple(outcome.warnings), tuple(outcome.cautions))


def _payment_page(held: Appointment, *, now: datetime) -> str:
    """The deposit's payment page, had from Stripe now (its call planned and committed);
    Stripe cannot be reached: the hold is released at once and PaymentUnavailable raised."""
    url = deposits.checkout_open(held)
    if url is None:
        hold_release(held, outcome=BookingRequest.Outcome.LAPSED, now=now)
        raise PaymentUnavailable()
    return url


def deposit_page(booked: Appointment, *, now: datetime | None = None) -> str | None:
    """Once a booking's transaction has committed: for one held for its deposit (a client
    booking online for themself, services.appointment_book `pay_online`), the payment page
    to send them to; None for a booking confirmed. Raises PaymentUnavailable (the time
    released, nothing charged) when Stripe cannot be reached."""
    if not deposits.is_waiting_for_deposit(booked):
        return None
    return _payment_page(booked, now=now or timezone.now())


def hold_release(appointment: Appointment, *, outcome: str, now: datetime | None = None) -> bool:
    """Free a held appointment's time (EXPIRED) and record why; False if it was no longer
    held (confirmed, or released already)."""
    now = now or timezone.now()
    with transaction.atomic():
        held = _locked(appointment)
        BookingRequest.objects.filter(
            appointment=held, outcome=BookingRequest.Outcome.WAITING
        ).update(outcome=outcome, decided_at=now)
        if held.status in (Appointment.Status.HELD, Appointment.Status.EXPIRED):
            provider.checkout_release(held)  # a deposit's payment page, if any, is closed
        if held.status != Appointment.Status.HELD:
            return False
        held.status = Appointment.Status.EXPIRED
        held.save(update_fields=["status", "updated_at"])
        held.resource_holds.update(active=False)
        change_record(
            held,
            action=AppointmentChange.Action.RELEASED,
            by=None,
            channel=Appointment.Channel.ONLINE,
            from_status=Appointment.Status.HELD,
            reason=BookingRequest.Outcome(outcome).label,
        )
        planning.on_released(held)
    return True


def holds_release_lapsed(*, now: datetime | None = None) -> int:
    """Release every hold past its `held_until` (Celery beat, every HOLD_SWEEP_SECONDS)."""
    now = now or timezone.now()
    lapsed = Appointment.objects.filter(status=Appointment.Status.HELD, held_until__lt=now)
    return sum(
        hold_release(held, outcome=BookingRequest.Outcome.LAPSED, now=now)
        for held in lapsed.only("pk")[:500]
    )
