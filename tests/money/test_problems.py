"""The payment problems page (workspace/views/problems.py, money/problems.py): a fee charge
the card declined is listed for its clinic's staff only; a manager tries it again (a new
call under a new key: the old key would only get the decline back) or settles it at the
desk with a reason, audited; the desk reads it; anyone else gets a 404, and the anonymous
the login page."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.test import Client as Browser

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER
from clinic.models import AuditEntry
from money import provider
from money.models import Payment, ProviderCall, SavedCard
from money.problems import call_retry
from tests import factories
from tests.money.test_stripe import TUESDAY_10, no_show, paid

PAGE = "/staff/payments/problems/"
LATER = TUESDAY_10 + timedelta(hours=3, minutes=1)  # past the desk's hour to waive the fee


@pytest.fixture
def declined(world, deposit_policy, stripe_fake):
    """A no-show whose 30 fee (50 less the 20 deposit) the saved card declined."""
    booked = paid(world, stripe_fake)
    stripe_fake.decline_cards.add(SavedCard.objects.get().payment_method)
    no_show(world, booked)
    with time_machine.travel(LATER, tick=False):
        provider.calls_sweep()
    call = ProviderCall.objects.get(kind="fee")
    assert call.status == "failed" and call.result["refused"] is True
    return call


def signed_in(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def test_the_page_lists_a_declined_fee_for_its_clinic_only(world, declined):
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])
    elsewhere = factories.ClinicFactory(slug="elsewhere", name="Elsewhere Clinic")
    other = factories.StaffFactory(username="otto", roles=[MANAGER], clinics=[elsewhere])
    appointment = declined.appointment

    with time_machine.travel(LATER, tick=False):
        page = signed_in(manager).get(PAGE)
        theirs = signed_in(other).get(PAGE)

    body = page.content.decode()
    assert page.status_code == 200
    assert f'data-call="{declined.pk}"' in body
    for shown in (appointment.reference, appointment.client.name, "declined", "£30.00"):
        assert shown in body
    assert "Try again" in body and "Resolved at the desk" in body
    assert 'href="/staff/payments/problems/"' in body  # in the nav
    assert theirs.status_code == 200 and appointment.reference not in theirs.content.decode()


def test_try_again_makes_one_new_call(world, declined, stripe_fake):
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])
    stripe_fake.decline_cards.clear()  # the client has sorted out their card

    with time_machine.travel(LATER, tick=False):
        answer = signed_in(manager).post(f"{PAGE}{declined.pk}/retry/")
        signed_in(manager).post(f"{PAGE}{declined.pk}/retry/")  # a second click: not a problem
        provider.calls_sweep()
        provider.calls_sweep()

    assert answer.status_code == 302
    declined.refresh_from_db()
    again = ProviderCall.objects.exclude(pk=declined.pk).get(kind="fee")
    assert declined.status == "cancelled" and declined.result["replaced_by"] == again.pk
    assert again.key != declined.key and again.status == "sent" and again.amount == D("30.00")
    fees = [c["amount"] for c in stripe_fake.charges if c["off_session"]]
    assert fees == [3000], "the declined try took nothing; the new one took the fee once"
    assert Payment.objects.filter(kind="fee").count() == 1
    entry = AuditEntry.objects.get(what="payment call retried")
    assert (entry.username, entry.client_id) == ("mia", declined.appointment.client_id)
    assert entry.details["new_call"] == again.pk
    assert not signed_in(manager).get(PAGE).context["calls"]


def test_a_call_whose_outcome_is_unknown_is_tried_under_its_own_key(
    world,
    deposit_policy,
    stripe_fake,
    settings,
):
    booked = paid(world, stripe_fake)
    no_show(world, booked)
    stripe_fake.fail_for(3600)
    at = LATER
    for _ in range(settings.PROVIDER_CALL_ATTEMPTS):
        with time_machine.travel(at, tick=False):
            provider.calls_sweep()
        at += timedelta(minutes=20)
    call = ProviderCall.objects.get(kind="fee")
    assert call.status == "failed" and "refused" not in call.result
    stripe_fake.fail_until = 0
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])

    with time_machine.travel(at, tick=False):
        made = call_retry(call=call, by=manager)
        provider.calls_sweep()

    call.refresh_from_db()
    assert made.pk == call.pk and call.status == "sent"
    assert ProviderCall.objects.filter(kind="fee").count() == 1
    assert [c["amount"] for c in stripe_fake.charges if c["off_session"]] == [3000]


def test_resolved_at_the_desk_needs_a_reason_and_is_audited(world, declined):
    manager = factories.StaffFactory(username="mia", roles=[MANAGER])
    browser = signed_in(manager)

    with time_machine.travel(LATER, tick=False):
        browser.post(f"{PAGE}{declined.pk}/resolve/", {"reason": "  "})
        declined.refresh_from_db()
        assert declined.status == "failed" and not AuditEntry.objects.filter(action="record")
        browser.post(f"{PAGE}{declined.pk}/resolve/", {"reason": "Paid 30 in cash at the desk."})

    declined.refresh_from_db()
    assert declined.status == "cancelled"
    assert declined.result["resolved"]["reason"] == "Paid 30 in cash at the desk."
    assert declined.result["resolved"]["by"] == "mia"
    entry = AuditEntry.objects.get(what="payment call resolved at the desk")
    assert (entry.username, entry.clinic_id, entry.details["reference"]) == (
        "mia",
        world.clinic.pk,
        declined.appointment.reference,
    )
    with time_machine.travel(LATER, tick=False):
        assert browser.get(PAGE).context["calls"] == []


def test_another_clinics_manager_gets_a_404_and_changes_nothing(world, declined):
    elsewhere = factories.ClinicFactory(slug="elsewhere", name="Elsewhere Clinic")
    other = factories.StaffFactory(username="otto", roles=[MANAGER], clinics=[elsewhere])
    browser = signed_in(other)

    retried = browser.post(f"{PAGE}{declined.pk}/retry/")
    resolved = browser.post(f"{PAGE}{declined.pk}/resolve/", {"reason": "Not mine."})

    assert (retried.status_code, resolved.status_code) == (404, 404)
    declined.refresh_from_db()
    assert declined.status == "failed" and ProviderCall.objects.filter(kind="fee").count() == 1
    assert not AuditEntry.objects.filter(action="record").exists()


def test_the_anonymous_are_sent_to_log_in(world, declined):
    answer = Browser().get(PAGE)
    posted = Browser().post(f"{PAGE}{declined.pk}/retry/")

    assert answer.status_code == 302 and answer["Location"].startswith("/staff/login/")
    assert posted.status_code == 302 and posted["Location"].startswith("/staff/login/")
    declined.refresh_from_db()
    assert declined.status == "failed"


def test_the_desk_reads_it_and_other_roles_get_a_404(world, declined):
    desk = signed_in(factories.StaffFactory(username="fran", roles=[FRONT_DESK]))
    practitioner = signed_in(factories.StaffFactory(username="pia", roles=[PRACTITIONER]))

    with time_machine.travel(LATER, tick=False):
        read = desk.get(PAGE)
        retried = desk.post(f"{PAGE}{declined.pk}/retry/")
        resolved = desk.post(f"{PAGE}{declined.pk}/resolve/", {"reason": "Mine now."})
        refused = practitioner.get(PAGE)

    body = read.content.decode()
    assert read.status_code == 200 and declined.appointment.reference in body
    assert "Try again" not in body and "Resolved at the desk" not in body
    assert (retried.status_code, resolved.status_code, refused.status_code) == (404, 404, 404)
    assert 'href="/staff/payments/problems/"' not in practitioner.get("/staff/").content.decode()
    declined.refresh_from_db()
    assert declined.status == "failed"


def test_a_refund_stuck_pending_is_listed(world, deposit_policy, stripe_fake):
    from diary.services import appointment_cancel

    booked = paid(world, stripe_fake)
    appointment_cancel(appointment=booked, by=factories.StaffFactory(username="desk"), reason="")
    stripe_fake.go_down()
    provider.calls_sweep()
    manager = signed_in(factories.StaffFactory(username="mia", roles=[MANAGER]))

    soon = manager.get(PAGE).context["calls"]
    with time_machine.travel(TUESDAY_10, tick=False):  # the sweep has not run for a day
        stuck = manager.get(PAGE).context["calls"]

    assert soon == []
    assert [(r["call"].kind, r["call"].status, r["amount"]) for r in stuck] == [
        ("refund", "pending", "£20.00")
    ]


def test_anonymisation_takes_the_reason_a_call_was_settled(world, declined):
    from money.services import payments_redact

    manager = factories.StaffFactory(username="mia", roles=[MANAGER])
    with time_machine.travel(LATER, tick=False):
        signed_in(manager).post(
            f"{PAGE}{declined.pk}/resolve/", {"reason": "Her husband paid in cash."}
        )

    payments_redact(client=declined.appointment.client)

    declined.refresh_from_db()
    assert declined.status == "cancelled"
    assert "husband" not in str(declined.result) and declined.result["resolved"]["by"] == "mia"


def test_waiving_a_fee_the_card_declined_takes_it_off_the_list(world, declined):
    from money.services import fee_waive

    manager = factories.StaffFactory(username="mia", roles=[MANAGER])
    fee_waive(charge=declined.charge, by=manager, reason="Card trouble; let it go.")

    declined.refresh_from_db()
    assert declined.status == "cancelled"
    with time_machine.travel(LATER, tick=False):
        assert signed_in(manager).get(PAGE).context["calls"] == []
