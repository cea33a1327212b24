"""The clinical vocabulary and the rules in the admin, as a clinic's manager edits them: the
organisation's own words (a condition added there is asked at the next booking), rules for
the organisation or for one treatment, and nothing of another organisation's or of the
installation's defaults to change. (tests/test_scoping.py tries every admin page against
every role and organisation.)"""

import pytest
from django.test import Client as BrowserClient

from access.roles import MANAGER
from clinic.models import Term
from clinical import rules
from clinical.models import WaitingRule
from tests import factories


@pytest.fixture
def manager(world):
    browser = BrowserClient()
    browser.force_login(
        factories.StaffFactory(username="mia", roles=[MANAGER], clinics=[world.clinic])
    )
    return browser


@pytest.fixture
def other(world):
    clinic = factories.ClinicFactory(slug="elsewhere")
    return clinic.organisation


def term(organisation, **fields) -> dict:
    return {
        "organisation": organisation.pk,
        "vocabulary": "condition",
        "code": "metal_implants",
        "name": "Metal implants",
        "question": "I have metal implants",
        "sheet": "",
        "caution_days": "",
        "position": "0",
        **fields,
    }


def test_a_manager_adds_a_word_for_their_organisation_and_it_is_asked(world, manager):
    response = manager.post("/admin/clinic/term/add/", term(world.clinic.organisation))

    assert response.status_code == 302, response.content.decode()[:3000]
    added = Term.objects.get(code="metal_implants")
    assert added.organisation == world.clinic.organisation
    assert rules.clinic_rules(world.clinic).words.name("condition", "metal_implants") == (
        "Metal implants"
    )


def test_a_manager_cannot_add_a_word_for_another_organisation_or_a_default(world, manager, other):
    foreign = manager.post("/admin/clinic/term/add/", term(other))
    default = manager.post("/admin/clinic/term/add/", {**term(other), "organisation": ""})
    page = manager.get("/admin/clinic/term/add/").content.decode()

    assert foreign.status_code == default.status_code == 200  # the form again, with its error
    assert not Term.objects.filter(code="metal_implants").exists()
    assert other.name not in page


def test_a_manager_sees_the_defaults_but_cannot_change_them(world, manager):
    filler = Term.objects.get(organisation=None, vocabulary="procedure", code="filler")

    shown = manager.get(f"/admin/clinic/term/{filler.pk}/change/")
    changed = manager.post(
        f"/admin/clinic/term/{filler.pk}/change/", {"name": "Filler!", "caution_days": "1"}
    )

    assert shown.status_code == 200 and "Dermal filler" in shown.content.decode()
    assert changed.status_code == 403
    filler.refresh_from_db()
    assert (filler.name, filler.caution_days) == ("Dermal filler", 365)


def test_another_organisations_word_is_a_404_to_a_manager(world, manager, other):
    theirs = Term.objects.create(
        organisation=other, vocabulary="procedure", code="laser", name="Their laser"
    )

    assert manager.get(f"/admin/clinic/term/{theirs.pk}/change/").status_code == 404
    assert "Their laser" not in manager.get("/admin/clinic/term/").content.decode()


def rule(world, **fields) -> dict:
    return {
        "clinic": world.clinic.pk,
        "organisation": "",
        "treatment": world.treatment.pk,
        "injectable_kind": "filler",
        "treatment_category": "",
        "min_days": "28",
        "recommended_days": "28",
        "message": "Four weeks after filler for this one.",
        **fields,
    }


def test_a_manager_adds_a_rule_for_one_treatment(world, manager):
    response = manager.post("/admin/clinical/waitingrule/add/", rule(world))

    assert response.status_code == 302, response.content.decode()[:3000]
    added = WaitingRule.objects.get(treatment=world.treatment)
    assert (added.clinic, added.min_days) == (world.clinic, 28)


def test_a_rule_must_name_a_word_of_its_organisation(world, manager, other):
    Term.objects.create(organisation=other, vocabulary="procedure", code="laser", name="Laser")

    response = manager.post(
        "/admin/clinical/waitingrule/add/", rule(world, injectable_kind="laser")
    )

    assert response.status_code == 200
    assert not WaitingRule.objects.filter(injectable_kind="laser").exists()


def test_a_manager_adds_a_rule_for_their_organisation_not_a_default(world, manager):
    organisation = world.clinic.organisation
    for_all = rule(
        world,
        clinic="",
        organisation=organisation.pk,
        treatment="",
        treatment_category="facial_massage",
        injectable_kind="botox",
        min_days="21",
    )

    added = manager.post("/admin/clinical/waitingrule/add/", for_all)
    default = manager.post(
        "/admin/clinical/waitingrule/add/", {**for_all, "organisation": "", "min_days": "1"}
    )

    assert added.status_code == 302, added.content.decode()[:3000]
    assert WaitingRule.objects.get(organisation=organisation).min_days == 21
    assert default.status_code == 200
    assert not WaitingRule.objects.filter(min_days=1).exists()


def test_a_code_that_is_not_lower_case_and_underscores_is_a_form_error(world, manager):
    response = manager.post(
        "/admin/clinic/term/add/", term(world.clinic.organisation, code="Profound-RF")
    )

    assert response.status_code == 200
    assert "lower case letters, digits and underscores" in response.content.decode()
    assert not Term.objects.filter(organisation=world.clinic.organisation).exists()
