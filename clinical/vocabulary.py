"""The words of the clinical record: injectable kinds, face areas, conditions, who recorded a
record, and how each is said on the practitioner's sheet and in the booking questions; with
how long an injection's areas stay on the practitioner's sheet.

The one home of these words: the pure rule function, the booking pages, the staff pages and
the API all take them from here.
"""

from django.db import models


class InjectableKind(models.TextChoices):
    FILLER = "filler", "Dermal filler"
    BOTOX = "botox", "Botulinum toxin (Botox)"
    SKIN_BOOSTER = "skin_booster", "Skin booster"
    THREAD_LIFT = "thread_lift", "Thread lift"


class FaceArea(models.TextChoices):
    FOREHEAD = "forehead", "Forehead"
    GLABELLA = "glabella", "Glabella (frown lines)"
    CROWS_FEET = "crows_feet", "Crow's feet"
    CHEEKS = "cheeks", "Cheeks"
    TEAR_TROUGH = "tear_trough", "Tear trough"
    NASOLABIAL_FOLDS = "nasolabial_folds", "Nasolabial folds"
    LIPS = "lips", "Lips"
    JAWLINE = "jawline", "Jawline"
    CHIN = "chin", "Chin"
    NECK = "neck", "Neck"


class Condition(models.TextChoices):
    PACEMAKER = "pacemaker", "Pacemaker"
    IMPLANTED_DEVICE = "implanted_device", "Other implanted electronic device"
    PREGNANCY = "pregnancy", "Pregnancy"
    EPILEPSY = "epilepsy", "Epilepsy"


class RecordSource(models.TextChoices):
    STAFF = "staff", "Recorded by staff"
    CLIENT = "client_declared", "Declared by the client"


# How long after an injection its areas stay on the practitioner's sheet, in days; a kind
# not listed here stays a year.
CAUTION_DAYS = {
    InjectableKind.FILLER: 365,
    InjectableKind.BOTOX: 120,
    InjectableKind.SKIN_BOOSTER: 60,
    InjectableKind.THREAD_LIFT: 180,
}
DEFAULT_CAUTION_DAYS = 365

# On the practitioner's sheet: "avoid deep pressure: crow's feet, lips (filler 2027-01-04)".
SHEET_KINDS = {
    InjectableKind.FILLER: "filler",
    InjectableKind.BOTOX: "botox",
    InjectableKind.SKIN_BOOSTER: "skin booster",
    InjectableKind.THREAD_LIFT: "thread lift",
}
SHEET_AREAS = {
    FaceArea.CROWS_FEET: "crow's feet",
    FaceArea.TEAR_TROUGH: "tear trough",
    FaceArea.NASOLABIAL_FOLDS: "nasolabial folds",
}
SHEET_CONDITIONS = {Condition.IMPLANTED_DEVICE: "implanted electronic device"}

# The booking page's questions: "have you had dermal filler or Botox (anti-wrinkle
# injections) on your face?" and a box to tick per condition.
QUESTION_KINDS = {
    InjectableKind.FILLER: "dermal filler",
    InjectableKind.BOTOX: "Botox (anti-wrinkle injections)",
    InjectableKind.SKIN_BOOSTER: "a skin booster",
    InjectableKind.THREAD_LIFT: "a thread lift",
}
QUESTION_CONDITIONS = {
    Condition.PACEMAKER: "I have a pacemaker",
    Condition.IMPLANTED_DEVICE: "I have another implanted electronic device",
    Condition.PREGNANCY: "I am pregnant",
    Condition.EPILEPSY: "I have epilepsy",
}


def caution_days(kind: str) -> int:
    return CAUTION_DAYS.get(kind, DEFAULT_CAUTION_DAYS)


def sheet_kind(kind: str) -> str:
    return SHEET_KINDS.get(kind, kind.replace("_", " "))


def sheet_area(area: str) -> str:
    return SHEET_AREAS.get(area, area.replace("_", " "))


def sheet_condition(condition: str) -> str:
    return SHEET_CONDITIONS.get(condition, condition.replace("_", " "))


def area_labels(areas) -> list[str]:
    """The areas as the staff pages name them ("Glabella (frown lines)")."""
    labels = dict(FaceArea.choices)
    return [labels.get(area, area) for area in areas or ()]
