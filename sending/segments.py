"""How many SMS segments a text costs: pure arithmetic on the characters (3GPP TS 23.038).

A text wholly in the GSM 7-bit alphabet fits 160 characters in one segment, 153 a segment
once split (the rest carries the header that joins them); the characters of its extension
table ({, }, [, ], ~, \\, |, ^, €, form feed) count twice. Any other character (an emoji, a
curly quote, most accented capitals) sends the whole text as UCS-2: 70 in one segment, 67
once split, and a character outside the Basic Multilingual Plane counts twice.
"""

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or 16-bit code units (UCS-2)
    count: int


def segments(text: str) -> Segments:
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0)
    return Segments(encoding, units, -(-units // part))
