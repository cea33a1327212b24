"""Calls to the payment provider that need a person (the workspace's payment problems page):
those Stripe refused (a card declined) or whose tries ran out, and those stuck (still
pending well past their time after a try, or being sent for too long: the sweep is not
running). A manager tries one again or settles it at the desk, with a reason, audited.

Who may: seeing them is the desk's (`money.record_payment`: they take what a card would
not give); acting on them is the manager's (`money.waive_fee`, the capability that already
decides what a client is charged). These services refuse a role without it (NotAllowed).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

import access
from clinic.audit import Origin, acting_user, audit_write
from clinic.models import AuditEntry
from money import provider
from money.currency import ZERO
from money.errors import MoneyError, NotAllowed, PaymentRefused
from money.models import ProviderCall
from money.services import paid_counting_planned_refunds

SEE = "money.record_payment"
ACT = "money.waive_fee"
# A call still pending this long after its time, tried at least once, or being sent this
# long: the sweep (every 30 s, money/provider.py) would have moved it on by now.
STUCK_AFTER = timedelta(minutes=15)
# What the audit trail names (AuditEntry.what).
RETRIED = "payment call retried"
RESOLVED = "payment call resolved at the desk"

Kind, Status = ProviderCall.Kind, ProviderCall.Status
# Money taken or given back. A deposit's Checkout call that fails is answered to the client
# at once and its hold released; closing a session is retried by the sweep, and a session
# paid after all is refunded by its webhook: neither waits for a person.
MONEY = (Kind.FEE, Kind.REFUND)


class NotAProblem(MoneyError):
    code = "invalid_status"
    status = 409
    detail = "This call is not waiting for anyone any more."


def may_see(user, clinic) -> bool:
    return access.can(user, SEE, clinic)


def may_act(user, clinic) -> bool:
    return access.can(user, ACT, clinic)


def _problem(now: datetime) -> Q:
    return (
        Q(status=Status.FAILED)
        | Q(status=Status.PENDING, attempts__gt=0, due_at__lt=now - STUCK_AFTER)
        | Q(status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER)
    )


def problem_calls(*, clinic_ids, now: datetime | None = None) -> QuerySet[ProviderCall]:
    """The calls of `clinic_ids` (None: every clinic) that need a person, newest first,
    with what the page shows of their appointment (one query)."""
    now = now or timezone.now()
    calls = ProviderCall.objects.filter(_problem(now), kind__in=MONEY)
    if clinic_ids is not None:
        calls = calls.filter(clinic_id__in=clinic_ids)
    return calls.select_related(
        "appointment__client",
        "appointment__treatment",
        "client_course__client",
        "charge",
        "clinic",
    ).order_by("-created_at", "-pk")


def is_refused(call: ProviderCall) -> bool:
    """Stripe answered no (money/provider.py `_record`), rather than not answering."""
    return call.status == Status.FAILED and bool(call.result.get("refused"))


def _locked(call: ProviderCall, now: datetime) -> ProviderCall:
    locked = ProviderCall.objects.select_for_update().get(pk=call.pk)
    if not ProviderCall.objects.filter(_problem(now), kind__in=MONEY, pk=locked.pk).exists():
        raise NotAProblem()
    return locked


def call_retry(*, call: ProviderCall, by, origin: Origin | None = None) -> ProviderCall:
    """Try a call again; the call that will be made (planned in this transaction, made once
    it commits).

    Stripe refused it (a card declined, a request it will never accept): the same key would
    only get the same refusal back (Stripe answers a key with its first answer), so a NEW
    call under a new key is planned and the refused one is closed, pointing to it. The
    outcome is unknown (Stripe down through every try, a worker that died mid-call): the
    SAME call is made again under its own key, so if the first attempt did reach Stripe its
    answer comes back instead of a second charge or refund (Stripe keeps a key's answer for
    at least 24 hours; past that, check the dashboard before trying). A fee waived, or
    paid at the desk meanwhile, is not charged again (NotAProblem)."""
    if not may_act(by, call.clinic_id):
        raise NotAllowed("Your role does not retry payments.")
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(call, now)
        amount = locked.amount
        if locked.kind == Kind.FEE:
            if locked.charge.is_waived:
                raise NotAProblem("The fee was waived: there is nothing to charge.")
            left = locked.charge.amount - paid_counting_planned_refunds(locked.appointment)
            if left <= ZERO:
                raise NotAProblem("The fee is paid: there is nothing left to charge.")
            amount = min(amount, left)
        if is_refused(locked):
            made = provider.plan(
                kind=locked.kind,
                appointment=locked.appointment,
                client_course=locked.client_course,
                payload=locked.payload,
                amount=amount,
                currency=locked.currency,
                charge=locked.charge,
            )
            locked.status, locked.done_at = Status.CANCELLED, now
            locked.result = {**locked.result, "replaced_by": made.pk}
            locked.save(update_fields=["status", "done_at", "result"])
        else:
            if amount != locked.amount:  # its key was sent with the first amount
                raise NotAProblem("Part of the fee was paid since: settle the rest at the desk.")
            locked.status, locked.due_at, locked.attempts = Status.PENDING, now, 0
            locked.done_at = None
            locked.save(update_fields=["status", "due_at", "attempts", "done_at"])
            transaction.on_commit(lambda: provider._enqueue(locked.pk))
            made = locked
        _audit(locked, by=by, origin=origin, what=RETRIED, new_call=made.pk)
    return made


def call_resolve(*, call: ProviderCall, by, reason: str, origin: Origin | None = None):
    """Settle a call at the desk (the fee taken in person, the refund given back there, or
    nothing more to do): it is never made, with who, when and why kept on it and in the
    audit trail. Record the money itself as a payment at the desk (money/services.py)."""
    if not may_act(by, call.clinic_id):
        raise NotAllowed("Your role does not resolve payments.")
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRefused("Say how it was settled at the desk.")
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(call, now)
        if locked.status == Status.SENDING:
            raise NotAProblem("This call is being made: wait for its answer.")
        user = acting_user(by)
        locked.status, locked.done_at = Status.CANCELLED, now
        locked.result = {
            **locked.result,
            "resolved": {
                "at": now.isoformat(),
                "by": user.get_username() if user else "",
                "reason": reason,
            },
        }
        locked.save(update_fields=["status", "done_at", "result"])
        _audit(locked, by=by, origin=origin, what=RESOLVED)
    return locked


def _audit(call: ProviderCall, *, by, origin, what: str, **details) -> None:
    audit_write(
        user=by,
        origin=origin,
        action=AuditEntry.Action.RECORD,
        what=what,
        clients=[call.client_id] if call.client_id else [],
        clinic=call.clinic_id,
        reference=call.about,
        call=call.pk,
        kind=call.kind,
        amount=str(call.amount) if call.amount is not None else "",
        currency=call.currency,
        **details,
    )
