"""Every write to an appointment: book, reschedule, cancel, complete, mark no-show.

Booking and rescheduling check the clinic's rules, then claim the slot through
diary/reservation.py: one transaction that locks, re-checks the diary and writes the
appointment, its resource holds, its history line, its outbox rows and, when staff book
past a rule, the audit entry, together.
"""

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import access
from aftercare import planning
from bookings.db import insert, insert_returning_id, is_postgresql, together
from bookings.history import change_record
from bookings.models import Appointment, AppointmentChange, AppointmentResource
from bookings.signoff import signoff_pending, signoff_sync
from clinic.audit import APPOINTMENT, Origin, acting_user, audit_write
from clinic.models import AuditEntry, Client, Practitioner, Treatment
from clinic.sql import practitioner_of
from clinical import eligibility, prerequisites, rules
from clinical.rules import Declared
from clinical.services import (
    appointments_recheck,
    approval_reasons,
    declared_check,
    declared_store,
    dependants_recheck,
)
from consent.planning import plan_forms_reminder
from consent.selectors import FORM_RULES, missing_for
from courses import services as courses
from courses.errors import CourseError
from courses.models import ClientCourse
from diary import availability, deposits, sql
from diary.errors import (
    Contraindicated,
    CourseNotUsable,
    DiscountRefused,
    EligibilityRefused,
    FormsUnsigned,
    InvalidTransition,
    OverrideNotAllowed,
    PrerequisiteMissing,
    RoleDoesNotChange,
    SignOffPending,
    TooLateToCancel,
    WaitingPeriod,
    WarningsNotAcknowledged,
)
from diary.reservation import (
    SlotRequest,
    claim_first,
    free_practitioners,
    search_params,
    unavailable,
)
from money import services as money
from money.currency import ZERO
from money.prices import DiscountInvalid, booked_price
from waitlist import planning as waitlist
from waitlist.models import FreedTime

# What a booking reads with the rules (check_eligibility `also`): its organisation's form
# rules and, on PostgreSQL only, the id its appointment will have.
BOOKING_READS = (FORM_RULES, sql.NEXT_APPOINTMENT_ID)


@dataclass(frozen=True)
class Booked:
    """A booking or a move as it happened: the appointment, the warnings the caller
    acknowledged (as they were shown to them) and the cautions for the practitioner."""

    appointment: Appointment
    warnings: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    resources: tuple[str, ...] | None = None  # the names of those held, when the writer knows


@dataclass
class RulesOutcome:
    warnings: list[str] = field(default_factory=list)  # acknowledged, as the caller saw them
    overridden: list[str] = field(default_factory=list)  # refusals staff booked past
    cautions: list[str] = field(default_factory=list)  # for the practitioner
    approvals: list[str] = field(default_factory=list)  # what a practitioner must sign off
    also: tuple[list[tuple], ...] = ()  # the rows of the caller's statements read with the rules


# What a caller who may not see the client's record is told when the record, not their own
# declaration, refuses or warns: no injection, condition or date.
GENERIC_REFUSAL = (
    "We can't confirm this booking online. Please contact the clinic{phone} so we can check "
    "it with you."
)
GENERIC_WARNING = (
    "Your practitioner needs to go through your health record with you at the start of this "
    "appointment; please confirm you are happy to do so."
)


