"""Money through the services: the price kept when booked and through a move, the fees a
late cancellation or a no-show leaves due, payments and refunds recorded with a receipt in
the outbox, and fees waived only by the capability, with a reason, audited."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine

from access.roles import MANAGER, PRACTITIONER
from aftercare.models import Message
from clinic.models import AuditEntry
from diary.services import (
    appointment_book,
    appointment_cancel,
    appointment_mark_no_show,
    appointment_reschedule,
)
from money.errors import AlreadyWaived, NotAllowed, PaymentRefused
from money.models import Charge, Payment, PaymentPolicy
from money.selectors import appointment_account
from money.services import fee_waive, payment_record
from tests import factories

# The world's clock: Monday 1 March 2027, 08:00 UTC (08:00 in London).
TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
NEXT_WEEK_10 = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)


@pytest.fixture
def desk(world):
    return factories.StaffFactory(username="desk")


@pytest.fixture
def manager(world):
    return factories.StaffFactory(username="mia", roles=[MANAGER])


@pytest.fixture
def client(world):
    return factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")


def book(world, client, desk, start=TUESDAY_10, **kwargs):
    return appointment_book(
        treatment=world.treatment, start=start, client=client, by=desk, **kwargs
    ).appointment


def policy(world, **fields):
    return PaymentPolicy.objects.create(clinic=world.clinic, **fields)


def test_the_appointment_keeps_the_price_it_was_booked_at(world, client, desk):
    visit = book(world, client, desk, discount=D("10"), discount_reason="Regular")
    assert (visit.price, visit.discount, visit.currency) == (D("95.00"), D("10.00"), "GBP")
    world.treatment.price = D("120.00")
    world.treatment.save()
    moved = appointment_reschedule(appointment=visit, start=NEXT_WEEK_10, by=desk).appointment
    moved.refresh_from_db()
    assert (moved.price, moved.discount, moved.net_price) == (D("95.00"), D("10.00"), D("85.00"))


def test_the_clinic_currency_is_kept(world, client, desk):
    world.clinic.currency = "EUR"
    world.clinic.save()
    assert book(world, client, desk).currency == "EUR"


def test_a_deposit_shows_as_due_for_the_channel_the_policy_names(world, client, desk):
    policy(world, deposit="percentage", deposit_value=D("20"), deposit_staff=True)
    account = appointment_account(book(world, client, desk))
    assert (account.outstanding, account.outstanding_is) == (D("19.00"), "deposit")
    assert account.balance_at_visit == D("95.00")


def test_a_treatment_policy_overrides_the_clinic_policy(world, client, desk):
    policy(world, deposit="fixed", deposit_value=D("10"), deposit_staff=True)
    PaymentPolicy.objects.create(
        clinic=world.clinic, treatment=world.treatment, deposit="full", deposit_staff=True
    )
    assert appointment_account(book(world, client, desk)).outstanding == D("95.00")


def test_a_late_cancellation_the_client_asked_for_leaves_the_fee_due(world, client, desk):
    policy(world, late_cancel_fee="percentage", late_cancel_value=D("50"))
    visit = book(world, client, desk)  # tomorrow 10:00, 26 hours away
    with time_machine.travel(TUESDAY_10 - timedelta(hours=3), tick=False):
        visit = appointment_cancel(appointment=visit, by=desk, reason="Phoned", client_asked=True)
    charge = Charge.objects.get(appointment=visit)
    assert (charge.kind, charge.amount, charge.currency) == (
        "late_cancellation_fee",
        D("47.50"),
        "GBP",
    )
    account = appointment_account(visit)
    assert (account.outstanding, account.outstanding_is) == (D("47.50"), "late_cancellation_fee")


def test_a_cancellation_in_time_leaves_no_fee(world, client, desk):
    policy(world, late_cancel_fee="percentage", late_cancel_value=D("50"))
    visit = book(world, client, desk)
    with time_machine.travel(TUESDAY_10 - timedelta(hours=24), tick=False):  # exactly the window
        appointment_cancel(appointment=visit, by=desk, client_asked=True)
    assert not Charge.objects.exists()


def test_a_clinic_cancellation_charges_nothing_and_refunds_what_was_paid(world, client, desk):
    policy(world, late_cancel_fee="percentage", late_cancel_value=D("100"))
    visit = book(world, client, desk)
    payment_record(appointment=visit, amount="20.00", kind="deposit", method="cash", by=desk)
    with time_machine.travel(TUESDAY_10 - timedelta(hours=1), tick=False):
        visit = appointment_cancel(appointment=visit, by=desk, reason="Practitioner ill")
    assert not Charge.objects.exists()
    account = appointment_account(visit)
    assert (account.outstanding, account.refund_due) == (D(0), D("20.00"))


def test_a_no_show_leaves_the_no_show_fee_due_less_the_deposit(world, client, desk):
    policy(world, no_show_fee="fixed", no_show_value=D("50"))
    visit = book(world, client, desk)
    payment_record(appointment=visit, amount="20", kind="deposit", method="card_at_desk", by=desk)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=20), tick=False):
        visit = appointment_mark_no_show(appointment=visit, by=desk)
    assert Charge.objects.get(appointment=visit).amount == D("50.00")
    account = appointment_account(visit)
    assert (account.paid, account.outstanding, account.outstanding_is) == (
        D("20.00"),
        D("30.00"),
        "no_show_fee",
    )


def test_no_policy_no_fee(world, client, desk):
    visit = book(world, client, desk)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=20), tick=False):
        appointment_mark_no_show(appointment=visit, by=desk)
    assert not Charge.objects.exists()


def test_a_payment_plans_its_receipt_in_the_outbox(world, client, desk):
    visit = book(world, client, desk)
    payment = payment_record(
        appointment=visit, amount="95.00", kind="balance", method="card_at_desk", by=desk
    )
    assert (payment.amount, payment.currency, payment.client_id) == (D("95.00"), "GBP", client.pk)
    assert payment.recorded_by == desk
    receipt = Message.objects.get(kind=Message.Kind.RECEIPT)
    assert receipt.key == f"payment:{payment.pk}:receipt"
    assert receipt.client_id == client.pk
    assert receipt.data["amount"] == "£95.00"
    assert receipt.data["method"] == "Card at the desk"


def test_a_receipt_survives_the_cancellation_that_follows(world, client, desk):
    visit = book(world, client, desk)
    payment_record(appointment=visit, amount="20", kind="deposit", method="cash", by=desk)
    appointment_cancel(appointment=visit, by=desk)
    assert Message.objects.get(kind=Message.Kind.RECEIPT).status == Message.Status.PENDING


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "above zero"),
        ("-5", "above zero"),
        ("1.005", "no finer"),
        ("abc", "as a number"),
        ("NaN", "above zero"),
        ("1e30", "above zero"),
    ],
)
def test_a_bad_amount_is_refused_and_nothing_is_written(world, client, desk, amount, message):
    visit = book(world, client, desk)
    with pytest.raises(PaymentRefused, match=message):
        payment_record(appointment=visit, amount=amount, kind="deposit", method="cash", by=desk)
    assert not Payment.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.RECEIPT).exists()


def test_a_refund_is_no_more_than_what_was_paid(world, client, desk):
    visit = book(world, client, desk)
    payment_record(appointment=visit, amount="20", kind="deposit", method="cash", by=desk)
    with pytest.raises(PaymentRefused, match="no more than"):
        payment_record(appointment=visit, amount="20.01", kind="refund", method="cash", by=desk)
    payment_record(appointment=visit, amount="20", kind="refund", method="cash", by=desk)
    assert appointment_account(visit).paid == D(0)


def test_a_practitioner_does_not_record_payments(world, client, desk):
    visit = book(world, client, desk)
    pat = factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    with pytest.raises(NotAllowed):
        payment_record(appointment=visit, amount="20", kind="deposit", method="cash", by=pat)
    assert not Payment.objects.exists()


@pytest.fixture
def no_show_fee(world, client, desk):
    policy(world, no_show_fee="fixed", no_show_value=D("40"))
    visit = book(world, client, desk)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=20), tick=False):
        appointment_mark_no_show(appointment=visit, by=desk)
    return Charge.objects.get(appointment=visit)


def test_a_manager_waives_a_fee_with_a_reason_and_it_is_audited(no_show_fee, manager):
    fee_waive(charge=no_show_fee, by=manager, reason="Family emergency")
    no_show_fee.refresh_from_db()
    assert no_show_fee.is_waived
    assert (no_show_fee.waived_by, no_show_fee.waive_reason) == (manager, "Family emergency")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.WAIVE)
    assert (entry.user, entry.client_id, entry.clinic_id) == (
        manager,
        no_show_fee.client_id,
        no_show_fee.clinic_id,
    )
    assert entry.details["reference"] == no_show_fee.appointment.reference
    no_show_fee.appointment.refresh_from_db()
    assert appointment_account(no_show_fee.appointment).outstanding == D(0)
    with pytest.raises(AlreadyWaived):
        fee_waive(charge=no_show_fee, by=manager, reason="Again")


def test_the_front_desk_does_not_waive_fees(no_show_fee, desk):
    with pytest.raises(NotAllowed):
        fee_waive(charge=no_show_fee, by=desk, reason="Nice client")
    no_show_fee.refresh_from_db()
    assert not no_show_fee.is_waived
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.WAIVE).exists()


def test_a_waiver_needs_a_reason(no_show_fee, manager):
    with pytest.raises(PaymentRefused):
        fee_waive(charge=no_show_fee, by=manager, reason="  ")
    no_show_fee.refresh_from_db()
    assert not no_show_fee.is_waived


def test_keeping_the_price_costs_the_booking_no_query(world, client, desk):
    """The price comes from the treatment and its clinic, which the booking has loaded: no
    query reads the money tables or the clinic again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        visit = book(world, client, desk)

    sql = [q["sql"] for q in queries]
    assert not [q for q in sql if "money_" in q], sql
    assert len([q for q in sql if q.startswith("SELECT") and 'FROM "clinic_clinic"' in q]) <= 1
    assert visit.price == D("95.00")


