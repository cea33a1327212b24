"""Offering freed time to the waitlist: who is offered it, holding it for them, the first
to accept booking it, and an offer that expires moving on to the next client.

A round (`round_run`, after the commit that freed the time: waitlist/planning.py) reads the
clinic's waiting entries in the fair order, first come first served by the time each joined
(`Entry.created_at`, then its id). For each, in turn:
1. the entry must want this practitioner (or any), and the time must be on its days, at its
   times of day and in its dates;
2. the slot search (availability.find_slots, the booking pages' own) must find its treatment
   bookable with this practitioner on that day, starting inside the freed time;
3. the client's whole record must allow it on that date (diary/services.refusal_reason: the
   waiting periods after injections, conditions, prerequisites, as a booking checks them);
4. the client has had fewer than WAITLIST_OFFERS_PER_CLIENT_PER_DAY offers this clinic-local
   day.
A client who fails 3 or 4 is skipped with the reason recorded (waitlist.models.Skip), for
staff only. The first client who passes decides the slot (treatment and start): it is held
(a HELD appointment, diary/holds.py's state, with held_until) and offered to them and to the
next clients who want the same treatment at the same start and pass too, up to
WAITLIST_OFFERS_PER_SLOT live offers. Each gets an email with a signed, expiring link.

The first to accept (`offer_accept`) turns the hold into their booking, under the hold's row
lock: a second accepting at the same moment waits for the lock, then finds it booked and gets
OfferGone; the others' offers end as GONE and they are emailed that it is gone. Offers past
`expires_at` are ended by `offers_expire` (Celery beat): the hold is released and the round
runs again for the same time, without the clients already offered it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import access
from aftercare import planning
from bookings.history import change_record
from bookings.models import Appointment, AppointmentChange, BookingRequest
from bookings.signoff import signoff_sync
from clinic.audit import acting_user
from clinic.models import Treatment
from consent.planning import plan_forms_reminder
from diary.availability import find_slots
from diary.errors import OfferGone, OfferNotYours, SlotUnavailable
from diary.holds import hold_release
from diary.reservation import SlotRequest, claim_first, free_practitioners
from diary.services import Booked, _hold, _locked, check_eligibility, refusal_reason
from money.prices import booked_price
from waitlist.models import TIME_OF_DAY_HOURS, Entry, FreedTime, Offer, Skip
from waitlist.planning import plan_offer_gone, plan_offer_messages

DAILY_CAP_REASON = "Already offered {n} time{s} today (the limit per client per day)."


@dataclass
class Target:
    """The slot a round offers: decided by the first client who can take it."""

    treatment: Treatment
    start: datetime
    hold: Appointment | None = None


def _suits(entry: Entry, start: datetime, day) -> bool:
    """The slot is on the entry's days, at its times of day, in its dates."""
    if not entry.first_day <= day <= entry.last_day:
        return False
    if entry.weekdays and day.weekday() not in entry.weekdays:
        return False
    if entry.times_of_day:
        hour = start.astimezone(entry.clinic.tzinfo).hour
        if not any(
            TIME_OF_DAY_HOURS[part][0] <= hour < TIME_OF_DAY_HOURS[part][1]
            for part in entry.times_of_day
        ):
            return False
    return True


def _first_slot(entry: Entry, freed: FreedTime, *, day, now: datetime) -> datetime | None:
    """The earliest start for the entry's treatment with the freed time's practitioner that
    the slot search finds bookable online, inside the freed time and on the entry's wishes."""
    slots = find_slots(
        treatment=entry.treatment,
        first_day=day,
        last_day=day,
        practitioner_id=freed.practitioner_id,
        online=True,
        now=now,
    )
    for slot in slots:
        if freed.start <= slot.start < freed.end and _suits(entry, slot.start, day):
            return slot.start
    return None


def _offers_today(client_id: int, *, clinic, now: datetime) -> int:
    tz = clinic.tzinfo
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return Offer.objects.filter(entry__client_id=client_id, created_at__gte=midnight).count()


def _skip(freed: FreedTime, entry: Entry, reason: str, *, now: datetime) -> None:
    Skip.objects.update_or_create(freed=freed, entry=entry, defaults={"reason": reason, "at": now})