def check_eligibility(
    *,
    client: Client,
    treatment: Treatment,
    start: datetime,
    declared: Declared | None,
    acknowledge_warnings: bool,
    override_reason: str | None,
    by,
    new_client: bool = False,
    prerequisites_apply: bool = True,
    also: Sequence[str] = (),
    facts: rules.BookingFacts | None = None,
) -> RulesOutcome:
    """Apply the clinic's medical rules to every booking path (book, reschedule; API, pages,
    admin). Raises WaitingPeriod, Contraindicated, PrerequisiteMissing (a patch test or
    consultation needed first: clinical/prerequisites.py; not for an anonymous
    hold, `prerequisites_apply=False`, whose confirmation applies it; read with the rules
    and the record in one round trip, rules.booking_facts) or
    WarningsNotAcknowledged (422), or OverrideNotAllowed (403); returns the warnings
    acknowledged and the cautions.

    A caller who may not see the client's record (anyone but staff and the client signed
    in) learns only about what they declared in this request; a refusal or warning that
    comes from the record on file is generic and carries no date.

    `also`: the caller's own reads, sent with the rules' (rules.booking_facts), their rows
    in RulesOutcome.also. `facts`: the rules' reads made by the caller already (with the
    prerequisites, and the record unless `new_client`), `also` among them.
    """
    clinic = treatment.clinic
    if override_reason and not access.can_override(by, clinic):
        raise OverrideNotAllowed()
    # The rules, the record and the prerequisites in one round trip (clinical/sql.py). A
    # client made a moment ago has no record; a hold's prerequisites wait for its owner.
    if facts is None:
        facts = rules.booking_facts(
            treatment=treatment,
            client=None if new_client else client,
            with_prerequisites=prerequisites_apply,
            also=also,
        )
    decision = facts.decide(treatment, on=clinic.local_date(start), declared=declared)
    sees_record = access.may_see_record(by, client)
    approvals = approval_reasons(decision)  # for staff's sign-off, whatever the caller sees
    unmet = facts.prerequisites.unmet_at(start) if prerequisites_apply else []
    if decision.refusals or unmet:
        if override_reason:
            return RulesOutcome(
                warnings=decision.warnings,
                overridden=[*decision.reasons, *(u.rule.message for u in unmet)],
                cautions=list(decision.cautions),
                approvals=approvals,
                also=facts.also,
            )
        if not decision.refusals:
            raise _prerequisite_refusal(unmet[0], clinic=clinic, sees_record=sees_record)
        raise _refusal(decision, clinic=clinic, sees_record=sees_record)
    warnings = decision.warnings if sees_record else _warnings_for_declarant(decision)
    if warnings and not (acknowledge_warnings or override_reason):
        raise WarningsNotAcknowledged(warnings=warnings)
    return RulesOutcome(
        warnings=warnings, cautions=list(decision.cautions), approvals=approvals, also=facts.also
    )


def refusal_reason(*, client: Client, treatment: Treatment, start: datetime) -> str:
    """Why the clinic's rules refuse `client` `treatment` at `start`, in full as staff read
    it (the waiting period and its earliest date, the condition, the prerequisite), or ""
    when they allow it (warnings are for the client to acknowledge when they book). The
    same rules and words as check_eligibility, for the waitlist's rounds (diary/waitlist.py)."""
    clinic = treatment.clinic
    facts = rules.booking_facts(treatment=treatment, client=client, with_prerequisites=True)
    decision = facts.decide(treatment, on=clinic.local_date(start))
    if decision.refusals:
        return _refusal(decision, clinic=clinic, sees_record=True).detail
    unmet = facts.prerequisites.unmet_at(start)
    if unmet:
        return _prerequisite_refusal(unmet[0], clinic=clinic, sees_record=True).detail
    return ""


def _refusal(decision: eligibility.Decision, *, clinic, sees_record: bool) -> EligibilityRefused:
    shown = decision if sees_record else decision.visible_to_declarant()
    if not shown.refusals:  # only the record on file refuses, and this caller may not see it
        detail = GENERIC_REFUSAL.format(phone=f" on {clinic.phone}" if clinic.phone else "")
        if decision.code == eligibility.CONTRAINDICATED:
            return Contraindicated(detail)
        return WaitingPeriod(detail)
    detail = " ".join(shown.reasons)
    if shown.code == eligibility.CONTRAINDICATED:
        return Contraindicated(detail)
    earliest = shown.earliest_date
    return WaitingPeriod(
        f"{detail} The earliest date you can book is {earliest:%A} {earliest.day} "
        f"{earliest:%B %Y}.",
        earliest_date=earliest,
    )


