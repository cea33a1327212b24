"""Every write of money: a payment taken at the desk (with its receipt planned in the outbox
in the same transaction), a fee waived (audited), and the fee a late cancellation or a no-show
leaves due, with the refund to the card of what was paid beyond it, written by
diary/services.py in the transaction of that change.

Who may: `record_payment` and `waive_fee` are capabilities of the roles (access/roles.py);
the front ends find the appointment among those the caller may see (a 404 otherwise) and
these services refuse a role without the capability (NotAllowed), whoever calls them.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

import access
from aftercare.models import Message
from aftercare.planning import save_new
from bookings.history import REDACTED
from bookings.models import Appointment
from clinic.audit import Origin, acting_user, audit_write
from clinic.models import AuditEntry
from money import due as rules
from money import provider, stripe_api
from money.currency import ZERO, rounded, shown
from money.errors import AlreadyWaived, NotAllowed, PaymentRefused
from money.models import Charge, Payment, ProviderCall, SavedCard
from money.prices import price_of, terms_for
from money.selectors import paid_on

RECORD = "money.record_payment"
WAIVE = "money.waive_fee"
# What the audit trail names for a waived fee (AuditEntry.what).
FEE = "fee"
LARGEST = Decimal("99999999.99")  # what the ledger's amount column holds


def may_record(user, clinic) -> bool:
    return access.can(user, RECORD, clinic)


def may_waive(user, clinic) -> bool:
    return access.can(user, WAIVE, clinic)


def _amount(value, currency: str) -> Decimal:
    """`value` as an amount of `currency`: positive, and no finer than its minor unit."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise PaymentRefused("Give the amount as a number, such as 45.00.") from None
    if not amount.is_finite() or amount <= ZERO or amount > LARGEST:
        raise PaymentRefused("Give an amount above zero.")
    if rounded(amount, currency) != amount:
        raise PaymentRefused(f"{currency} amounts go no finer than {shown(Decimal(0), currency)}.")
    return amount


def _locked(appointment: Appointment) -> Appointment:
    """The appointment's row, locked: two payments for one appointment are counted one
    after the other (a refund is checked against what was paid)."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "client", "treatment")
        .get(pk=appointment.pk)
    )


def payment_record(
    *,
    appointment: Appointment,
    amount,
    kind: str,
    method: str,
    by,
    note: str = "",
) -> Payment:
    """Record a payment taken (or a refund given) at the desk, and plan its receipt by email.
    Raises NotAllowed for a role without the capability, PaymentRefused for bad input."""
    if not may_record(by, appointment.clinic_id):
        raise NotAllowed("Your role does not record payments.")
    if kind not in Payment.Kind.values:
        raise PaymentRefused(f"Choose one of: {', '.join(Payment.Kind.values)}.")
    if method not in Payment.Method.values:
        raise PaymentRefused(f"Choose one of: {', '.join(Payment.Method.values)}.")
    with transaction.atomic():
        locked = _locked(appointment)
        if locked.client_id is None:
            raise PaymentRefused("Nobody has confirmed this booking yet: there is no one to pay.")
        currency = locked.currency or locked.clinic.currency
        value = _amount(amount, currency)
        paid = paid_on(locked.payments.all())
        if kind == Payment.Kind.REFUND and value > paid:
            raise PaymentRefused(
                f"A refund can be no more than what was paid ({shown(paid, currency)})."
            )
        payment = Payment.objects.create(
            clinic_id=locked.clinic_id,
            appointment=locked,
            client_id=locked.client_id,
            amount=value,
            currency=currency,
            kind=kind,
            method=method,
            note=note.strip(),
            recorded_by=acting_user(by),
        )
        _plan_receipt(payment, locked, paid_after=paid + payment.signed_amount)
    return payment


def _plan_receipt(payment: Payment, appointment: Appointment, *, paid_after: Decimal) -> None:
    """The receipt, planned in the payment's transaction: sent once, after it commits."""
    save_new(
        [
            Message(
                key=f"payment:{payment.pk}:receipt",
                clinic_id=appointment.clinic_id,
                client_id=appointment.client_id,
                appointment=appointment,
                treatment_id=appointment.treatment_id,
                kind=Message.Kind.RECEIPT,
                due_at=timezone.now(),
                data={
                    "amount": shown(payment.amount, payment.currency),
                    "refund": payment.kind == Payment.Kind.REFUND,
                    "what": payment.get_kind_display(),
                    "method": payment.get_method_display(),
                    "paid_at": timezone.now().isoformat(),
                    "paid_in_all": shown(paid_after, payment.currency),
                    "price": shown(appointment.price, payment.currency)
                    if appointment.price is not None
                    else "",
                },
            )
        ]
    )


