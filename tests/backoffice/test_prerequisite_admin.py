"""The prerequisite rules in the admin, by role: a clinic's managers keep its own rules and
their organisation's; the front desk and practitioners have no access; nobody reaches another
clinic's own rule or another organisation's (a 404)."""

import pytest
from django.test import Client as Browser

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER
from clinical.models import PrerequisiteRule
from tests import factories
from tests.conftest import default_rules
from tests.organisations import make_group
from tests.test_scoping import prerequisite_rules

BASE = "/admin/clinical/prerequisiterule/"


@pytest.fixture
def group(db, frozen_now):
    default_rules()
    group = make_group()
    for branch in group.branches:
        prerequisite_rules(branch)
    return group


def browser_for(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def rule_of(branch, *, shared=False) -> PrerequisiteRule:
    if shared:
        return PrerequisiteRule.objects.get(clinic=None, message__contains=branch.clinic.name)
    return PrerequisiteRule.objects.get(clinic=branch.clinic)


def form(rule: PrerequisiteRule, **changes) -> dict:
    data = {
        "organisation": rule.organisation_id,
        "clinic": rule.clinic_id or "",
        "treatment": rule.treatment_id or "",
        "treatment_category": rule.treatment_category,
        "required_treatments": [t.pk for t in rule.required_treatments.all()],
        "min_hours_before": rule.min_hours_before,
        "valid_months": rule.valid_months,
        "message": rule.message,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", [FRONT_DESK, PRACTITIONER])
def test_roles_other_than_manager_have_no_access(group, role):
    browser = browser_for(group.alpha.staff[role])
    assert browser.get(BASE).status_code == 403
    # A row they may not see is not there for them.
    assert browser.get(f"{BASE}{rule_of(group.alpha).pk}/change/").status_code == 404
    assert browser.get(f"{BASE}add/").status_code == 403


def test_a_manager_sees_their_clinics_and_organisations_rules_only(group):
    page = browser_for(group.alpha.staff[MANAGER]).get(BASE).content.decode()

    assert "Alpha rule: a patch test first." in page
    assert "Alpha Clinic asks for a consultation first." in page
    assert "Beta rule" not in page  # the sister clinic's own
    assert "Zeta" not in page  # another business


def test_a_manager_changes_the_organisations_rule_but_not_a_sister_clinics(group):
    browser = browser_for(group.alpha.staff[MANAGER])
    shared = rule_of(group.alpha, shared=True)

    response = browser.post(f"{BASE}{shared.pk}/change/", form(shared, min_hours_before=24))

    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.min_hours_before == 24
    sister = rule_of(group.beta)
    assert browser.get(f"{BASE}{sister.pk}/change/").status_code == 404
    assert (
        browser.post(f"{BASE}{sister.pk}/change/", form(sister, min_hours_before=1)).status_code
        == 404
    )
    other = rule_of(group.zeta, shared=True)
    assert browser.get(f"{BASE}{other.pk}/change/").status_code == 404
    sister.refresh_from_db()
    assert sister.min_hours_before == 48


def test_a_manager_adds_a_rule_only_with_their_organisations_treatments(group):
    browser = browser_for(group.alpha.staff[MANAGER])
    alpha = group.alpha
    patch = factories.TreatmentFactory(clinic=alpha.clinic, slug="alpha-patch", name="Patch")
    data = {
        "organisation": alpha.clinic.organisation_id,
        "clinic": alpha.clinic.pk,
        "treatment": alpha.treatment.pk,
        "treatment_category": "",
        "required_treatments": [patch.pk],
        "min_hours_before": 48,
        "valid_months": 6,
        "message": "Patch test first.",
    }

    foreign = browser.post(
        f"{BASE}add/", {**data, "required_treatments": [group.zeta.treatment.pk]}
    )
    other_org = browser.post(
        f"{BASE}add/", {**data, "organisation": group.zeta.clinic.organisation_id}
    )
    both = browser.post(f"{BASE}add/", {**data, "treatment_category": "microcurrent"})
    assert [r.status_code for r in (foreign, other_org, both)] == [200, 200, 200]
    assert "Choose either one treatment or a category" in both.content.decode()
    assert not PrerequisiteRule.objects.filter(message="Patch test first.").exists()

    added = browser.post(f"{BASE}add/", data)

    assert added.status_code == 302
    rule = PrerequisiteRule.objects.get(message="Patch test first.")
    assert list(rule.required_treatments.all()) == [patch]


def test_the_superuser_sees_every_rule(group):
    page = browser_for(group.superuser).get(BASE).content.decode()
    assert all(f"{b.clinic.name.removesuffix(' Clinic')} rule" in page for b in group.branches)
