"""A cancellation offers the freed time only to waiting clients the rules allow it to, in
the order they joined; the offers hold the time; the first to accept books it; an expired
offer moves on; the per-day cap holds."""

from datetime import timedelta

import pytest
from django.test import Client as Browser

from access.roles import FRONT_DESK
from aftercare.models import Message
from aftercare.services import sms_opt_in
from bookings.models import Appointment
from clinic.models import AuditEntry, Client, SmsConsentSource
from diary.errors import OfferGone, OfferNotYours
from diary.services import appointment_cancel
from diary.waitlist import offer_accept, offers_expire, round_run, rounds_sweep
from sending.delivery import messages_send, offer_reason, render
from tests import factories
from tests.waitlist.conftest import DAY, START, make_waiting
from waitlist.models import Entry, FreedTime, Offer, Skip


def cancel(waiting):
    appointment_cancel(
        appointment=waiting.booked, by=factories.StaffFactory(roles=[FRONT_DESK]), reason="ill"
    )
    return FreedTime.objects.order_by("-pk").first()


def filler(client, days_before_day: int):
    factories.InjectableRecordFactory(client=client, date=DAY - timedelta(days=days_before_day))


def test_a_cancellation_offers_the_time_only_to_eligible_waiting_clients(world, waiting, settings):
    settings.WAITLIST_OFFERS_PER_SLOT = 3
    ann, ben, cat = waiting.clients
    filler(ann, 10)  # inside the 14-day wait: refused on that day

    freed = cancel(waiting)
    assert (freed.start, freed.cause) == (START, FreedTime.Cause.CANCELLED)
    offers = round_run(freed.pk)

    assert [o.entry.client for o in offers] == [ben, cat]  # first come, first served
    hold = offers[0].hold
    assert hold.status == Appointment.Status.HELD and hold.start == START
    assert {o.hold_id for o in offers} == {hold.pk}
    skip = Skip.objects.get()
    assert skip.entry.client == ann
    assert "14" in skip.reason or "filler" in skip.reason.lower(), skip.reason
    assert "earliest date" in skip.reason
    offered = Message.objects.filter(kind=Message.Kind.WAITLIST_OFFER)
    assert sorted(m.client_id for m in offered) == sorted([ben.pk, cat.pk])
    assert not Message.objects.filter(client=ann, kind=Message.Kind.WAITLIST_OFFER).exists()