def fee_waive(*, charge: Charge, by, reason: str, origin: Origin | None = None) -> Charge:
    """Waive a fee: only a role with the capability, only with a reason; the audit trail
    names who, when and which appointment (the reason stays on the fee)."""
    if not may_waive(by, charge.clinic_id):
        raise NotAllowed("Your role does not waive fees.")
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRefused("Say why the fee is waived.")
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.is_waived:
            raise AlreadyWaived()
        locked.waived_at = timezone.now()
        locked.waived_by = acting_user(by)
        locked.waive_reason = reason
        locked.save(update_fields=["waived_at", "waived_by", "waive_reason"])
        provider.fee_cancel(locked)
        # What the fee kept of a deposit goes back to the card now (decided: a waived fee
        # keeps nothing, as if it had never been due).
        _refund_surplus(locked.appointment, reason="the fee was waived")
        audit_write(
            user=by,
            origin=origin,
            action=AuditEntry.Action.WAIVE,
            what=FEE,
            clients=[locked.client_id],
            clinic=locked.clinic_id,
            reference=locked.appointment.reference,
            amount=str(locked.amount),
            currency=locked.currency,
        )
    return locked


def paid_counting_planned_refunds(appointment: Appointment) -> Decimal:
    """What the client has paid for `appointment`, counting a refund to a card as given from
    the moment it is planned (money/provider.py REFUND_COUNTED), not only once Stripe
    answers: an event met again, or another after it, plans no refund twice."""
    payments = Payment.objects.filter(appointment=appointment).exclude(
        kind=Payment.Kind.REFUND, provider_reference__gt=""
    )
    return paid_on(payments) - provider.refunds_planned(appointment)


def _charge_fee(appointment: Appointment, event: rules.Event, *, at: datetime) -> Charge | None:
    """The fee `due()` says `event` costs, kept once as the appointment's Charge."""
    price = price_of(appointment)
    if price is None or appointment.client_id is None:
        return None
    decision = rules.due(
        event=event,
        price=price,
        terms=terms_for(clinic=appointment.clinic, treatment_id=appointment.treatment_id),
        start=appointment.start,
        at=at,
    )
    if decision.charge <= ZERO:
        return None
    charge, _ = Charge.objects.get_or_create(
        appointment=appointment,
        defaults={
            "clinic_id": appointment.clinic_id,
            "client_id": appointment.client_id,
            "kind": decision.owed,
            "amount": decision.charge,
            "currency": price.currency,
        },
    )
    return charge


def _fee_to_card(charge: Charge | None, appointment: Appointment) -> Charge | None:
    """With card payments on, plan the fee's charge to the client's saved card, less what
    was paid (a deposit counts towards it)."""
    if charge is not None and stripe_api.enabled() and not charge.is_waived:
        paid = paid_counting_planned_refunds(appointment)
        provider.fee_plan(charge, to_pay=charge.amount - paid)
    return charge


