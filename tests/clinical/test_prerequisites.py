"""Prerequisite rules (clinical/prerequisites.py): the pure decision, then the reader and the
booking services with a patch test 48 hours before microcurrent, valid 6 months."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from clinic.models import AuditEntry, Membership, TreatmentCategory
from clinical import prerequisites
from clinical.models import PrerequisiteRule
from clinical.prerequisites import Prior, Required, Rule, Unmet, Window, add_months
from diary import availability
from diary.errors import OverrideNotAllowed, PrerequisiteMissing
from diary.services import (
    appointment_book,
    appointment_cancel,
    appointment_mark_no_show,
    appointment_reschedule,
)
from tests import factories
from tests.conftest import add_microcurrent

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


PATCH = Required(pk=7, name="Patch test", slug="patch-test", clinic_id=1, active=True)
RULE = Rule(required=(PATCH,), min_hours=48, valid_months=6, message="Gel test first.")


# -- the pure decision -------------------------------------------------------------------------


def test_add_months_keeps_the_wall_time_and_clamps_the_day():
    assert add_months(at(date(2027, 8, 31), 10), 6) == at(date(2028, 2, 29), 10)
    assert add_months(at(date(2027, 3, 2), 9), 12) == at(date(2028, 3, 2), 9)


def test_without_a_prerequisite_the_rule_is_unmet_and_nothing_opens():
    assert prerequisites.unmet_at([RULE], [], at(date(2027, 3, 5), 10)) == [Unmet(RULE)]
    assert prerequisites.window([RULE], [], at(date(2027, 3, 1), 8)) == Window(unmet=(Unmet(RULE),))


def test_a_prerequisite_allows_from_n_hours_after_its_start():
    test = Prior(PATCH.pk, at(date(2027, 3, 2), 10))
    assert prerequisites.unmet_at([RULE], [test], at(date(2027, 3, 4), 10)) == []
    assert prerequisites.unmet_at([RULE], [test], at(date(2027, 3, 4), 9, 30)) == [
        Unmet(RULE, opens=at(date(2027, 3, 4), 10))
    ]
    window = prerequisites.window([RULE], [test], at(date(2027, 3, 1), 8))
    assert window.start == at(date(2027, 3, 4), 10)
    assert window.end == at(date(2027, 9, 2), 10)
    assert not window.closed


def test_a_prerequisite_no_longer_counts_after_m_months():
    test = Prior(PATCH.pk, at(date(2026, 9, 1), 10))
    assert prerequisites.unmet_at([RULE], [test], at(date(2027, 3, 1), 10)) == []
    assert prerequisites.unmet_at([RULE], [test], at(date(2027, 3, 1), 10, 15)) == [Unmet(RULE)]
    assert prerequisites.window([RULE], [test], at(date(2027, 3, 2), 8)).closed


def test_only_the_required_treatments_count():
    other = Prior(99, at(date(2027, 2, 1), 10))
    assert prerequisites.unmet_at([RULE], [other], at(date(2027, 3, 5), 10)) == [Unmet(RULE)]


def test_every_rule_must_be_met_and_the_window_is_their_overlap():
    consult = Required(8, "Consultation", "consultation", 1, True)
    second = Rule(required=(consult,), min_hours=24, valid_months=1, message="Consult first.")
    priors = [Prior(PATCH.pk, at(date(2027, 3, 2), 10)), Prior(consult.pk, at(date(2027, 3, 5), 9))]
    window = prerequisites.window([RULE, second], priors, at(date(2027, 3, 1), 8))
    assert (window.start, window.end) == (at(date(2027, 3, 6), 9), at(date(2027, 4, 5), 9))
    assert prerequisites.unmet_at([RULE, second], priors, at(date(2027, 3, 5), 12)) == [
        Unmet(second, opens=at(date(2027, 3, 6), 9))
    ]


def test_the_offer_prefers_the_active_required_treatment_at_the_clinic():
    elsewhere = Required(9, "Patch test", "patch-test-north", 2, True)
    retired = Required(10, "Old patch test", "old", 1, False)
    rule = Rule(required=(retired, elsewhere, PATCH), min_hours=48, valid_months=6, message="")
    assert rule.offer(1) == PATCH
    assert rule.offer(3) == elsewhere


# -- the reader and the booking services -------------------------------------------------------


@pytest.fixture
def micro(world):
    return add_microcurrent(world)


def add_patch_test(world):
    """A 15-minute patch test the world's practitioner gives (the other tests of prerequisite
    rules use it too)."""
    treatment = factories.TreatmentFactory(
        clinic=world.clinic,
        slug="patch-test",
        name="Patch test",
        category=TreatmentCategory.FACIAL_MASSAGE,
        duration_minutes=15,
        kinds=[world.room_kind],
    )
    world.practitioner.treatments.add(treatment)
    return treatment


def add_rule(world, treatment, required, message: str) -> PrerequisiteRule:
    """`required` at least 48 hours before `treatment`, valid 6 months, organisation-wide."""
    rule = PrerequisiteRule.objects.create(
        organisation=world.clinic.organisation,
        treatment=treatment,
        min_hours_before=48,
        valid_months=6,
        message=message,
    )
    rule.required_treatments.set([required])
    return rule


@pytest.fixture
def patch_test(world):
    return add_patch_test(world)


@pytest.fixture
def rule(world, micro, patch_test):
    return add_rule(world, micro, patch_test, "Microcurrent uses a gel we test on your skin first.")


@pytest.fixture
def carla(world):
    return factories.ClientFactory(clinic=world.clinic, name="Carla", email="carla@example.com")


def book(treatment, start, client, **kwargs):
    return appointment_book(treatment=treatment, start=start, client=client, **kwargs).appointment


def test_the_reader_finds_the_rule_and_the_clients_counted_appointments(
    world, rule, micro, patch_test, carla, django_assert_num_queries
):
    kept = book(patch_test, at(date(2027, 3, 2), 10), carla)
    cancelled = book(patch_test, at(date(2027, 3, 3), 10), carla)
    appointment_cancel(appointment=cancelled)
    someone_else = factories.ClientFactory(clinic=world.clinic)
    book(patch_test, at(date(2027, 3, 2), 11), someone_else)

    with django_assert_num_queries(1):
        facts = prerequisites.load(treatment=micro, client=carla)

    [found] = facts.rules
    assert (found.min_hours, found.valid_months) == (48, 6)
    assert found.required_ids == {patch_test.pk}
    assert facts.priors == (Prior(patch_test.pk, kept.start),)
    assert prerequisites.load(treatment=world.treatment, client=carla).rules == ()


def test_a_clinic_rule_replaces_the_organisations_and_a_category_rule_applies_too(
    world, rule, micro, patch_test, carla
):
    own = PrerequisiteRule.objects.create(
        organisation=world.clinic.organisation,
        clinic=world.clinic,
        treatment_category=TreatmentCategory.MICROCURRENT,
        min_hours_before=24,
        message="Ours: a day is enough.",
    )
    own.required_treatments.set([patch_test])
    [found] = prerequisites.load(treatment=micro, client=carla).rules
    assert found.min_hours == 24
    other_org = factories.ClinicFactory(slug="elsewhere")
    elsewhere = PrerequisiteRule.objects.create(
        organisation=other_org.organisation,
        treatment_category=TreatmentCategory.MICROCURRENT,
        message="Not ours.",
    )
    elsewhere.required_treatments.set([factories.TreatmentFactory(clinic=other_org)])
    assert len(prerequisites.load(treatment=micro, client=carla).rules) == 1


def test_booking_without_a_patch_test_is_refused_with_what_to_book(rule, micro, carla):
    with pytest.raises(PrerequisiteMissing) as refusal:
        book(micro, at(date(2027, 3, 5), 10), carla, by=carla.user)

    body = refusal.value.as_dict()
    assert body["code"] == "prerequisite_missing"
    assert body["required_treatment"] == "patch-test"
    assert "available_from" not in body
    assert body["detail"] == (
        "Microcurrent uses a gel we test on your skin first. Please book a Patch test first; "
        "this treatment can then be booked from 48 hours after it."
    )
    assert not Appointment.objects.filter(treatment=micro).exists()


def test_a_booked_patch_test_allows_the_treatment_from_48_hours_after_it(
    rule, micro, patch_test, carla
):
    book(patch_test, at(date(2027, 3, 2), 10), carla)  # booked, still to come

    with pytest.raises(PrerequisiteMissing) as refusal:
        book(micro, at(date(2027, 3, 4), 9), carla, by=carla.user)  # signed in: may know
    assert refusal.value.available_from == at(date(2027, 3, 4), 10)
    assert "from Thursday 4 March 2027 at 10:00, 48 hours after your Patch test" in (
        refusal.value.detail
    )

    booked = book(micro, at(date(2027, 3, 4), 10), carla)
    assert booked.status == Appointment.Status.CONFIRMED


def test_a_caller_who_may_not_see_the_record_learns_no_date(rule, micro, patch_test, carla):
    book(patch_test, at(date(2027, 3, 2), 10), carla)
    with pytest.raises(PrerequisiteMissing) as refusal:
        book(micro, at(date(2027, 3, 4), 9), carla, by=None)
    assert refusal.value.available_from is None
    assert "March" not in refusal.value.detail


@pytest.mark.parametrize("status", [Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
def test_a_cancelled_or_missed_patch_test_does_not_count(rule, micro, patch_test, carla, status):
    test = book(patch_test, at(date(2027, 3, 2), 10), carla)
    Appointment.objects.filter(pk=test.pk).update(status=status)

    with pytest.raises(PrerequisiteMissing):
        book(micro, at(date(2027, 3, 5), 10), carla)


def test_a_patch_test_older_than_six_months_no_longer_counts(world, rule, micro, patch_test, carla):
    old = book(patch_test, at(date(2027, 3, 2), 10), carla, by=factories.StaffFactory())
    Appointment.objects.filter(pk=old.pk).update(
        start=at(date(2026, 9, 3), 10),
        end=at(date(2026, 9, 3), 10, 15),
        status=Appointment.Status.COMPLETED,
    )
    assert book(micro, at(date(2027, 3, 3), 10), carla).status == "confirmed"
    with pytest.raises(PrerequisiteMissing):
        book(micro, at(date(2027, 3, 3), 11), carla)


def test_staff_who_may_override_book_past_the_rule_with_a_reason(world, rule, micro, carla):
    desk = factories.StaffFactory(username="desk")
    with pytest.raises(PrerequisiteMissing):
        book(micro, at(date(2027, 3, 5), 10), carla, by=desk)
    with pytest.raises(OverrideNotAllowed):
        book(micro, at(date(2027, 3, 5), 10), carla, by=desk, override_reason="Tested elsewhere")

    manager = factories.StaffFactory(username="boss", roles=[Membership.Role.MANAGER])
    booked = book(
        micro, at(date(2027, 3, 5), 10), carla, by=manager, override_reason="Tested elsewhere"
    )
    assert booked.override_reason == "Tested elsewhere"
    change = booked.changes.get(action=AppointmentChange.Action.BOOKED)
    assert change.details["overridden"] == [rule.message]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.OVERRIDE).exists()


def test_the_clients_slots_start_48_hours_after_the_patch_test(
    world, rule, micro, patch_test, carla
):
    book(patch_test, at(date(2027, 3, 2), 10), carla)
    window = availability.client_window(treatment=micro, client=carla)
    slots = availability.find_slots(
        treatment=micro, first_day=date(2027, 3, 2), last_day=date(2027, 3, 5), within=window
    )
    assert slots[0].start == at(date(2027, 3, 4), 10)
    everyone = availability.find_slots(
        treatment=micro, first_day=date(2027, 3, 2), last_day=date(2027, 3, 5)
    )
    assert everyone[0].start < at(date(2027, 3, 2), 12)
    newcomer = availability.client_window(treatment=micro, client=None)
    assert newcomer.closed
    assert (
        availability.find_slots(
            treatment=micro, first_day=date(2027, 3, 2), last_day=date(2027, 3, 5), within=newcomer
        )
        == []
    )


def test_a_treatment_without_a_rule_costs_the_booking_path_one_query(
    world, rule, carla, django_assert_num_queries
):
    """What the booking path adds: one query, whether or not a rule applies."""
    with django_assert_num_queries(1):
        facts = prerequisites.load(treatment=world.treatment, client=carla)
    assert facts.rules == () and facts.priors == ()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="one round trip on PostgreSQL; SQLite runs the statements one by one",
)
def test_the_booking_path_reads_the_prerequisites_with_the_rules_in_one_round_trip(
    world, rule, micro, patch_test, carla
):
    """The hook costs a booking no query of its own: the prerequisite rules and the client's
    appointments that meet them are read in the same statement string as the clinic's rules
    and the client's record (clinical/sql.py, rules.booking_facts)."""
    from django.test.utils import CaptureQueriesContext

    book(patch_test, at(date(2027, 3, 2), 10), carla)
    with CaptureQueriesContext(connection) as captured:
        book(micro, at(date(2027, 3, 5), 10), carla)

    reads = [q["sql"] for q in captured if "clinical_prerequisiterule" in q["sql"]]
    assert len(reads) == 1, reads
    (read,) = reads
    for table in ("clinical_waitingrule", "clinic_term", "clinical_injectablerecord"):
        assert table in read, read
    rule_reads = [q["sql"] for q in captured if "clinical_" in q["sql"]]
    assert rule_reads == [read], rule_reads