def test_the_reason_is_shown_to_staff_and_audited_never_to_another_client(world, waiting):
    ann, ben, _ = waiting.clients
    filler(ann, 10)
    round_run(cancel(waiting).pk)
    reason = Skip.objects.get().reason

    staff = Browser()
    staff.force_login(factories.StaffFactory(roles=[FRONT_DESK]))
    page = staff.get("/staff/waitlist/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ann Waiting" in text and reason.split(".")[0] in text
    assert AuditEntry.objects.filter(what="waitlist reasons", client=ann).exists()

    other = Browser()
    other.force_login(ben.user)
    mine = other.get("/my/waitlist/").content.decode()
    assert "Ann" not in mine and reason.split(".")[0] not in mine
    api = other.get("/api/v1/me/waitlist/").json()
    assert "Ann" not in str(api) and "filler" not in str(api).lower()


def test_the_first_to_accept_books_it_and_the_others_are_told(world, waiting, settings):
    settings.WAITLIST_OFFERS_PER_SLOT = 3
    ann, ben, cat = waiting.clients
    offers = round_run(cancel(waiting).pk)
    assert [o.entry.client for o in offers] == [ann, ben, cat]
    _, first, second = offers

    with pytest.raises(OfferNotYours):  # only the client offered it accepts it
        offer_accept(offer=first, by=cat.user)
    booked = offer_accept(offer=first, by=ben.user)
    assert booked.appointment.client == ben
    assert booked.appointment.status == Appointment.Status.CONFIRMED
    assert Entry.objects.get(pk=first.entry_id).status == Entry.Status.BOOKED
    second.refresh_from_db()
    assert second.status == Offer.Status.GONE
    assert Message.objects.filter(client=cat, kind=Message.Kind.OFFER_GONE).exists()
    assert Message.objects.filter(client=ann, kind=Message.Kind.OFFER_GONE).exists()
    assert Message.objects.filter(client=ben, kind=Message.Kind.CONFIRMATION).exists()

    with pytest.raises(OfferGone):
        offer_accept(offer=Offer.objects.get(pk=second.pk), by=cat.user)


def test_an_expired_offer_moves_to_the_next_client(world, waiting, settings, frozen_now):
    settings.WAITLIST_OFFERS_PER_SLOT = 1
    ann, ben, _ = waiting.clients
    freed = cancel(waiting)
    [first] = round_run(freed.pk)
    assert first.entry.client == ann

    later = frozen_now + timedelta(minutes=settings.WAITLIST_OFFER_MINUTES + 1)
    offers_expire(now=later)

    first.refresh_from_db()
    assert first.status == Offer.Status.EXPIRED
    assert Appointment.objects.get(pk=first.hold_id).status == Appointment.Status.EXPIRED
    [second] = Offer.objects.filter(status=Offer.Status.OFFERED)
    assert second.entry.client == ben
    assert second.hold.status == Appointment.Status.HELD and second.hold.start == START
    with pytest.raises(OfferGone):
        offer_accept(offer=first, by=ann.user, now=later)


def test_the_per_day_cap_holds(world, settings):
    settings.WAITLIST_OFFERS_PER_CLIENT_PER_DAY = 1
    settings.WAITLIST_OFFERS_PER_SLOT = 1
    waiting = make_waiting(world, names=("Ann",))
    afternoon = make_waiting(world, names=(), start=START + timedelta(hours=4))
    ann = waiting.clients[0]
    [offer] = round_run(cancel(waiting).pk)
    assert offer.entry.client == ann

    # A second time comes free the same day: Ann had her one offer today.
    appointment_cancel(appointment=afternoon.booked, by=factories.StaffFactory(roles=[FRONT_DESK]))
    freed = FreedTime.objects.exclude(pk=offer.freed_id).get()
    assert round_run(freed.pk) == []
    skip = Skip.objects.get(freed=freed)
    assert skip.entry.client == ann and "limit" in skip.reason
    assert Offer.objects.filter(entry__client=ann).count() == 1
    freed.refresh_from_db()
    assert freed.done_at is not None  # nobody else waits: the time stays free to book


def test_the_cap_lets_the_next_client_have_it(world, settings):
    settings.WAITLIST_OFFERS_PER_CLIENT_PER_DAY = 1
    settings.WAITLIST_OFFERS_PER_SLOT = 1
    waiting = make_waiting(world, names=("Ann", "Ben"))
    afternoon = make_waiting(world, names=(), start=START + timedelta(hours=4))
    ann, ben = waiting.clients
    round_run(cancel(waiting).pk)
    appointment_cancel(appointment=afternoon.booked, by=factories.StaffFactory(roles=[FRONT_DESK]))
    freed = FreedTime.objects.order_by("-pk").first()
    [offer] = round_run(freed.pk)
    assert offer.entry.client == ben


def test_the_sweep_runs_a_round_whose_task_was_lost(world, waiting, no_broker):
    """The round is queued after commit; if the broker lost it, beat's sweep runs it."""
    freed = cancel(waiting)
    assert not Offer.objects.exists()
    assert rounds_sweep() == 1
    assert Offer.objects.filter(freed=freed).count() >= 1
    freed.refresh_from_db()
    assert freed.run_at is not None and freed.done_at is None  # waiting for the answers


def test_the_offer_email_carries_its_link_and_is_dropped_once_the_offer_ends(world, waiting):
    ann, ben, _ = waiting.clients
    offers = round_run(cancel(waiting).pk)
    email = render(Message.objects.get(client=ann, kind=Message.Kind.WAITLIST_OFFER))
    assert f"/waitlist/offers/{offers[0].pk}/{offers[0].link_token()}/" in email.text
    assert "Tuesday 2 March 2027 at 10:00" in email.text

    offer_accept(offer=offers[1], by=ben.user)
    still_due = Message.objects.get(client=ann, kind=Message.Kind.WAITLIST_OFFER)
    assert still_due.status == Message.Status.CANCELLED  # planned "gone" instead
    assert offer_reason(still_due) == "The offer is no longer open."
    gone = render(Message.objects.get(client=ann, kind=Message.Kind.OFFER_GONE))
    assert "has been booked by another client" in gone.text


def test_a_client_who_agreed_to_texts_is_also_texted_the_offer(world, waiting, twilio):
    """The text carries the same accept link; it is cancelled with the email once another
    client takes the time; a client who did not agree gets the email only."""
    ann, ben, _ = waiting.clients
    Client.objects.filter(pk=ann.pk).update(phone="+447911123456")
    ann.refresh_from_db()
    sms_opt_in(client=ann, source=SmsConsentSource.STAFF)

    offers = round_run(cancel(waiting).pk)

    [text] = Message.objects.filter(client=ann, channel=Message.Channel.SMS)
    assert text.kind == Message.Kind.WAITLIST_OFFER
    assert not Message.objects.filter(client=ben, channel=Message.Channel.SMS).exists()
    Message.objects.filter(pk=text.pk).update(status=Message.Status.SENDING)
    assert messages_send(message_ids=[text.pk]) == {text.pk: Message.Status.SENT}
    [sent] = twilio.sent
    assert f"/waitlist/offers/{offers[0].pk}/{offers[0].link_token()}/" in sent.body
    assert "Manual facial massage, Tue 2 Mar at 10:00" in sent.body


def test_the_text_is_cancelled_with_the_email_once_another_client_takes_the_time(
    world, waiting, twilio
):
    ann, ben, _ = waiting.clients
    Client.objects.filter(pk=ann.pk).update(phone="+447911123456")
    sms_opt_in(client=Client.objects.get(pk=ann.pk), source=SmsConsentSource.STAFF)
    offers = round_run(cancel(waiting).pk)

    offer_accept(offer=offers[1], by=ben.user)

    [text] = Message.objects.filter(client=ann, channel=Message.Channel.SMS)
    assert text.status == Message.Status.CANCELLED
