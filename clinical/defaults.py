"""The clinical rules every clinic starts with, from the domain facts of shared/DESIGN.md:
after dermal filler or Botox, no facial massage before day 14, a warning to acknowledge from
day 14 to 27, allowed from day 28; microcurrent is refused with a pacemaker or another
implanted device, in pregnancy and with epilepsy.

The migration clinic/0003 wrote these rows into every database, with its own copy of the
data as it was then (clinic/0016 the vocabulary's words, from clinical/vocabulary.py
DEFAULT_TERMS); `default_rules_install` puts them back where they are missing (a test
database flushed between tests, a clinic that deleted a default by mistake). They are rows
without a clinic or organisation: an organisation's or a clinic's own rule for the same pair
replaces the default.
"""

from clinic.models import Term, TreatmentCategory
from clinical.models import ContraindicationRule, WaitingRule
from clinical.vocabulary import DEFAULT_TERMS, Condition, InjectableKind

TWO_TO_FOUR_WEEKS = (14, 28)

# (injectable, treatment category, min days, recommended days, message)
WAITING = [
    (
        InjectableKind.FILLER,
        TreatmentCategory.FACIAL_MASSAGE,
        *TWO_TO_FOUR_WEEKS,
        "Dermal filler needs time to settle: massage too soon can move it. Please wait at least "
        "two weeks after filler before a facial massage, ideally four.",
    ),
    (
        InjectableKind.BOTOX,
        TreatmentCategory.FACIAL_MASSAGE,
        *TWO_TO_FOUR_WEEKS,
        "Pressure on the face soon after Botox can spread it to nearby muscles. Please wait at "
        "least two weeks after Botox before a facial massage, ideally four.",
    ),
    (
        InjectableKind.FILLER,
        TreatmentCategory.MICROCURRENT,
        *TWO_TO_FOUR_WEEKS,
        "Microcurrent works the facial muscles and can disturb fresh filler. Please wait at least "
        "two weeks after filler, ideally four.",
    ),
    (
        InjectableKind.BOTOX,
        TreatmentCategory.MICROCURRENT,
        *TWO_TO_FOUR_WEEKS,
        "Microcurrent stimulates the muscles Botox has relaxed. Please wait at least two weeks "
        "after Botox, ideally four.",
    ),
    (
        InjectableKind.SKIN_BOOSTER,
        TreatmentCategory.FACIAL_MASSAGE,
        7,
        14,
        "Please wait at least a week after a skin booster before a facial massage, ideally two.",
    ),
    (
        InjectableKind.THREAD_LIFT,
        TreatmentCategory.FACIAL_MASSAGE,
        28,
        56,
        "Threads need time to anchor. Please wait at least four weeks after a thread lift before "
        "a facial massage, ideally eight.",
    ),
    (
        InjectableKind.THREAD_LIFT,
        TreatmentCategory.MICROCURRENT,
        28,
        56,
        "Threads need time to anchor. Please wait at least four weeks after a thread lift before "
        "microcurrent, ideally eight.",
    ),
]

REFUSE = ContraindicationRule.Action.REFUSE
NEEDS_APPROVAL = ContraindicationRule.Action.NEEDS_APPROVAL

# (condition, treatment category, action, message)
CONTRAINDICATIONS = [
    (
        Condition.PACEMAKER,
        TreatmentCategory.MICROCURRENT,
        REFUSE,
        "Microcurrent cannot be used with a pacemaker.",
    ),
    (
        Condition.IMPLANTED_DEVICE,
        TreatmentCategory.MICROCURRENT,
        REFUSE,
        "Microcurrent cannot be used with an implanted electronic device.",
    ),
    (
        Condition.PREGNANCY,
        TreatmentCategory.MICROCURRENT,
        REFUSE,
        "Microcurrent is not offered during pregnancy.",
    ),
    (
        Condition.EPILEPSY,
        TreatmentCategory.MICROCURRENT,
        REFUSE,
        "Microcurrent is not offered to clients with epilepsy.",
    ),
    (
        Condition.EPILEPSY,
        TreatmentCategory.LIGHT_THERAPY,
        NEEDS_APPROVAL,
        "LED light can affect photosensitive epilepsy: your practitioner will check with you "
        "before the treatment.",
    ),
    (
        Condition.PREGNANCY,
        TreatmentCategory.LIGHT_THERAPY,
        NEEDS_APPROVAL,
        "During pregnancy your practitioner will check with you before LED light therapy.",
    ),
]


def default_terms_install() -> None:
    """Add each default word that is missing; one that exists keeps its edited wording."""
    for position, word in enumerate(DEFAULT_TERMS):
        Term.objects.get_or_create(
            organisation=None,
            vocabulary=word.vocabulary,
            code=word.code,
            defaults={
                "name": word.name,
                "question": word.question,
                "sheet": word.sheet,
                "caution_days": word.caution_days,
                "position": position,
            },
        )


def default_rules_install() -> None:
    """Add each default word and rule that is missing; a default that exists keeps its
    edited values."""
    default_terms_install()
    for kind, category, min_days, recommended_days, message in WAITING:
        WaitingRule.objects.get_or_create(
            clinic=None,
            organisation=None,
            treatment=None,
            injectable_kind=kind,
            treatment_category=category,
            defaults={
                "min_days": min_days,
                "recommended_days": recommended_days,
                "message": message,
            },
        )
    for condition, category, action, message in CONTRAINDICATIONS:
        ContraindicationRule.objects.get_or_create(
            clinic=None,
            organisation=None,
            treatment=None,
            condition=condition,
            treatment_category=category,
            resource_kind=None,
            defaults={"action": action, "message": message},
        )
