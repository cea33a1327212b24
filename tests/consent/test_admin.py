"""A manager writes the forms in the admin: adding a version publishes the next number, a
published version's words cannot be changed, and the rules are theirs to edit."""

import json

import pytest
from django.test import Client as Browser

from access.roles import FRONT_DESK, MANAGER
from clinic.models import Term
from clinical.vocabulary import CONDITION
from consent.models import FormRule, FormVersion
from consent.services import FormError, form_version_publish
from tests import factories


def signed_in(**kwargs) -> Browser:
    browser = Browser()
    browser.force_login(factories.StaffFactory(**kwargs))
    return browser


def publish(browser: Browser, form, *, text: str, questions: list):
    return browser.post(
        "/admin/consent/formversion/add/",
        {"template": form.pk, "title": form.name, "text": text, "questions": json.dumps(questions)},
    )


def test_a_manager_publishes_a_new_version_and_cannot_rewrite_an_old_one(world, form):
    mia = signed_in(username="mia", roles=[MANAGER])
    first = form.versions.get()

    response = publish(
        mia,
        form,
        text="New words, reviewed by our medical lead.",
        questions=[{"key": "ok", "label": "Understood?", "type": "yes_no"}],
    )
    mia.post(f"/admin/consent/formversion/{first.pk}/change/", {"text": "Rewritten"})

    assert response.status_code == 302
    second = FormVersion.objects.get(template=form, number=2)
    assert second.text == "New words, reviewed by our medical lead."
    first.refresh_from_db()
    assert first.text.startswith("I agree to a microcurrent")


def test_questions_of_an_unknown_type_are_refused(world, form):
    mia = signed_in(username="mia", roles=[MANAGER])

    response = publish(
        mia, form, text="Words", questions=[{"key": "x", "label": "X", "type": "essay"}]
    )

    assert "Unknown question type" in response.content.decode()
    assert form.versions.count() == 1


def test_a_manager_edits_the_rules_and_the_front_desk_does_not(world, form):
    rule = FormRule.objects.get(template=form)
    values = {
        "organisation": rule.organisation_id,
        "template": form.pk,
        "treatment": "",
        "category": "facial_massage",
        "valid_days": "365",
        "new_version_needs_signature": "on",
    }

    signed_in(username="desk", roles=[FRONT_DESK]).post(
        f"/admin/consent/formrule/{rule.pk}/change/", values
    )
    rule.refresh_from_db()
    assert rule.valid_days is None
    signed_in(username="mia", roles=[MANAGER]).post(
        f"/admin/consent/formrule/{rule.pk}/change/", values
    )
    rule.refresh_from_db()
    assert rule.valid_days == 365


def conditions_question(*codes: str) -> list:
    return [
        {
            "key": "conditions",
            "label": "Do any of these apply?",
            "type": "conditions",
            "options": [{"value": code, "label": code.title()} for code in codes],
        }
    ]


def test_options_that_join_the_record_must_be_the_organisations_words(world, form):
    """A "conditions" or "injections" option is kept on the health record: one the rules do
    not know (a typo, another organisation's word) would never be checked, so it is refused
    until the organisation adds it as a word."""
    mia = signed_in(username="mia", roles=[MANAGER])
    other = factories.OrganisationFactory(slug="elsewhere")
    Term.objects.create(
        organisation=other, vocabulary=CONDITION, code="metal_implants", name="Metal implants"
    )

    typo = publish(mia, form, text="Words", questions=conditions_question("pregnacy"))
    theirs = publish(mia, form, text="Words", questions=conditions_question("metal_implants"))
    injection = publish(
        mia,
        form,
        text="Words",
        questions=[
            {
                "key": "had",
                "label": "Had any of these?",
                "type": "injections",
                "options": [{"value": "hydrafacial", "label": "HydraFacial"}],
            }
        ],
    )
    assert "&#x27;pregnacy&#x27; in &#x27;conditions&#x27; is not one of" in typo.content.decode()
    assert "is not one of" in theirs.content.decode()
    assert "is not one of" in injection.content.decode()
    assert form.versions.count() == 1

    Term.objects.create(
        organisation=form.organisation,
        vocabulary=CONDITION,
        code="metal_implants",
        name="Metal implants",
    )
    ours = publish(mia, form, text="Words", questions=conditions_question("metal_implants"))
    assert ours.status_code == 302
    assert form.versions.count() == 2


def test_publishing_from_code_checks_the_words_too(world, form):
    with pytest.raises(FormError) as refusal:
        form_version_publish(
            template=form, title="X", text="Words", questions=conditions_question("pregnacy")
        )
    assert refusal.value.code == "invalid_questions"
    assert form.versions.count() == 1