def _prerequisite_refusal(
    unmet: prerequisites.Unmet, *, clinic, sees_record: bool
) -> PrerequisiteMissing:
    """What to book first and, to a caller who may know, from when this booking would be
    allowed (a prerequisite booked already); the required treatment's slug, so the pages
    and the API can offer it."""
    offer = unmet.rule.offer(clinic.pk)
    if not sees_record:
        unmet = prerequisites.Unmet(unmet.rule)  # the dates of their appointments stay private
    return PrerequisiteMissing(
        prerequisites.explain(unmet, clinic_id=clinic.pk, tz=clinic.tzinfo),
        required_treatment=offer.slug if offer else None,
        required_name=offer.name if offer else None,
        available_from=unmet.opens,
    )


def _warnings_for_declarant(decision: eligibility.Decision) -> list[str]:
    warnings = decision.visible_to_declarant().warnings
    if any(not f.declared_now and f.outcome == eligibility.WARN for f in decision.findings):
        warnings.append(GENERIC_WARNING)
    return warnings


def _hold(
    appointment: Appointment, resource_ids: list[int], writes: together | None = None
) -> tuple[str, ...]:
    """Hold `resource_ids` for `appointment`; returns the names of the resources held, as
    the answer lists them (on PostgreSQL from the insert itself, sql.HOLD, sent after the
    inserts `writes` gathered, in the same round trip)."""
    if is_postgresql():
        return tuple(
            sql.hold_resources(
                appointment_id=appointment.pk,
                start=appointment.start,
                blocked_until=appointment.blocked_until,
                resource_ids=resource_ids,
                writes=writes,
            )
        )
    AppointmentResource.objects.bulk_create(
        AppointmentResource(
            appointment=appointment,
            resource_id=rid,
            start=appointment.start,
            blocked_until=appointment.blocked_until,
        )
        for rid in resource_ids
    )
    return tuple(appointment.resources.values_list("name", flat=True))


def rules_and_diary(
    request: SlotRequest,
    *,
    client: Client | None,
    also: Sequence,
    also_params: dict | None = None,
    with_prerequisites: bool = True,
) -> tuple[rules.BookingFacts | None, availability.Diary | None]:
    """On PostgreSQL, what the rules ask about a booking (the record of `client`, the
    prerequisites `with_prerequisites`, and the caller's `also`, taking `also_params`) and
    the diary of its day, in one round trip: the facts for check_eligibility, their `also`
    rows the caller's, and the Diary for free_practitioners. Elsewhere (None, None): each
    reads its own. Read before either decides, they still decide in turn, the slot first."""
    if not is_postgresql():
        return None, None
    facts = rules.booking_facts(
        treatment=request.treatment,
        client=client,
        with_prerequisites=with_prerequisites,
        also=[*also, *sql.SEARCH],
        also_params={**search_params(request), **(also_params or {})},
    )
    diary = availability.diary_of(request.treatment, facts.also[len(also) :])
    return replace(facts, also=facts.also[: len(also)]), diary


def drawn_id(rows: Sequence[list[tuple]]) -> int | None:
    """The id drawn for a new appointment (sql.NEXT_APPOINTMENT_ID's rows, read with the
    rules), or None when none was (not PostgreSQL)."""
    return rows[0][0][0] if rows else None


@contextmanager
def written_with_holds(appointment: Appointment, appointment_id: int | None):
    """A together() block for a new `appointment`'s rows, which _hold sends with its holds:
    with the id drawn for it (drawn_id), the appointment is the block's first insert;
    without (not PostgreSQL), it is inserted now."""
    if appointment_id is None:
        insert_returning_id(appointment)
    with together() as writes:
        if appointment_id is not None:
            appointment.pk = appointment_id
            insert([appointment])
        yield writes


