"""A manager writes the forms in the admin: adding a version publishes the next number, a
published version's words cannot be changed, and the rules are theirs to edit."""

import json

from django.test import Client as Browser

from access.roles import FRONT_DESK, MANAGER
from consent.models import FormRule, FormVersion
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
