"""The signed form as a PDF (fpdf2): what was asked, what was answered, the signature, and
when, from where and in which browser it was signed. The one builder of that document."""

import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

# The PDF's built-in fonts know Latin-1 only: typographic punctuation is written plainly
# and letters outside it lose their accents (or become "?"), rather than fail the signing.
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


def signed_form_pdf(form: Signed) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(form.title))
    pdf.add_page()
    width = pdf.epw

    def para(text: str, *, size: int = 10, style: str = "", gap: float = 2) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
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
