"""The organisation's clinical vocabulary, read from its rows (clinic.models.Term) in one
query (clinical/sql.py TERMS), and the check that the codes a request names are words of it.

Rows without an organisation are the installation's defaults; an organisation's own row for
the same code replaces the default's wording. Nothing is cached: a word edited in the admin is
asked the very next booking.
"""

from bookings.db import rows_together
from clinical import sql
from clinical.vocabulary import AREA, CONDITION, PROCEDURE, Vocabulary, Word


class UnknownTerm(ValueError):
    """A code that is no word of the organisation's vocabulary; `field` names where it was
    given (health.injectables.0.kind), for a form or an API to point at."""

    def __init__(self, field: str, code: str):
        super().__init__(f"“{code}” is not one of the clinic's words for this.")
        self.field = field
        self.code = code


def vocabulary_for(organisation_id: int | None) -> Vocabulary:
    """The words in force for an organisation (one query, clinical/sql.py TERMS)."""
    (rows,) = rows_together([sql.TERMS], {"organisation": organisation_id})
    return vocabulary_of(rows)


def vocabulary_of(rows) -> Vocabulary:
    """The words of TERMS's rows: the defaults, then the organisation's own."""
    merged: dict[tuple[str, str], tuple] = {}
    for row in rows:  # the organisation's row, read after the default, replaces it
        merged[(row[0], row[1])] = row
    ordered = sorted(merged.values(), key=lambda row: (row[6], row[2].lower()))
    return Vocabulary.of(Word(*row[:6]) for row in ordered)


def declared_terms_check(declared, *, words: Vocabulary) -> None:
    """Every kind, area and condition a booking declares (clinical.rules.Declared) is a word
    of `words`. Raises UnknownTerm."""
    for index, item in enumerate(declared.injectables if declared else ()):
        if not words.knows(PROCEDURE, item["kind"]):
            raise UnknownTerm(f"health.injectables.{index}.kind", item["kind"])
        for area in item.get("areas") or ():
            if not words.knows(AREA, area):
                raise UnknownTerm(f"health.injectables.{index}.areas", area)
    for index, condition in enumerate(declared.conditions if declared else ()):
        if not words.knows(CONDITION, condition):
            raise UnknownTerm(f"health.conditions.{index}", condition)


def codes_check(words: Vocabulary, vocabulary: str, codes, *, field: str) -> None:
    """Each of `codes` is a word of `vocabulary` in `words`. Raises UnknownTerm."""
    for code in codes:
        if not words.knows(vocabulary, code):
            raise UnknownTerm(field, code)
