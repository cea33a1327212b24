"""The receipt for a payment taken at the desk: planned in the payment's transaction, sent
through the outbox to the client over the loopback SMTP server, in the default words."""

from datetime import UTC, datetime

from aftercare.models import Message
from diary.services import appointment_book
from money.services import payment_record
from tests import factories
from tests.conftest import NOW
from tests.helpers import send_one


def test_the_client_is_emailed_a_receipt_for_a_payment_and_a_refund(world, inbox):
    desk = factories.StaffFactory(username="desk")
    client = factories.ClientFactory(
        clinic=world.clinic, name="Olivia Turner", email="olivia@example.com"
    )
    visit = appointment_book(
        treatment=world.treatment,
        start=datetime(2027, 3, 5, 10, tzinfo=UTC),
        client=client,
        by=desk,
    ).appointment
    payment_record(appointment=visit, amount="30.00", kind="deposit", method="cash", by=desk)
    payment_record(appointment=visit, amount="30.00", kind="refund", method="cash", by=desk)
    receipts = list(
        Message.objects.filter(kind=Message.Kind.RECEIPT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=receipts).update(
        status=Message.Status.SENDING, claimed_at=NOW, sending_started_at=None
    )

    assert [send_one(pk) for pk in receipts] == [Message.Status.SENT, Message.Status.SENT]

    [paid] = inbox.for_outbox(receipts[0])
    assert paid["To"] == "olivia@example.com"
    # Python folds a long non-ASCII subject after "Subject:", and reads it back with a space.
    assert (
        paid["Subject"].strip()
        == f"Receipt: £30.00 for your Manual facial massage ({visit.reference})"
    )
    text = paid.get_body(("plain",)).get_content()
    assert "we have received £30.00 (Deposit, Cash)" in text
    assert "Price: £95.00. Paid in all, less refunds: £30.00." in text
    assert not [p for p in paid.iter_attachments() if p.get_filename() == "appointment.ics"]
    [refunded] = inbox.for_outbox(receipts[1])
    assert refunded["Subject"].strip().startswith("Refund: £30.00")
    assert "Paid in all, less refunds: £0.00." in refunded.get_body(("plain",)).get_content()
