"""Which forms an appointment still needs: the pure rule (consent/rules.py), no database."""

from datetime import UTC, datetime, timedelta

from consent.rules import Need, Rule, Signed, missing, rules_for

VISIT = datetime(2027, 3, 10, 10, tzinfo=UTC)


def need(*, version_id=2, valid_days=None, renew=True) -> Need:
    return Need(
        template_id=1,
        template_name="Consent",
        version_id=version_id,
        valid_days=valid_days,
        new_version_needs_signature=renew,
    )


def test_it_needs_a_new_signature_after_a_new_version_where_the_rule_says_so():
    old = Signed(template_id=1, version_id=1, signed_at=VISIT - timedelta(days=5))

    assert missing([need(version_id=2, renew=True)], [old], at=VISIT) == [need(renew=True)]
    assert missing([need(version_id=2, renew=False)], [old], at=VISIT) == []


def test_it_counts_the_current_version_signed():
    current = Signed(template_id=1, version_id=2, signed_at=VISIT - timedelta(days=5))

    assert missing([need()], [current], at=VISIT) == []


def test_a_signature_older_than_the_rule_allows_no_longer_counts():
    signed = Signed(template_id=1, version_id=2, signed_at=VISIT - timedelta(days=366))

    assert missing([need(valid_days=365)], [signed], at=VISIT) == [need(valid_days=365)]
    assert missing([need(valid_days=400)], [signed], at=VISIT) == []


def test_another_forms_signature_counts_for_nothing():
    other = Signed(template_id=9, version_id=2, signed_at=VISIT)

    assert missing([need()], [other], at=VISIT) == [need()]


def test_a_treatments_own_rule_beats_its_categorys():
    category = Rule(1, None, "microcurrent", valid_days=None, new_version_needs_signature=True)
    own = Rule(1, 7, "", valid_days=30, new_version_needs_signature=False)
    other = Rule(2, None, "facial_massage", valid_days=None, new_version_needs_signature=True)

    assert rules_for([category, own, other], treatment_id=7, category="microcurrent") == [own]
    assert rules_for([category, own, other], treatment_id=8, category="microcurrent") == [category]
