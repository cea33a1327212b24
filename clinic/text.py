"""Control characters in text, the rule every layer shares: what a person may type (web/text.py
builds on it), a validator for the one-line names the models keep, and one-line text for
email headers.

A newline in a clinic's name, say, would reach the From header of each of its emails, and
Django refuses to compose a header holding one."""

import re

from django.core.validators import RegexValidator

# Control characters have no place in what a person types: C0 and C1 controls, DEL, and the
# Unicode line and paragraph separators. Multi-line fields (notes) keep tab and newlines.
# The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) go too:
# no name needs them, and they let text display as something else ("Trojan Source"), in a
# day sheet or an email; the right-to-left and left-to-right marks stay.
LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TEXT_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)

CONTROLS_MESSAGE = (
    "Remove the control characters (and any text-direction overrides) from this text."
)

# For the models' one-line names (a clinic's, a treatment's...): the admin shows the message.
validate_one_line = RegexValidator(
    LINE_CONTROLS, CONTROLS_MESSAGE, code="control_characters", inverse_match=True
)


def one_line(value: str) -> str:
    """`value` fit for an email header whatever was stored: each run of control characters
    and spaces becomes one space. For names kept before validate_one_line existed, or written
    around it."""
    return " ".join(LINE_CONTROLS.sub(" ", value).split())
