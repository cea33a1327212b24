"""The signed form as a PDF (fpdf2): what was asked, what was answered, the signature, and
when, from where and in which browser it was signed. The one builder of that document."""

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

# A Unicode TrueType family (CONSENT_PDF_FONT_DIR, Debian's DejaVu Sans by default) writes
# every letter it has a glyph for: Łukasiewicz, Ελένη; a letter it lacks becomes "?". Without
# one, the PDF's built-in fonts know Latin-1 only: typographic punctuation is written plainly
# and letters outside it lose their accents (or become "?"), rather than fail the signing.
# The record keeps every letter either way.
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
PLAIN = str.maketrans(
    {
        **{"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."},
        # Letters with a stroke have no decomposition to strip.
        **{"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "Œ": "OE", "œ": "oe"},
    }
)


def _latin1_letter(c: str) -> str:
    if ord(c) < 256:
        return c
    base = "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
    return base if base and all(ord(d) < 256 for d in base) else "?"


def latin1(text: str) -> str:
    return "".join(_latin1_letter(c) for c in str(text).translate(PLAIN))


@dataclass(frozen=True)
class Signed:
    clinic: str
    title: str
    version: int
    text: str
    client: str
    answers: list[tuple[str, str]]  # (question, answer) as words
    signature_png: bytes | None
    typed_name: str
    signed_at: datetime  # in the clinic's zone
    ip_address: str
    user_agent: str
    reference: str  # the appointment's, or ""


def _unicode_font(pdf: FPDF) -> Callable[[str], str] | None:
    """Add the Unicode family when its files are there; the function that keeps a text to
    the glyphs it has. None: use the built-in fonts."""
    folder = Path(settings.CONSENT_PDF_FONT_DIR or "")
    if not settings.CONSENT_PDF_FONT_DIR or not all(
        (folder / name).is_file() for name in FONT_FILES.values()
    ):
        return None
    for style, name in FONT_FILES.items():
        pdf.add_font("unicode", style, str(folder / name))
    glyphs = pdf.fonts["unicode"].cmap

    def known(text: str) -> str:
        return "".join(c if ord(c) in glyphs or c in "\n\t" else "?" for c in str(text))

    return known


def signed_form_pdf(form: Signed) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    known = _unicode_font(pdf)
    family, written = ("unicode", known) if known else ("Helvetica", latin1)
    pdf.set_title(written(form.title))
    pdf.add_page()
    width = pdf.epw

    def para(text: str, *, size: int = 10, style: str = "", gap: float = 2) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(width, size * 0.5, written(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    para(form.clinic, size=10, style="B", gap=1)
    para(f"{form.title} (version {form.version})", size=15, style="B", gap=4)
    para(f"Client: {form.client}" + (f"   Appointment: {form.reference}" if form.reference else ""))
    para(form.text, gap=4)
    for question, answer in form.answers:
        para(question, style="B", gap=0.5)
        para(answer or "-", gap=2)
    pdf.ln(2)
    para("Signature", style="B", gap=1)
    if form.signature_png:
        pdf.image(io.BytesIO(form.signature_png), w=70)
        pdf.ln(2)
    else:
        para(form.typed_name, size=16, style="I")
        para("(typed signature)", size=8)
    para(
        f"Signed on {form.signed_at:%Y-%m-%d at %H:%M %Z} from {form.ip_address or 'unknown'}",
        size=8,
        gap=0.5,
    )
    para(f"Browser: {form.user_agent or 'unknown'}", size=8)
    return bytes(pdf.output())