def _refund_surplus(appointment: Appointment, *, reason: str) -> Decimal:
    """With card payments on, refund to the cards what was paid beyond what the appointment
    keeps (`due()`'s refund: paid less its fee, the fee kept as its Charge; nothing kept
    after a timely or a clinic's cancellation, or once the fee is waived), less what is
    refunded or planned already. The cards take back no more than they paid; the rest is
    the desk's to give back (money/selectors.py). In the caller's transaction, the
    appointment or its fee locked; what was asked of the cards."""
    if not stripe_api.enabled():
        return ZERO
    charge = Charge.objects.filter(appointment=appointment).first()
    kept = charge.amount if charge is not None and not charge.is_waived else ZERO
    refund = max(paid_counting_planned_refunds(appointment) - kept, ZERO)
    if refund > ZERO:
        provider.refund_plan(appointment, amount=refund, reason=reason)
    return refund


def on_cancelled(appointment: Appointment, *, by_clinic: bool, at: datetime) -> Charge | None:
    """The appointment was just cancelled (in the caller's transaction): by the clinic, no
    fee, and what was paid online is refunded to the card; by or for the client, the
    late-cancellation fee if inside the policy's window, and what was paid beyond it (all of
    it when cancelled in time) refunded to the card."""
    if by_clinic:
        _refund_surplus(appointment, reason="cancelled by the clinic")
        return None
    charge = _fee_to_card(_charge_fee(appointment, rules.Event.CANCELLED, at=at), appointment)
    _refund_surplus(appointment, reason="cancelled late" if charge else "cancelled in time")
    return charge


def on_no_show(appointment: Appointment, *, at: datetime) -> Charge | None:
    """The client did not come (in the caller's transaction): the no-show fee, if any, and
    what was paid beyond it refunded to the card."""
    charge = _fee_to_card(_charge_fee(appointment, rules.Event.NO_SHOW, at=at), appointment)
    _refund_surplus(appointment, reason="no-show: paid beyond the fee")
    return charge


def provider_payment(*, appointment: Appointment, amount: Decimal, kind: str, reference: str):
    """A payment or refund the provider reports (a call's answer, a webhook), kept once
    however often it is reported, with its receipt planned in the same transaction. In the
    caller's transaction; returns the Payment and whether it is new."""
    existing = Payment.objects.filter(provider_reference=reference, kind=kind).first()
    if existing is not None:
        return existing, False
    paid = paid_on(Payment.objects.filter(appointment=appointment))
    try:
        with transaction.atomic():  # a savepoint: a twin reported at once meets the constraint
            payment = Payment.objects.create(
                clinic_id=appointment.clinic_id,
                appointment=appointment,
                client_id=appointment.client_id,
                amount=amount,
                currency=appointment.currency or appointment.clinic.currency,
                kind=kind,
                method=Payment.Method.CARD_ONLINE,
                provider_reference=reference,
            )
            _plan_receipt(payment, appointment, paid_after=paid + payment.signed_amount)
    except IntegrityError:
        return Payment.objects.get(provider_reference=reference, kind=kind), False
    return payment, True


def card_save(*, client_id: int, clinic_id: int, customer: str, payment_method: str) -> None:
    """The card a deposit was paid with (or saved alone for fees), kept for a later fee
    (off session)."""
    if customer and payment_method:
        SavedCard.objects.get_or_create(
            client_id=client_id,
            payment_method=payment_method,
            defaults={"clinic_id": clinic_id, "customer": customer},
        )


def payments_redact(*, client) -> None:
    """Anonymisation (privacy/anonymise.py): the amounts, kinds, methods and dates stay (the
    clinic's books); what staff wrote about the client (a payment's note, a waiver's reason,
    why a provider call was settled at the desk) goes, and so do the cards saved with the
    provider."""
    Payment.objects.filter(client=client).exclude(note="").update(note="")
    Charge.objects.filter(client=client).exclude(waive_reason="").update(waive_reason=REDACTED)
    SavedCard.objects.filter(client=client).delete()
    for call in ProviderCall.objects.filter(appointment__client=client, result__has_key="resolved"):
        call.result = {**call.result, "resolved": {**call.result["resolved"], "reason": REDACTED}}
        call.save(update_fields=["result"])