def _practitioner(asked: Practitioner | None, practitioner_id: int) -> dict:
    """The new appointment's practitioner: the instance the caller read when it is the one
    booked (its name goes into the emails and the answer, so it is not read again), else
    the id."""
    if asked is not None and asked.pk == practitioner_id:
        return {"practitioner": asked}
    return {"practitioner_id": practitioner_id}


def _audit_override(appointment: Appointment, *, by, origin: Origin | None) -> None:
    """Staff booked or moved `appointment` past a clinical rule: the override joins the
    audit trail, whichever front end asked. The entry names the appointment, not the
    reason, which is health data: it stays on the appointment and its history, where
    anonymisation redacts it."""
    audit_write(
        user=by,
        origin=origin,
        action=AuditEntry.Action.OVERRIDE,
        what=APPOINTMENT,
        clients=[appointment.client_id],
        clinic=appointment.clinic_id,
        reference=appointment.reference,
    )


def _channel(by, clinic) -> str:
    if access.is_staff_at(by, clinic):
        return Appointment.Channel.STAFF
    return Appointment.Channel.ONLINE


def appointment_book(
    *,
    treatment: Treatment,
    start: datetime,
    client: Client,
    new_client: bool = False,
    practitioner: Practitioner | None = None,
    by=None,
    origin: Origin | None = None,
    channel: str | None = None,
    notes: str = "",
    declared: Declared | None = None,
    acknowledge_warnings: bool = False,
    override_reason: str | None = None,
    now: datetime | None = None,
    discount: Decimal = Decimal(0),
    discount_percent: Decimal | None = None,
    discount_reason: str = "",
    course: ClientCourse | None = None,
    pay_online: bool = False,
) -> Booked:
    """Book `treatment` at `start` for `client`, with `practitioner` or whoever is free.

    Online bookings (anyone but staff) respect the clinic's minimum notice and maximum
    advance. The clinic's medical rules apply (see check_eligibility); staff with the
    override permission may book past a refusal by giving `override_reason`, which is kept
    on the appointment, in its history and in the audit trail (with `origin`). What the
    client declares (`declared`) is stored as client-declared records with the booking.
    `new_client`: the caller created `client` for this booking, so no health record can
    exist yet and the rules skip reading one. `channel` is how it came in (Appointment.Channel),
    when the caller knows better than `by` says. The appointment keeps the treatment's price
    now, less a discount staff give (`discount`, an amount, or `discount_percent`, with a
    `discount_reason`), in the clinic's currency (money/prices.py): a reschedule keeps it.
    With `course` (one of the client's courses, courses/), a session of it pays for the
    appointment: the whole price is its discount, and the session is booked under the
    course's lock in the same transaction (CourseNotUsable when it cannot).
    With card payments on and a deposit asked by the policy (diary/deposits.py): booked by
    staff, it is confirmed and the client emailed a link to pay; booked online by a caller
    that sends the client to the payment page (`pay_online`, then holds.deposit_page once
    this commits), it is HELD for the deposit and its emails wait for the payment; asking
    no deposit but a late-cancellation or no-show fee, it is HELD the same way while a
    client with no card saved at the clinic saves one (nothing charged).
    Raises SlotUnavailable (with alternatives),
    InjectionDateInFuture or an eligibility refusal.
    """
    now = now or timezone.now()
    clinic = treatment.clinic
    staff = access.is_staff_at(by, clinic)
    channel = channel or _channel(by, clinic)
    practitioner_id = practitioner.pk if practitioner else None
    declared_check(declared, clinic=clinic)
    price = _price(
        treatment,
        by=by,
        staff=staff,
        discount=discount,
        percent=discount_percent,
        reason=discount_reason,
        course=course,
    )
    online = channel == Appointment.Channel.ONLINE
    deposit = (
        deposits.deposit_asked(treatment=treatment, price=price, online=online)
        if pay_online or not online
        else ZERO
    )
    # No deposit, but fees a card on file would pay: held until the client saves one.
    card = (
        pay_online
        and online
        and deposit <= ZERO
        and deposits.card_asked(treatment=treatment, price=price, client=client)
    )
    waits = online and (deposit > ZERO or card)  # held until the deposit is paid
    if course is not None:
        try:
            courses.check_usable(course, client=client, treatment=treatment, start=start)
        except CourseError as refusal:
            raise CourseNotUsable(refusal.detail) from refusal

    request = SlotRequest(
        treatment=treatment,
        start=start,
        online=not staff,
        now=now,
        practitioner_id=practitioner_id,
    )
    reads = BOOKING_READS if is_postgresql() else BOOKING_READS[:1]
    facts, diary = rules_and_diary(request, client=None if new_client else client, also=reads)
    candidates = free_practitioners(request, diary)
    if not candidates:
        raise unavailable(request)

    outcome = check_eligibility(
        client=client,
        treatment=treatment,
        start=start,
        declared=declared,
        acknowledge_warnings=acknowledge_warnings,
        override_reason=override_reason,
        by=by,
        new_client=new_client,
        also=reads,
        facts=facts,
    )
    # Read with the rules: the organisation's form rules (the forms reminder asks them) and,
    # on PostgreSQL, the new appointment's id, so that it is written with its history, outbox
    # rows and holds in one round trip (a failed attempt's id is used again by the next).
    form_rules, *taken = outcome.also
    appointment_id = drawn_id(taken)
    held: list[str] = []

    def write(practitioner_id: int, resource_ids: list[int]) -> Appointment:
        end = start + timedelta(minutes=treatment.duration_minutes)
        appointment = Appointment(
            clinic=clinic,
            client=client,
            treatment=treatment,
            **_practitioner(practitioner, practitioner_id),
            practitioner_requested=practitioner is not None,
            start=start,
            end=end,
            blocked_until=end + timedelta(minutes=treatment.buffer_after_minutes),
            status=Appointment.Status.HELD if waits else Appointment.Status.CONFIRMED,
            held_until=now + timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES) if waits else None,
            channel=channel,
            notes=notes,
            override_reason=(override_reason or "") if outcome.overridden else "",
            **price,
            created_by=acting_user(by),
            changed_by=acting_user(by),
        )
        practitioner_of(appointment)  # when nobody was named: the emails and answer name them
        # It, its history line and its outbox rows go with its holds, in one round trip on
        # PostgreSQL (bookings/db.py together): nothing reads them back before.
        with written_with_holds(appointment, appointment_id) as writes:
            change_record(
                appointment,
                action=AppointmentChange.Action.HELD if waits else AppointmentChange.Action.BOOKED,
                by=by,
                channel=channel,
                reason=appointment.override_reason,
                details={"warnings": outcome.warnings, "overridden": outcome.overridden}
                | (deposits.asked_details(deposit) if deposit or card else {}),
            )
            if not waits:  # a held one's emails once the deposit is paid (deposits.webhook_receive)
                planning.on_booked(appointment)
                plan_forms_reminder(appointment, form_rules=form_rules)
        held[:] = _hold(appointment, resource_ids, writes)
        if course is not None:
            courses.session_book(appointment=appointment, client_course=course, by=by)
        if outcome.overridden:
            _audit_override(appointment, by=by, origin=origin)
        signoff_sync(appointment, reasons=outcome.approvals, new=True)
        if waits:
            deposits.deposit_ask(appointment, amount=deposit, email=client.email)
        elif deposit:
            deposits.deposit_request(appointment, amount=deposit)
        if declared is not None and declared.declares_anything:
            declared_store(client=client, declared=declared, by=by, reference=appointment.reference)
            appointments_recheck(client=client, by=by, exclude_id=appointment.pk)
        return appointment

    try:
        appointment = claim_first(request, candidates, write)
    except CourseError as refusal:  # its sessions were taken meanwhile: nothing was written
        raise CourseNotUsable(refusal.detail) from refusal
    return Booked(appointment, tuple(outcome.warnings), tuple(outcome.cautions), tuple(held))


