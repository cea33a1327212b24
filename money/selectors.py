"""What an appointment's money stands at: its price, what is due now, what was paid, what is
outstanding or to refund; from the pure function (money/due.py) and the ledger."""

from dataclasses import dataclass, field
from decimal import Decimal

from bookings.models import Appointment
from money import due as rules
from money.currency import ZERO, shown
from money.models import Charge, Payment, ProviderCall
from money.prices import price_of, terms_for


@dataclass(frozen=True)
class Account:
    currency: str
    price: Decimal | None
    discount: Decimal
    net: Decimal | None
    paid: Decimal  # payments less refunds
    outstanding: Decimal  # due now: a deposit, the balance once completed, a fee
    outstanding_is: str  # money.due.Owed
    refund_due: Decimal  # paid beyond what is kept: to the card and at the desk
    balance_at_visit: Decimal  # for an upcoming visit, what is left to pay on the day
    charge: Charge | None = None
    refund_to_card: Decimal = ZERO  # of refund_due, planned to the card, Stripe not answered
    refund_at_desk: Decimal = ZERO  # of refund_due, what the desk gives back
    payments: list[Payment] = field(default_factory=list)

    def show(self, amount: Decimal | None) -> str:
        return shown(amount, self.currency)


def paid_on(payments) -> Decimal:
    return sum((p.signed_amount for p in payments), ZERO)


def appointment_account(appointment: Appointment) -> Account:
    """Four queries at most: the payments, the fee, the policy (for an upcoming visit), the
    refunds to cards not answered yet (for one with something to refund)."""
    payments = list(appointment.payments.select_related("recorded_by").order_by("recorded_at"))
    charge = Charge.objects.filter(appointment=appointment).first()
    paid = paid_on(payments)
    price = price_of(appointment)
    currency = appointment.currency or appointment.clinic.currency
    outstanding, owed, refund, balance = ZERO, rules.Owed.NOTHING, ZERO, ZERO
    status = appointment.status
    if price is None:
        pass  # nothing was kept to count against
    elif status in (Appointment.Status.CONFIRMED, Appointment.Status.HELD):
        booked = rules.due(
            event=rules.Event.BOOKED,
            price=price,
            terms=terms_for(clinic=appointment.clinic, treatment_id=appointment.treatment_id),
            paid=paid,
            online=appointment.channel == Appointment.Channel.ONLINE,
        )
        outstanding, owed = booked.to_pay, booked.owed
        balance = max(price.net - paid, ZERO)
    elif status == Appointment.Status.COMPLETED:
        done = rules.due(event=rules.Event.COMPLETED, price=price, terms=rules.Terms(), paid=paid)
        outstanding, owed, refund = done.to_pay, done.owed, done.refund
    else:  # cancelled, no-show, expired: what the event's fee keeps, if it is not waived
        kept = charge.amount if charge is not None and not charge.is_waived else ZERO
        outstanding, refund = max(kept - paid, ZERO), max(paid - kept, ZERO)
        if outstanding:
            owed = rules.Owed(charge.kind)
    to_card = ZERO
    if refund > ZERO:
        calls = ProviderCall.objects.filter(
            appointment=appointment,
            kind=ProviderCall.Kind.REFUND,
            # A FAILED one waits for a person (money/problems.py), who settles it at the desk.
            status__in=(
                ProviderCall.Status.PENDING,
                ProviderCall.Status.SENDING,
                ProviderCall.Status.FAILED,
            ),
        )
        to_card = min(sum((c.amount for c in calls), ZERO), refund)
    return Account(
        currency=currency,
        price=appointment.price,
        discount=appointment.discount,
        net=price.net if price else None,
        paid=paid,
        outstanding=outstanding,
        outstanding_is=owed,
        refund_due=refund,
        balance_at_visit=balance,
        charge=charge,
        payments=payments,
        refund_to_card=to_card,
        refund_at_desk=refund - to_card,
    )
