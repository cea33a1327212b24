"""The demo's forms: a consent for microcurrent and the sculpting massage (named as a
treatment, beyond its category), and a health intake for everything; a second run publishes
nothing new."""

from clinic.models import Treatment
from consent import rules
from consent.models import FormRule, FormVersion
from tests.backoffice.test_seed_demo import seed


def forms_for(slug: str) -> set[str]:
    rows = FormRule.objects.select_related("template", "treatment").filter(
        organisation__slug="lumiere"
    )
    treatment = Treatment.objects.get(slug=slug)
    applying = rules.rules_for(
        [rules.Rule(r.template_id, r.treatment_id, r.category, r.valid_days, True) for r in rows],
        treatment_id=treatment.pk,
        category=treatment.category,
    )
    names = {r.template_id: r.template.name for r in rows}
    return {names[r.template_id] for r in applying}


def test_the_demo_asks_the_right_forms_of_each_treatment(db):
    seed()
    versions = FormVersion.objects.count()

    assert forms_for("microcurrent-toning") == {
        "Microcurrent and sculpting consent",
        "General health intake",
    }
    assert forms_for("sculpting-massage") == {
        "Microcurrent and sculpting consent",
        "General health intake",
    }
    assert forms_for("gua-sha") == {"General health intake"}
    seed()
    assert FormVersion.objects.count() == versions