def _hold_for_offers(target: Target, freed: FreedTime, *, now: datetime) -> Appointment:
    """Hold the slot (a HELD appointment for no client yet, claimed like any booking) for as
    long as the offers last. Raises SlotUnavailable if it was taken since the search."""
    treatment = target.treatment
    request = SlotRequest(
        treatment=treatment,
        start=target.start,
        online=True,
        now=now,
        practitioner_id=freed.practitioner_id,
    )
    candidates = free_practitioners(request)
    if not candidates:
        raise SlotUnavailable()

    def write(practitioner_id: int, resource_ids: list[int]) -> Appointment:
        end = target.start + timedelta(minutes=treatment.duration_minutes)
        held = Appointment.objects.create(
            clinic_id=freed.clinic_id,
            client=None,
            treatment=treatment,
            practitioner_id=practitioner_id,
            practitioner_requested=True,
            start=target.start,
            end=end,
            blocked_until=end + timedelta(minutes=treatment.buffer_after_minutes),
            status=Appointment.Status.HELD,
            held_until=now + timedelta(minutes=settings.WAITLIST_OFFER_MINUTES),
            channel=Appointment.Channel.ONLINE,
            **booked_price(treatment),
        )
        _hold(held, resource_ids)
        change_record(
            held,
            action=AppointmentChange.Action.HELD,
            by=None,
            channel=Appointment.Channel.ONLINE,
            details={"waitlist_round": freed.pk},
        )
        return held

    return claim_first(request, candidates, write)


def round_run(freed_id: int, *, now: datetime | None = None) -> list[Offer]:
    """Offer the freed time to the waitlist (see the module's docstring); returns the offers
    made. Runs once at a time per freed time (its row is locked); a round with live offers
    waits for them to be accepted or to expire."""
    now = now or timezone.now()
    with transaction.atomic():
        freed = (
            FreedTime.objects.select_for_update(of=("self",))
            .select_related("clinic", "practitioner")
            .filter(pk=freed_id, done_at=None)
            .first()
        )
        if freed is None:
            return []
        # Offers still open, or a hold they made still keeping the time: not yet.
        if (
            Offer.objects.filter(freed=freed)
            .filter(Q(status=Offer.Status.OFFERED) | Q(hold__status=Appointment.Status.HELD))
            .exists()
        ):
            return []
        freed.run_at = now
        offers = _offer(freed, now=now)
        if not offers:
            freed.done_at = now  # nobody can take it now: it stays free for anyone to book
        freed.save(update_fields=["run_at", "done_at"])
        return offers


def _offer(freed: FreedTime, *, now: datetime) -> list[Offer]:
    clinic = freed.clinic
    day = clinic.local_date(max(freed.start, now))
    if freed.end <= now:
        return []
    entries = (
        Entry.objects.filter(
            clinic=clinic,
            status=Entry.Status.WAITING,
            first_day__lte=clinic.local_date(freed.end),
            last_day__gte=day,
        )
        .filter(Q(practitioner=None) | Q(practitioner_id=freed.practitioner_id))
        .exclude(offers__freed=freed)
        .select_related("client", "treatment", "treatment__clinic", "clinic")
        .order_by("created_at", "pk")
    )
    target: Target | None = None
    offers: list[Offer] = []
    for entry in entries:
        if len(offers) >= settings.WAITLIST_OFFERS_PER_SLOT:
            break
        if target is None:
            start = _first_slot(entry, freed, day=day, now=now)
            if start is None:
                continue  # the time does not suit them, or their treatment does not fit
        else:
            start = target.start
            if entry.treatment_id != target.treatment.pk or not _suits(
                entry, start, clinic.local_date(start)
            ):
                continue
        reason = refusal_reason(client=entry.client, treatment=entry.treatment, start=start)
        if not reason:
            n = _offers_today(entry.client_id, clinic=clinic, now=now)
            if n >= settings.WAITLIST_OFFERS_PER_CLIENT_PER_DAY:
                reason = DAILY_CAP_REASON.format(n=n, s="" if n == 1 else "s")
        if reason:
            _skip(freed, entry, reason, now=now)
            continue
        if target is None:
            target = Target(treatment=entry.treatment, start=start)
            try:
                target.hold = _hold_for_offers(target, freed, now=now)
            except SlotUnavailable:
                return []  # booked by someone in the meantime: nothing to offer
        offer = Offer.objects.create(
            freed=freed,
            entry=entry,
            hold=target.hold,
            created_at=now,
            expires_at=target.hold.held_until,
        )
        plan_offer_messages(offer)
        offers.append(offer)
    return offers