def test_moving_the_treatment_before_the_patch_test_counts_is_refused(
    rule, micro, patch_test, carla
):
    from diary.services import appointment_reschedule

    book(patch_test, at(date(2027, 3, 2), 10), carla)
    booked = book(micro, at(date(2027, 3, 5), 10), carla)

    with pytest.raises(PrerequisiteMissing):
        appointment_reschedule(appointment=booked, start=at(date(2027, 3, 3), 10), by=carla.user)
    booked.refresh_from_db()
    assert booked.start == at(date(2027, 3, 5), 10)


def test_a_hold_is_checked_when_its_owner_confirms_it(rule, micro, carla):
    """An anonymous hold cannot know whose appointments count; confirming, by the owner of
    the address, applies the rule and releases the time."""
    from diary.holds import Contact, appointment_hold, hold_confirm

    held = appointment_hold(
        treatment=micro,
        start=at(date(2027, 3, 5), 10),
        contact=Contact(name="Carla", email="carla@example.com"),
    ).appointment
    assert held.status == Appointment.Status.HELD

    with pytest.raises(PrerequisiteMissing):
        hold_confirm(appointment=held, by=carla.user)
    held.refresh_from_db()
    assert held.status != Appointment.Status.HELD and held.client_id is None


# -- a treatment that needed a patch test, after the patch test stops counting -----------------
# Cancelled, marked a no-show or moved to less than 48 hours before it: the treatment is flagged
# for staff (the clinic emailed); moving it back clears the flag; one booked past the rule with a
# reason is left alone.