def test_the_export_lists_payments_and_fees(no_show_fee, desk):
    from privacy.export import client_export

    payment_record(
        appointment=no_show_fee.appointment,
        amount="40",
        kind="fee",
        method="cash",
        note="Paid at the door",
        by=desk,
    )

    data = client_export(no_show_fee.client)

    (payment,) = data["payments"]
    assert (payment["amount"], payment["kind"], payment["note"]) == (
        D("40.00"),
        "fee",
        "Paid at the door",
    )
    assert payment["recorded_by"] == "desk"
    (charge,) = data["charges"]
    assert (charge["kind"], charge["amount"]) == ("no_show_fee", D("40.00"))


def test_anonymising_keeps_the_amounts_and_removes_what_staff_wrote(no_show_fee, desk, manager):
    from privacy.anonymise import client_anonymise

    payment = payment_record(
        appointment=no_show_fee.appointment,
        amount="10",
        kind="fee",
        method="cash",
        note="Olivia paid part, rest next week",
        by=desk,
    )
    fee_waive(charge=no_show_fee, by=manager, reason="Olivia Turner was in hospital")

    client_anonymise(client=no_show_fee.client)

    payment.refresh_from_db()
    no_show_fee.refresh_from_db()
    assert (payment.amount, payment.kind, payment.method, payment.note) == (
        D("10.00"),
        "fee",
        "cash",
        "",
    )
    assert (no_show_fee.amount, no_show_fee.is_waived) == (D("40.00"), True)
    assert "Olivia" not in no_show_fee.waive_reason


def test_the_client_sees_the_booked_price_on_the_manage_page_and_in_their_space(world, desk):
    from django.test import Client as Browser
    from django.urls import reverse

    from tests.helpers import signed_in

    olivia = factories.ClientFactory(
        clinic=world.clinic, name="Olivia Turner", email="olivia@example.com"
    )
    visit = book(
        world, olivia, desk, start=NEXT_WEEK_10, discount=D("15"), discount_reason="Regular"
    )
    world.treatment.price = D("150.00")
    world.treatment.save()

    manage = Browser().get(reverse("online:manage", args=[visit.reference, visit.manage_token]))
    page = manage.content.decode()
    assert "£80" in page and "£95 less £15" in page
    assert "moving the appointment keeps it" in page
    assert "£150" not in page
    space = signed_in(Browser(), "olivia@example.com").get("/my/").content.decode()
    assert "£80" in space
    assert "£150" not in space
