"""The pure rule function of clinical/eligibility.py: no database, no clock.

The rules here are the defaults the data migration seeds (shared/DESIGN.md): no facial
massage before day 14 after filler or Botox, a warning from day 14 to day 27, allowed from
day 28; microcurrent refused with a pacemaker.
"""

from datetime import date, timedelta

import pytest

from clinical.eligibility import (
    ALLOWED,
    CONTRAINDICATED,
    REFUSED,
    WAITING_PERIOD,
    WARN,
    ContraindicationRule,
    Declaration,
    Injection,
    TreatmentFacts,
    WaitingRule,
    evaluate,
)

FILLER_MESSAGE = "Wait at least two weeks after filler."
BOTOX_MESSAGE = "Wait at least two weeks after Botox."
WAITING = [
    WaitingRule("filler", "facial_massage", 14, 28, FILLER_MESSAGE),
    WaitingRule("botox", "facial_massage", 14, 28, BOTOX_MESSAGE),
    WaitingRule("filler", "microcurrent", 14, 28, FILLER_MESSAGE),
]
CONTRAINDICATIONS = [
    ContraindicationRule("pacemaker", "refuse", "Not with a pacemaker.", "microcurrent"),
    ContraindicationRule(
        "epilepsy", "needs_approval", "LED may affect epilepsy.", resource_kind="led-panel"
    ),
]
MASSAGE = TreatmentFacts("facial_massage", frozenset({"treatment-room"}))
MICROCURRENT = TreatmentFacts("microcurrent", frozenset({"microcurrent-device"}))
LED = TreatmentFacts("light_therapy", frozenset({"led-panel"}))
INJECTED = date(2027, 1, 4)


def decide(injections=(), declarations=(), treatment=MASSAGE, on=INJECTED):
    return evaluate(
        injections=injections,
        declarations=declarations,
        waiting_rules=WAITING,
        contraindication_rules=CONTRAINDICATIONS,
        treatment=treatment,
        on=on,
    )


def day(n: int) -> date:
    return INJECTED + timedelta(days=n)


@pytest.mark.parametrize("kind", ["filler", "botox"])
@pytest.mark.parametrize(
    ("days_after", "outcome"),
    [(0, REFUSED), (13, REFUSED), (14, WARN), (27, WARN), (28, ALLOWED), (200, ALLOWED)],
)
def test_the_waiting_period_boundaries(kind, days_after, outcome):
    decision = decide([Injection(kind, INJECTED)], on=day(days_after))

    assert decision.decision == outcome
    assert decision.earliest_date == day(14)
    assert decision.recommended_date == day(28)


def test_day_13_is_refused_with_the_earliest_date_and_the_rule_message():
    decision = decide([Injection("filler", INJECTED)], on=day(13))

    assert decision.code == WAITING_PERIOD
    assert decision.reasons == [FILLER_MESSAGE]
    assert decision.refusals[0].earliest_date == day(14)


def test_the_warning_days_carry_the_message_to_acknowledge():
    decision = decide([Injection("botox", INJECTED)], on=day(20))

    assert decision.warnings == [BOTOX_MESSAGE]
    assert decision.reasons == []


def test_the_latest_injection_of_a_kind_governs():
    old, recent = Injection("filler", day(-100)), Injection("filler", day(-5))

    assert decide([old, recent], on=day(0)).decision == REFUSED
    assert decide([old, recent], on=day(0)).earliest_date == day(9)


def test_filler_40_days_ago_and_botox_5_days_ago_refuses():
    decision = decide([Injection("filler", day(-40)), Injection("botox", day(-5))], on=day(0))

    assert decision.decision == REFUSED
    assert decision.reasons == [BOTOX_MESSAGE]
    assert decision.earliest_date == day(9)


def test_an_injection_after_the_appointment_date_does_not_bear_on_it():
    assert decide([Injection("filler", day(5))], on=day(0)).decision == ALLOWED


def test_a_kind_without_a_rule_for_the_category_is_allowed():
    decision = decide([Injection("filler", INJECTED)], treatment=LED, on=day(1))

    assert decision.decision == ALLOWED


def test_microcurrent_with_a_pacemaker_is_refused_but_a_massage_is_allowed():
    pacemaker = [Declaration("pacemaker")]

    assert decide(declarations=pacemaker, treatment=MICROCURRENT).code == CONTRAINDICATED
    assert decide(declarations=pacemaker, treatment=MASSAGE).decision == ALLOWED


def test_a_condition_that_has_ended_no_longer_counts():
    ended = [Declaration("pacemaker", ended_on=day(-1))]

    assert decide(declarations=ended, treatment=MICROCURRENT).decision == ALLOWED


def test_a_rule_on_a_resource_kind_needs_approval_and_says_so_to_the_practitioner():
    decision = decide(declarations=[Declaration("epilepsy")], treatment=LED)

    assert decision.decision == WARN
    assert decision.needs_approval
    assert "needs practitioner approval: epilepsy" in decision.cautions


def test_a_contraindication_outranks_a_waiting_period_in_the_code():
    decision = decide(
        [Injection("filler", day(-1))], [Declaration("pacemaker")], treatment=MICROCURRENT
    )

    assert decision.code == CONTRAINDICATED
    assert len(decision.reasons) == 2


def test_cautions_name_the_filled_areas_newest_first():
    decision = decide(
        [
            Injection("filler", INJECTED, ("cheeks", "jawline")),
            Injection("botox", day(30), ("crows_feet",)),
        ],
        on=day(60),
    )

    assert decision.cautions == (
        "avoid deep pressure: crow's feet (botox 2027-02-03)",
        "avoid deep pressure: cheeks, jawline (filler 2027-01-04)",
    )


def test_cautions_fade_once_an_injection_is_old_enough():
    botox = Injection("botox", INJECTED, ("forehead",))

    assert decide([botox], on=day(120)).cautions
    assert not decide([botox], on=day(121)).cautions


class TestWhatADeclarantMayLearn:
    """A caller who is not the client sees findings from their own declaration only."""

    def test_a_refusal_from_the_record_is_hidden(self):
        decision = decide([Injection("filler", day(-5))], on=day(0))

        visible = decision.visible_to_declarant()

        assert [f.declared_now for f in decision.findings] == [False]  # from the record
        assert visible.findings == ()
        assert visible.earliest_date is None

    def test_a_refusal_from_the_declaration_is_shown_with_its_date(self):
        decision = decide([Injection("filler", day(-5), declared_now=True)], on=day(0))

        visible = decision.visible_to_declarant()

        assert [f.declared_now for f in decision.findings] == [True]  # from the declaration
        assert visible.reasons == [FILLER_MESSAGE]
        assert visible.earliest_date == day(9)

    def test_a_later_injection_on_record_than_the_one_declared_stays_private(self):
        declared = Injection("filler", day(-40), declared_now=True)
        on_record = Injection("filler", day(-5))

        visible = decide([declared, on_record], on=day(0)).visible_to_declarant()

        assert visible.findings == ()

    def test_declaring_what_is_also_on_record_shows_it(self):
        declared = Injection("filler", day(-5), declared_now=True)
        on_record = Injection("filler", day(-5))

        visible = decide([declared, on_record], on=day(0)).visible_to_declarant()

        assert visible.earliest_date == day(9)
