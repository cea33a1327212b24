"""A practitioner's sign-off for "needs practitioner approval": opened when a booking (or a
move, or a new health record) meets such a rule, blocking completion until a practitioner or
manager in scope approves it; declining cancels the appointment as the clinic's. Each
decision is in the appointment's history and the audit trail."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from access.roles import MANAGER, PRACTITIONER
from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange, SignOff
from clinic.identity import client_login
from clinic.models import AuditEntry
from clinical.models import ContraindicationRule, HealthDeclaration
from clinical.rules import Declared
from clinical.services import declaration_record
from diary.errors import (
    InvalidTransition,
    NoSignOffPending,
    SignOffNotAllowed,
    SignOffPending,
)
from diary.holds import Contact, appointment_hold, hold_confirm
from diary.services import (
    appointment_book,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
)
from diary.signoff import APPROVE, AUDIT_SIGN_OFF, DECLINE, NoteMissing, appointment_sign_off
from tests import factories
from tests.conftest import works_every_day

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)
RULE = "Pregnancy: your practitioner checks with you before a facial massage."


def london(day, hour):
    return datetime.combine(day, time(hour), tzinfo=LONDON)


@pytest.fixture
def needs_approval(world):
    """The clinic asks a practitioner to approve a facial massage during pregnancy."""
    return ContraindicationRule.objects.create(
        clinic=world.clinic,
        condition="pregnancy",
        treatment_category=world.treatment.category,
        action=ContraindicationRule.Action.NEEDS_APPROVAL,
        message=RULE,
    )


@pytest.fixture
def staff(world):
    desk = factories.StaffFactory(username="desk")
    pat = factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    world.practitioner.user = pat
    world.practitioner.save(update_fields=["user"])
    other = factories.StaffFactory(username="otto", roles=[PRACTITIONER])
    otto = factories.PractitionerFactory(clinic=world.clinic, name="Otto", user=other)
    works_every_day(otto)
    elsewhere = factories.ClinicFactory(slug="elsewhere")
    return {
        "desk": desk,
        "pat": pat,
        "otto": other,
        "mia": factories.StaffFactory(username="mia", roles=[MANAGER]),
        "stranger": factories.StaffFactory(
            username="stranger", roles=[MANAGER], clinics=[elsewhere]
        ),
    }


def book_declaring_pregnancy(world, client, *, by=None, start=None):
    return appointment_book(
        treatment=world.treatment,
        start=start or london(TUESDAY, 10),
        client=client,
        practitioner=world.practitioner,
        by=by,
        declared=Declared(conditions=["pregnancy"]),
        acknowledge_warnings=True,
    ).appointment


@pytest.fixture
def client(world):
    return factories.ClientFactory(clinic=world.clinic, name="Nora Client")


def test_a_booking_under_a_needs_approval_rule_waits_for_sign_off(world, needs_approval, client):
    appointment = book_declaring_pregnancy(world, client)

    sign_off = SignOff.objects.get(appointment=appointment)
    assert sign_off.status == SignOff.Status.PENDING
    assert sign_off.reasons == [RULE]
    plain = appointment_book(
        treatment=world.treatment,
        start=london(TUESDAY, 12),
        client=factories.ClientFactory(clinic=world.clinic),
    ).appointment
    assert not SignOff.objects.filter(appointment=plain).exists()


def test_it_cannot_be_completed_before_sign_off(world, needs_approval, client, staff):
    appointment = book_declaring_pregnancy(world, client, by=staff["desk"])

    with time_machine.travel(london(TUESDAY, 11), tick=False):
        with pytest.raises(SignOffPending) as refusal:
            appointment_complete(appointment=appointment, by=staff["pat"])
        assert refusal.value.code == "sign_off_pending"
        assert refusal.value.status == 409
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CONFIRMED

        appointment_sign_off(
            appointment=appointment, decision=APPROVE, note="Discussed; GP agrees.", by=staff["pat"]
        )
        done = appointment_complete(appointment=appointment, by=staff["pat"])

    assert done.status == Appointment.Status.COMPLETED


def test_approval_is_recorded_in_the_history_and_the_audit_trail(
    world, needs_approval, client, staff
):
    appointment = book_declaring_pregnancy(world, client, by=staff["desk"])

    sign_off = appointment_sign_off(
        appointment=appointment, decision=APPROVE, note="Second trimester, fine.", by=staff["pat"]
    )

    assert (sign_off.status, sign_off.decided_by, sign_off.note) == (
        SignOff.Status.APPROVED,
        staff["pat"],
        "Second trimester, fine.",
    )
    assert sign_off.decided_at is not None
    line = appointment.changes.get(action=AppointmentChange.Action.SIGNED_OFF)
    assert (line.by, line.reason, line.details["decision"]) == (
        staff["pat"],
        "Second trimester, fine.",
        "approved",
    )
    entry = AuditEntry.objects.get(what=AUDIT_SIGN_OFF)
    assert (entry.user, entry.client, entry.clinic, entry.action) == (
        staff["pat"],
        client,
        world.clinic,
        AuditEntry.Action.RECORD,
    )
    assert entry.details == {"reference": appointment.reference, "decision": "approved"}
    with pytest.raises(NoSignOffPending):  # once is enough
        appointment_sign_off(appointment=appointment, decision=APPROVE, note="x", by=staff["mia"])


def test_declining_cancels_it_as_the_clinic_and_tells_the_client(
    world, needs_approval, client, staff
):
    appointment = book_declaring_pregnancy(world, client, by=staff["desk"])

    sign_off = appointment_sign_off(
        appointment=appointment,
        decision=DECLINE,
        note="Not in the first trimester.",
        by=staff["mia"],
    )

    appointment.refresh_from_db()
    assert sign_off.status == SignOff.Status.DECLINED
    assert appointment.status == Appointment.Status.CANCELLED
    assert not appointment.resource_holds.filter(active=True).exists()
    cancellation = Message.objects.get(appointment=appointment, kind=Message.Kind.CANCELLATION)
    assert cancellation.data["by_clinic"] is True
    assert "trimester" not in str(cancellation.data)  # the note is never emailed
    assert [c.action for c in appointment.changes.all()][-2:] == [
        AppointmentChange.Action.SIGNED_OFF,
        AppointmentChange.Action.CANCELLED,
    ]
    assert AuditEntry.objects.get(what=AUDIT_SIGN_OFF).details["decision"] == "declined"


@pytest.mark.parametrize("who", ["desk", "otto", "stranger", None])
def test_only_a_practitioner_or_manager_in_scope_signs_off(
    world, needs_approval, client, staff, who
):
    """The front desk's role does not sign off; another practitioner does not have the
    appointment on their sheet; a manager of another clinic, or nobody, is out of scope."""
    appointment = book_declaring_pregnancy(world, client, by=staff["desk"])

    with pytest.raises(SignOffNotAllowed):
        appointment_sign_off(
            appointment=appointment, decision=APPROVE, note="ok", by=staff.get(who)
        )

    assert SignOff.objects.get(appointment=appointment).status == SignOff.Status.PENDING
    assert not AuditEntry.objects.filter(what=AUDIT_SIGN_OFF).exists()


def test_a_note_is_required_and_a_cancelled_one_is_not_signed_off(
    world, needs_approval, client, staff
):
    appointment = book_declaring_pregnancy(world, client, by=staff["desk"])

    with pytest.raises(NoteMissing):
        appointment_sign_off(appointment=appointment, decision=APPROVE, note="  ", by=staff["pat"])
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    with pytest.raises(InvalidTransition):
        appointment_sign_off(appointment=appointment, decision=APPROVE, note="ok", by=staff["pat"])

    assert SignOff.objects.get(appointment=appointment).status == SignOff.Status.PENDING


def test_a_condition_recorded_after_booking_asks_for_sign_off_and_its_end_withdraws_it(
    world, needs_approval, client, staff
):
    appointment = appointment_book(
        treatment=world.treatment, start=london(TUESDAY, 10), client=client, by=staff["desk"]
    ).appointment
    assert not SignOff.objects.filter(appointment=appointment).exists()

    declaration, _ = declaration_record(
        client=client, condition="pregnancy", declared_on=date(2027, 3, 1), by=staff["desk"]
    )

    sign_off = SignOff.objects.get(appointment=appointment)
    assert (sign_off.status, sign_off.reasons) == (SignOff.Status.PENDING, [RULE])
    # The record corrected: the condition ended today, so nothing asks for it any more.
    HealthDeclaration.objects.filter(pk=declaration.pk).update(ended_on=date(2027, 3, 1))
    declaration_record(
        client=client, condition="epilepsy", declared_on=date(2027, 3, 1), by=staff["desk"]
    )
    sign_off.refresh_from_db()
    assert sign_off.status == SignOff.Status.NOT_NEEDED
    with time_machine.travel(london(TUESDAY, 11), tick=False):
        assert appointment_complete(appointment=appointment, by=staff["pat"]).status == (
            Appointment.Status.COMPLETED
        )


def test_an_approval_stands_for_what_it_answered_and_a_new_reason_reopens_it(
    world, needs_approval, client, staff
):
    appointment = book_declaring_pregnancy(world, client, by=staff["desk"])
    appointment_sign_off(appointment=appointment, decision=APPROVE, note="ok", by=staff["pat"])

    # Moved to another day: the same rule asks the same thing, the approval stands.
    appointment_reschedule(
        appointment=appointment,
        start=london(TUESDAY + timedelta(days=1), 10),
        by=staff["desk"],
        acknowledge_warnings=True,
    )
    assert SignOff.objects.get(appointment=appointment).status == SignOff.Status.APPROVED

    ContraindicationRule.objects.create(
        clinic=world.clinic,
        condition="epilepsy",
        treatment_category=world.treatment.category,
        action=ContraindicationRule.Action.NEEDS_APPROVAL,
        message="Epilepsy: your practitioner checks with you first.",
    )
    declaration_record(
        client=client, condition="epilepsy", declared_on=date(2027, 3, 1), by=staff["desk"]
    )

    sign_off = SignOff.objects.get(appointment=appointment)
    assert sign_off.status == SignOff.Status.PENDING
    assert set(sign_off.reasons) == {RULE, "Epilepsy: your practitioner checks with you first."}
    assert sign_off.decided_by is None


def test_a_hold_confirmed_by_its_owner_waits_for_sign_off(world, needs_approval):
    """The public's booking path: held for the address, then confirmed by its owner signed
    in; what they declared when asking is what asks for the sign-off."""
    held = appointment_hold(
        treatment=world.treatment,
        start=london(TUESDAY, 10),
        contact=Contact(name="Dana Client", email="dana@example.com"),
        declared=Declared(conditions=["pregnancy"]),
        acknowledge_warnings=True,
    ).appointment
    assert not SignOff.objects.filter(appointment=held).exists()

    confirmed = hold_confirm(
        appointment=held, by=client_login("dana@example.com"), acknowledge_warnings=True
    ).appointment

    assert confirmed.status == Appointment.Status.CONFIRMED
    assert SignOff.objects.get(appointment=confirmed).reasons == [RULE]


def test_a_no_show_is_not_held_up_by_a_pending_sign_off(world, needs_approval, client, staff):
    """Nothing was treated: the client did not come, whatever a practitioner would have said."""
    appointment = book_declaring_pregnancy(world, client, by=staff["desk"])

    with time_machine.travel(london(TUESDAY, 11), tick=False):
        missed = appointment_mark_no_show(appointment=appointment, by=staff["desk"])

    assert missed.status == Appointment.Status.NO_SHOW
    assert SignOff.objects.get(appointment=appointment).status == SignOff.Status.PENDING