def _price(treatment, *, by, staff, discount, percent, reason, course) -> dict:
    """The price fields the appointment keeps: a discount only from staff whose role books,
    and only with a reason; a course's session pays the whole price."""
    reason = " ".join((reason or "").split())[:200]
    if course is not None:
        kept = booked_price(treatment)
        return {**kept, **courses.covered_discount(price=kept["price"], client_course=course)}
    if not discount and not percent:
        return {**booked_price(treatment), "discount_reason": ""}
    if not (staff and access.can(by, access.BOOK, treatment.clinic_id)):
        raise DiscountRefused("Only the clinic's staff give a discount.")
    if not reason:
        raise DiscountRefused("Say why the discount is given.")
    try:
        kept = booked_price(treatment, discount=discount or Decimal(0), percent=percent)
    except DiscountInvalid as refusal:
        raise DiscountRefused(str(refusal)) from refusal
    return {**kept, "discount_reason": reason}


def _locked(appointment: Appointment) -> Appointment:
    """The appointment re-read under a row lock (its own row only, not its clinic's or
    treatment's): decide on its status only while holding it."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "treatment", "treatment__clinic")
        .get(pk=appointment.pk)
    )


def _check_role(appointment: Appointment, *, by) -> None:
    """Staff cancel and move by their role, never by the client's token or link (the front
    ends accept those from the client): see access.may_change_appointment."""
    if not access.may_change_appointment(by, appointment):
        raise RoleDoesNotChange()


def _check_client_window(appointment: Appointment, *, by, now: datetime) -> None:
    if access.is_staff_at(by, appointment.clinic_id):
        return
    window = timedelta(hours=appointment.clinic.cancellation_window_hours)
    if appointment.start - now < window:
        raise TooLateToCancel(
            f"This appointment starts in less than {appointment.clinic.cancellation_window_hours}"
            f" hours and can no longer be changed online. Please call the clinic"
            f"{' on ' + appointment.clinic.phone if appointment.clinic.phone else ''}.",
            phone=appointment.clinic.phone,
        )


def appointment_cancel(
    *,
    appointment: Appointment,
    by=None,
    reason: str = "",
    now: datetime | None = None,
    client_asked: bool = False,
) -> Appointment:
    """Cancel a confirmed appointment, freeing its time. Clients (anyone but staff) cannot
    cancel inside the clinic's cancellation window; staff whose role books always can, other
    staff never (RoleDoesNotChange, even with the client's token). Staff cancel for the
    clinic (everything paid is refundable, no fee) unless `client_asked`: then, as for a
    client's own cancellation, the payment policy's late-cancellation fee falls due."""
    now = now or timezone.now()
    _check_role(appointment, by=by)
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != Appointment.Status.CONFIRMED:
            raise InvalidTransition(
                f"This appointment is {appointment.get_status_display().lower()}"
                " and cannot be cancelled."
            )
        _check_client_window(appointment, by=by, now=now)
        cancel_locked(appointment, by=by, reason=reason, client_asked=client_asked, now=now)
    return appointment


def cancel_locked(
    appointment: Appointment,
    *,
    by,
    reason: str,
    client_asked: bool = False,
    now: datetime | None = None,
) -> None:
    """Cancel `appointment`, read under its row lock and confirmed, in the caller's
    transaction: free its time, record it, tell the client (in the clinic's words when `by`
    is its staff, unless the client asked), and leave any fee the payment policy says is due
    (money/). The checks of who may are the caller's."""
    previous = appointment.status
    appointment.status = Appointment.Status.CANCELLED
    appointment.changed_by = acting_user(by)
    appointment.save(update_fields=["status", "changed_by", "updated_at"])
    appointment.resource_holds.update(active=False)
    change_record(
        appointment,
        action=AppointmentChange.Action.CANCELLED,
        by=by,
        channel=_channel(by, appointment.clinic_id),
        from_status=previous,
        from_start=appointment.start,
        reason=reason,
    )
    by_clinic = access.is_staff_at(by, appointment.clinic_id) and not client_asked
    planning.on_cancelled(appointment, by_clinic=by_clinic)
    deposits.deposit_withdraw(appointment)
    waitlist.on_time_freed(
        clinic_id=appointment.clinic_id,
        practitioner_id=appointment.practitioner_id,
        start=appointment.start,
        end=appointment.end,
        cause=FreedTime.Cause.CANCELLED,
    )
    if courses.pays_for(appointment):  # the course's policy, not a fee, says what it costs
        courses.on_cancelled(appointment, by_clinic=by_clinic, by=by, now=now)
    else:
        money.on_cancelled(appointment, by_clinic=by_clinic, at=now or timezone.now())
    dependants_recheck(appointment, by=by)


def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime,
    by=None,
    origin: Origin | None = None,
    acknowledge_warnings: bool = False,
    override_reason: str | None = None,
    now: datetime | None = None,
    practitioner: Practitioner | None = None,
) -> Booked:
    """Move a confirmed appointment to `start`. Keeps the practitioner the client chose;
    otherwise prefers the same practitioner, then anyone free; a `practitioner` named (the
    diary's column it was dropped in) is that one or a refusal. Clients cannot move an
    appointment inside the cancellation window. The medical rules apply to the new date as
    they do to a booking (an override is audited the same way); a move that passes them
    clears any flag the appointment had. Staff move by their role alone (RoleDoesNotChange
    for one that does not book, even with the client's token)."""
    now = now or timezone.now()
    _check_role(appointment, by=by)
    staff = access.is_staff_at(by, appointment.clinic_id)
    with transaction.atomic():
        current = _locked(appointment)
        if current.status != Appointment.Status.CONFIRMED:
            raise InvalidTransition(
                f"This appointment is {current.get_status_display().lower()} and cannot be moved."
            )
        _check_client_window(current, by=by, now=now)

    treatment = current.treatment
    request = SlotRequest(
        treatment=treatment,
        start=start,
        online=not staff,
        now=now,
        practitioner_id=(
            practitioner.pk
            if practitioner is not None
            else current.practitioner_id
            if current.practitioner_requested
            else None
        ),
        exclude_appointment_id=current.pk,
    )
    candidates = free_practitioners(request)
    candidates.prefer(current.practitioner_id)  # stay with the same person where possible
    if not candidates:
        raise unavailable(request)
    outcome = check_eligibility(
        client=current.client,
        treatment=treatment,
        start=start,
        declared=None,
        acknowledge_warnings=acknowledge_warnings,
        override_reason=override_reason,
        by=by,
    )

    def write(practitioner_id: int, resource_ids: list[int]) -> Appointment:
        locked = _locked(current)
        if locked.status != Appointment.Status.CONFIRMED:
            raise InvalidTransition()
        previous_start, previous_end = locked.start, locked.end
        previous_practitioner_id = locked.practitioner_id
        locked.resource_holds.all().delete()
        locked.practitioner_id = practitioner_id
        locked.start = start
        locked.end = start + timedelta(minutes=treatment.duration_minutes)
        locked.blocked_until = locked.end + timedelta(minutes=treatment.buffer_after_minutes)
        locked.changed_by = acting_user(by)
        locked.eligibility_flag = ""
        locked.flagged_at = None
        if outcome.overridden:
            locked.override_reason = override_reason
        locked.save(
            update_fields=[
                "practitioner",
                "start",
                "end",
                "blocked_until",
                "changed_by",
                "eligibility_flag",
                "flagged_at",
                "override_reason",
                "updated_at",
            ]
        )
        _hold(locked, resource_ids)
        change_record(
            locked,
            action=AppointmentChange.Action.RESCHEDULED,
            by=by,
            channel=_channel(by, locked.clinic_id),
            from_status=locked.status,
            from_start=previous_start,
            reason=override_reason if outcome.overridden else "",
            details={"warnings": outcome.warnings, "overridden": outcome.overridden},
        )
        if outcome.overridden:
            _audit_override(locked, by=by, origin=origin)
        signoff_sync(locked, reasons=outcome.approvals)
        planning.on_rescheduled(locked)
        plan_forms_reminder(locked, moved=True)
        waitlist.on_time_freed(
            clinic_id=locked.clinic_id,
            practitioner_id=previous_practitioner_id,
            start=previous_start,
            end=previous_end,
            cause=FreedTime.Cause.MOVED,
        )
        dependants_recheck(locked, by=by)
        return locked

    moved = claim_first(request, candidates, write)
    return Booked(moved, tuple(outcome.warnings), tuple(outcome.cautions))


