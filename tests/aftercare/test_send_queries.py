"""What a send task's batch costs the database: the statements it makes are pinned, two for
each message (its take and its outcome) and a fixed few for the whole batch, however many of
its emails carry the link to sign forms."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare.models import Message
from diary.services import appointment_book
from sending.delivery import messages_send
from tests import factories
from tests.consent.conftest import FRIDAY, at

FORMS_LINK = "Sign your forms before your visit"
# The batch's messages, its stored templates, and the forms its appointments still need (the
# organisation's rules, the forms' current versions in two, the clients' signatures).
PER_BATCH = 6


@pytest.fixture
def visits(world, consent_files):
    factories.consent_form(
        organisation=world.clinic.organisation, name="Massage consent", category="facial_massage"
    )
    booked = [
        appointment_book(
            treatment=world.treatment,
            start=at(FRIDAY, 10 + n),
            client=factories.ClientFactory(
                clinic=world.clinic, name=f"Client {n}", email=f"client{n}@example.com"
            ),
        ).appointment
        for n in range(3)
    ]
    factories.form_signed(booked[0])  # the others' forms are still to sign
    return booked


def test_a_batch_reads_the_forms_to_sign_once_not_per_message(visits, inbox):
    messages = list(
        Message.objects.filter(
            appointment__in=visits, kind__in=(Message.Kind.CONFIRMATION, Message.Kind.REMINDER)
        ).order_by("pk")
    )
    assert len(messages) == 2 * len(visits)
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(status=Message.Status.SENDING)

    with CaptureQueriesContext(connection) as queries:
        outcomes = messages_send(message_ids=[m.pk for m in messages])

    assert set(outcomes.values()) == {Message.Status.SENT}
    # The savepoints are the test's transaction's: a worker commits instead.
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == PER_BATCH + 2 * len(messages), "\n".join(statements)
    for message in messages:
        [received] = inbox.for_outbox(message.pk)
        body = received.get_body(("plain",)).get_content()
        assert (FORMS_LINK in body) == (message.appointment_id != visits[0].pk)