def offer_accept(
    *, offer: Offer, by, acknowledge_warnings: bool = False, now: datetime | None = None
) -> Booked:
    """The client accepts their offer and the held time becomes their booking. `by` is their
    signed-in login (anyone else: OfferNotYours, a 404). The rules apply again, in full for
    them (a refusal or WarningsNotAcknowledged, and the offer stays open). Raises OfferGone
    if another client accepted first, or the offer expired or ended."""
    now = now or timezone.now()
    entry, hold = offer.entry, offer.hold
    client, treatment = entry.client, entry.treatment
    if not access.is_client_self(by, client):
        raise OfferNotYours()
    if offer.status != Offer.Status.OFFERED or offer.expires_at <= now:
        raise OfferGone()
    outcome = check_eligibility(
        client=client,
        treatment=treatment,
        start=hold.start,
        declared=None,
        acknowledge_warnings=acknowledge_warnings,
        override_reason=None,
        by=by,
    )
    with transaction.atomic():
        # The hold's row first, as every change to an appointment: two accepting at once
        # queue here, and the second reads what the first wrote.
        held = _locked(hold)
        mine = Offer.objects.select_for_update().get(pk=offer.pk)
        if (
            held.status != Appointment.Status.HELD
            or mine.status != Offer.Status.OFFERED
            or mine.expires_at <= now
        ):
            raise OfferGone()
        held.client = client
        held.status = Appointment.Status.CONFIRMED
        held.held_until = None
        held.changed_by = acting_user(by)
        held.created_by = acting_user(by)
        held.practitioner_requested = entry.practitioner_id is not None
        held.save(
            update_fields=[
                "client",
                "status",
                "held_until",
                "changed_by",
                "created_by",
                "practitioner_requested",
                "updated_at",
            ]
        )
        change_record(
            held,
            action=AppointmentChange.Action.BOOKED,
            by=by,
            channel=Appointment.Channel.ONLINE,
            from_status=Appointment.Status.HELD,
            details={"warnings": outcome.warnings, "waitlist_offer": offer.pk},
        )
        signoff_sync(held, reasons=outcome.approvals)
        planning.on_booked(held)
        plan_forms_reminder(held)
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.ACCEPTED, decided_at=now)
        Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.BOOKED, ended_at=now)
        others = list(
            Offer.objects.filter(hold=held, status=Offer.Status.OFFERED)
            .exclude(pk=offer.pk)
            .select_related("entry", "hold", "hold__practitioner")
        )
        Offer.objects.filter(pk__in=[o.pk for o in others]).update(
            status=Offer.Status.GONE, decided_at=now
        )
        plan_offer_gone(others)
        FreedTime.objects.filter(pk=offer.freed_id).update(done_at=now)
    offer.status = Offer.Status.ACCEPTED
    return Booked(held, tuple(outcome.warnings), tuple(outcome.cautions))


def offers_expire(*, now: datetime | None = None) -> int:
    """End the offers past their time (Celery beat): release the time they held and run the
    round again, so it goes to the next client. Returns the rounds run again."""
    now = now or timezone.now()
    # Open offers past their time, and holds whose offers all ended early (the clients
    # left the waitlist) once the hold's time is up.
    lapsed = (
        Offer.objects.filter(expires_at__lte=now)
        .filter(Q(status=Offer.Status.OFFERED) | Q(hold__status=Appointment.Status.HELD))
        .values_list("hold_id", "freed_id")
        .distinct()
    )
    rounds = set()
    for hold_id, freed_id in list(lapsed[:500]):
        with transaction.atomic():
            hold = _locked(Appointment(pk=hold_id))
            Offer.objects.filter(
                hold_id=hold_id, status=Offer.Status.OFFERED, expires_at__lte=now
            ).update(status=Offer.Status.EXPIRED, decided_at=now)
            if (
                hold.status == Appointment.Status.HELD
                and not Offer.objects.filter(hold_id=hold_id, status=Offer.Status.OFFERED).exists()
            ):
                hold_release(hold, outcome=BookingRequest.Outcome.LAPSED, now=now)
        rounds.add(freed_id)
    for freed_id in rounds:
        round_run(freed_id, now=now)
    return len(rounds)


def rounds_sweep(*, now: datetime | None = None) -> int:
    """The beat's backstop: end lapsed offers, then run every round still open that no
    worker ran (its task lost with the broker), oldest first."""
    now = now or timezone.now()
    count = offers_expire(now=now)
    stale = FreedTime.objects.filter(done_at=None).filter(
        Q(run_at=None) | Q(run_at__lte=now - timedelta(seconds=settings.WAITLIST_SWEEP_SECONDS))
    )
    for freed_id in stale.order_by("created_at").values_list("pk", flat=True)[:100]:
        round_run(freed_id, now=now)
        count += 1
    return count