def _check_forms_signed(appointment: Appointment) -> None:
    """The consent and intake forms its treatment needs are signed (consent/rules.py)."""
    if missing := missing_for([appointment]).get(appointment.pk):
        raise FormsUnsigned(forms=[need.template_name for need in missing])


def _finish(appointment, *, to_status, action, by, now, checks=()) -> Appointment:
    """Mark a confirmed appointment that has started; each of `checks` (a function of the
    appointment, read under its row lock) may refuse it first."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != Appointment.Status.CONFIRMED:
            raise InvalidTransition(
                f"This appointment is already {appointment.get_status_display().lower()}."
            )
        if appointment.start > now:
            raise InvalidTransition("This appointment has not started yet.")
        for check in checks:
            check(appointment)
        previous = appointment.status
        appointment.status = to_status
        appointment.changed_by = acting_user(by)
        appointment.save(update_fields=["status", "changed_by", "updated_at"])
        change_record(
            appointment,
            action=action,
            by=by,
            channel=Appointment.Channel.STAFF,
            from_status=previous,
            from_start=appointment.start,
        )
        planning.on_finished(appointment)
        if to_status == Appointment.Status.COMPLETED:
            courses.on_completed(appointment, by=by, now=now)
        else:
            courses.on_no_show(appointment, by=by, now=now)
    return appointment


def appointment_complete(*, appointment: Appointment, by, now: datetime | None = None):
    """Staff mark an appointment that has started as completed; not while it waits for a
    practitioner's sign-off (SignOffPending) or a form its treatment needs is unsigned
    (FormsUnsigned). A course's session on it is used (courses/), or the completion is
    refused (CourseNotUsable) when the course's sessions were all used meanwhile."""
    try:
        return _complete(appointment, by=by, now=now)
    except CourseError as refusal:
        raise CourseNotUsable(refusal.detail) from refusal


def _complete(appointment, *, by, now):
    return _finish(
        appointment,
        to_status=Appointment.Status.COMPLETED,
        action=AppointmentChange.Action.COMPLETED,
        by=by,
        now=now,
        checks=(signoff_check, _check_forms_signed),
    )


def signoff_check(appointment: Appointment) -> None:
    """An appointment a clinic rule asks a practitioner to approve is completed only once
    one has (bookings.models.SignOff; diary/signoff.py decides it)."""
    if signoff_pending(appointment) is not None:
        raise SignOffPending()


def appointment_mark_no_show(*, appointment: Appointment, by, now: datetime | None = None):
    """Staff record that the client did not come; the payment policy's no-show fee falls due
    in the same transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        missed = _finish(
            appointment,
            to_status=Appointment.Status.NO_SHOW,
            action=AppointmentChange.Action.NO_SHOW,
            by=by,
            now=now,
        )
        if not courses.pays_for(missed):  # a course's session is burned or given back instead
            money.on_no_show(missed, at=now)
        dependants_recheck(missed, by=by)
    return missed
