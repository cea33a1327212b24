"""The checks that keep a clinic's logo and colours on its booking pages readable (WCAG AA:
at least 4.5:1 between text and its background).

The primary colour is the background of buttons with white text and the colour of links on
white, so it must be dark enough; the accent is a background under body text, so it must be
light enough.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
WHITE = "#ffffff"
TEXT = "#1f2328"  # body text of the pages (online/static/bookings/site.css)
MIN_CONTRAST = 4.5

DEFAULT_PRIMARY = "#3d5a56"  # deep sage
DEFAULT_ACCENT = "#efe4d6"  # warm sand


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour (WCAG 2)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def validate_hex_colour(value: str) -> None:
    if not isinstance(value, str) or not HEX_COLOUR.fullmatch(value):
        raise ValidationError(f"{value!r} is not a colour such as #3d5a56 (# and six hex digits).")


def _readable(value: str, *, against: str, text: str, advice: str) -> None:
    validate_hex_colour(value)
    ratio = contrast(value, against)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            f"{text} on {value} has a contrast of {ratio:.1f}:1; it needs at least "
            f"{MIN_CONTRAST}:1 to be readable. {advice}"
        )


def validate_primary_colour(value: str) -> None:
    _readable(value, against=WHITE, text="White text", advice="Choose a darker shade.")


def validate_accent_colour(value: str) -> None:
    _readable(value, against=TEXT, text="Text", advice="Choose a lighter shade.")


_absolute_url = URLValidator(schemes=["https", "http"])
SITE_PATH = re.compile(r"/(?!/)[^\s\"'<>\\]*")


def validate_logo_url(value: str) -> None:
    """An http(s) address, or a path on this site such as /static/clinic/logo.svg."""
    if SITE_PATH.fullmatch(value):
        return
    try:
        _absolute_url(value)
    except ValidationError:
        raise ValidationError(
            "Give the logo's address (https://...) or a path on this site starting with /."
        ) from None