RULE_MESSAGE = "Microcurrent uses a gel we test on your skin first."
TUESDAY = date(2027, 3, 2)
WEDNESDAY = date(2027, 3, 3)
THURSDAY = date(2027, 3, 4)


@pytest.fixture
def desk(world):
    return factories.StaffFactory(username="frontdesk")


@pytest.fixture
def dana(world):
    return factories.ClientFactory(clinic=world.clinic, name="Dana", email="dana@example.com")


@pytest.fixture
def booked(rule, patch_test, micro, dana):
    """Dana's patch test on Tuesday at 10:00 and the microcurrent it allows on Thursday."""
    test = appointment_book(treatment=patch_test, start=at(TUESDAY, 10), client=dana).appointment
    treatment = appointment_book(treatment=micro, start=at(THURSDAY, 10), client=dana).appointment
    return test, treatment


def flag_of(appointment) -> str:
    appointment.refresh_from_db()
    return appointment.eligibility_flag


def clinic_told(appointment) -> bool:
    return Message.objects.filter(appointment=appointment, kind=Message.Kind.FLAGGED).exists()


def test_cancelling_the_patch_test_flags_the_treatment_that_needed_it(booked, desk):
    test, treatment = booked
    assert flag_of(treatment) == ""

    appointment_cancel(appointment=test, by=desk, reason="Client asked")

    assert RULE_MESSAGE in flag_of(treatment)
    assert "No Patch test on record counts for this date." in flag_of(treatment)
    assert treatment.changes.filter(action=AppointmentChange.Action.FLAGGED).count() == 1
    assert clinic_told(treatment)


