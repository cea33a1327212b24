"""What a person may type, one rule for the API and the pages alike: no control characters
or text-direction overrides, instants written the ISO 8601 way, dates within a sane range
and written with ASCII digits."""

import re
from datetime import date

# The control characters refused in typed text live in clinic/text.py: the models use them too.
from clinic.text import LINE_CONTROLS, TEXT_CONTROLS  # noqa: F401

# ISO 8601 as people and programs write it: a date, "T" (or a space), a time and an offset.
# Anything else (control characters, week dates, trailing text) is refused before parsing,
# because Python's parser is lenient about the separator.
INSTANT_PATTERN = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?",
    re.ASCII,
)

# A decimal digit other than 0-9: full-width (２), Arabic-Indic (٢), Devanagari (२)... Python's
# strptime, Django's date parsing and int() read them as numbers, so "２０２６-01-01" would pass
# as a date; dates and times are written with ASCII digits only (web/forms.py, fields.py).
FOREIGN_DIGIT = re.compile(r"(?![0-9])\d")

# Far enough either way for any real diary; outside it date arithmetic could overflow.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
