"""The words of the clinical record as plain data: prior procedures and injectables, conditions,
face areas and treatment categories, each with how the booking page asks about it and how the
practitioner's sheet says it; a prior procedure with how long its areas stay on the sheet.

The words are rows (clinic.models.Term) an organisation's managers edit; clinical/terms.py
loads them into a `Vocabulary`, which the pure rule function, the booking pages, the staff
pages and the API read. DEFAULT_TERMS are the installation's defaults the rows are seeded
from (clinical/defaults.py), and the vocabulary the pure function uses when given none.
"""

from dataclasses import dataclass, field

from django.db import models

PROCEDURE = "procedure"
CONDITION = "condition"
AREA = "area"
CATEGORY = "category"


class InjectableKind(models.TextChoices):
    """The default prior procedures' codes (an organisation adds more as rows)."""

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


# How long after an injection its areas stay on the practitioner's sheet when its row says
# nothing, in days.
DEFAULT_CAUTION_DAYS = 365


@dataclass(frozen=True)
class Word:
    vocabulary: str
    code: str
    name: str
    question: str = ""  # empty: the name
    sheet: str = ""  # empty: the name in lower case
    caution_days: int | None = None

    @property
    def asked(self) -> str:
        return self.question or self.name

    @property
    def on_sheet(self) -> str:
        return self.sheet or self.name.lower()


# The installation's default words, in the order they are asked.
DEFAULT_TERMS: tuple[Word, ...] = (
    Word(PROCEDURE, "filler", "Dermal filler", "dermal filler", "filler", 365),
    Word(
        PROCEDURE,
        "botox",
        "Botulinum toxin (Botox)",
        "Botox (anti-wrinkle injections)",
        "botox",
        120,
    ),
    Word(PROCEDURE, "skin_booster", "Skin booster", "a skin booster", "skin booster", 60),
    Word(PROCEDURE, "thread_lift", "Thread lift", "a thread lift", "thread lift", 180),
    Word(CONDITION, "pacemaker", "Pacemaker", "I have a pacemaker", "pacemaker"),
    Word(
        CONDITION,
        "implanted_device",
        "Other implanted electronic device",
        "I have another implanted electronic device",
        "implanted electronic device",
    ),
    Word(CONDITION, "pregnancy", "Pregnancy", "I am pregnant", "pregnancy"),
    Word(CONDITION, "epilepsy", "Epilepsy", "I have epilepsy", "epilepsy"),
    *(
        Word(AREA, code, str(label), sheet="glabella" if code == "glabella" else str(label).lower())
        for code, label in FaceArea.choices
    ),
    Word(CATEGORY, "facial_massage", "Facial massage"),
    Word(CATEGORY, "microcurrent", "Microcurrent"),
    Word(CATEGORY, "light_therapy", "LED light therapy"),
)


def _fallback(vocabulary: str, code: str) -> Word:
    """A code with no row (a row deleted since): said by its code."""
    return Word(vocabulary, code, code.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Vocabulary:
    """An organisation's words, by vocabulary and code, in the order they are asked."""

    words: dict[str, dict[str, Word]] = field(default_factory=dict)

    @classmethod
    def of(cls, words) -> "Vocabulary":
        """From Words in order; a later word for the same code replaces an earlier one in
        its place (an organisation's row after the default's)."""
        by: dict[str, dict[str, Word]] = {PROCEDURE: {}, CONDITION: {}, AREA: {}, CATEGORY: {}}
        for word in words:
            by.setdefault(word.vocabulary, {})[word.code] = word
        return cls(by)

    def word(self, vocabulary: str, code: str) -> Word:
        return self.words.get(vocabulary, {}).get(code) or _fallback(vocabulary, code)

    def codes(self, vocabulary: str) -> tuple[str, ...]:
        return tuple(self.words.get(vocabulary, {}))

    def choices(self, vocabulary: str) -> list[tuple[str, str]]:
        return [(w.code, w.name) for w in self.words.get(vocabulary, {}).values()]

    def knows(self, vocabulary: str, code: str) -> bool:
        return code in self.words.get(vocabulary, {})

    def name(self, vocabulary: str, code: str) -> str:
        return self.word(vocabulary, code).name

    def names(self, vocabulary: str, codes) -> list[str]:
        return [self.name(vocabulary, code) for code in codes or ()]

    def caution_days(self, kind: str) -> int:
        days = self.word(PROCEDURE, kind).caution_days
        return DEFAULT_CAUTION_DAYS if days is None else days

    def sheet_kind(self, kind: str) -> str:
        return self.word(PROCEDURE, kind).on_sheet

    def sheet_area(self, area: str) -> str:
        return self.word(AREA, area).on_sheet

    def sheet_condition(self, condition: str) -> str:
        return self.word(CONDITION, condition).on_sheet


DEFAULT_VOCABULARY = Vocabulary.of(DEFAULT_TERMS)