def test_a_patch_test_marked_a_no_show_flags_the_treatment(booked, desk):
    test, treatment = booked

    appointment_mark_no_show(appointment=test, by=desk, now=at(TUESDAY, 11))

    assert RULE_MESSAGE in flag_of(treatment)


def test_moving_the_patch_test_too_close_flags_it_and_moving_it_back_clears_it(booked, desk):
    test, treatment = booked

    appointment_reschedule(appointment=test, start=at(WEDNESDAY, 12), by=desk)
    assert RULE_MESSAGE in flag_of(treatment)

    appointment_reschedule(appointment=test, start=at(TUESDAY, 9), by=desk)
    assert flag_of(treatment) == ""
    assert treatment.status == Appointment.Status.CONFIRMED


def test_a_treatment_booked_past_the_rule_with_a_reason_is_not_flagged(
    world, rule, micro, patch_test, dana, desk
):
    manager = factories.StaffFactory(username="manager", roles=[Membership.Role.MANAGER])
    overridden = appointment_book(
        treatment=micro,
        start=at(THURSDAY, 10),
        client=dana,
        by=manager,
        override_reason="Patch tested at our other clinic last month",
    ).appointment
    other = appointment_book(treatment=patch_test, start=at(TUESDAY, 10), client=dana).appointment

    appointment_cancel(appointment=other, by=desk)

    assert flag_of(overridden) == ""


def test_cancelling_another_treatment_leaves_the_treatment_alone(world, booked, dana, desk):
    _, treatment = booked
    massage = appointment_book(
        treatment=world.treatment, start=at(WEDNESDAY, 14), client=dana
    ).appointment

    appointment_cancel(appointment=massage, by=desk)

    assert flag_of(treatment) == ""
