"""PDF documents with a Unicode font, for receipts, blank questionnaires and reports.

fpdf2 writes text, never markup, so user input such as `<script>` appears literally and cannot run. Characters the
font lacks (most emoji) are replaced by a visible placeholder instead of vanishing silently.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
MISSING_GLYPH = "\u25a1"  # □


@cache
def _font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        candidate = folder / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"Fant ikke skrifttypen {name}. Installer Debian-pakken fonts-dejavu-core.")


@cache
def _codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(str(_font_path("DejaVuSans.ttf")), lazy=True)
    return frozenset(font.getBestCmap().keys())


def printable(text: object) -> str:
    """The text with every character the font cannot draw replaced by □ (line breaks and tabs kept)."""
    known = _codepoints()
    return "".join(ch if ch in "\n\t" or ord(ch) in known else MISSING_GLYPH for ch in str(text))


class PdfDocument(FPDF):
    """A4 portrait document with kartlegg's header, page numbers and, in demo mode, the demo mark on every page."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_title = title
        self.doc_subtitle = subtitle
        self.add_font("DejaVu", "", str(_font_path("DejaVuSans.ttf")))
        self.add_font("DejaVu", "B", str(_font_path("DejaVuSans-Bold.ttf")))
        self.set_title(printable(title))
        self.set_creator("kartlegg")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.alias_nb_pages()
        self.add_page()

    def header(self) -> None:
        self.set_font("DejaVu", "B", 9)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, printable(self.doc_title), new_x="LMARGIN", new_y="NEXT")
        if settings.KARTLEGG_DEMO_MODE:
            self.set_text_color(176, 0, 0)
            self.cell(
                0, 5, "Syntetiske demodata – tallene for enkeltenheter er oppdiktet", new_x="LMARGIN", new_y="NEXT"
            )
        self.set_text_color(0, 0, 0)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90, 90, 90)
        stamp = datetime.now().strftime("%d.%m.%Y %H:%M")
        self.cell(0, 5, f"kartlegg · {stamp} · side {self.page_no()} av {{nb}}", align="C")

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.55, printable(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def paragraph(self, text: str, size: int = 10, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, printable(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def key_value(self, key: str, value: str, key_width: float = 70) -> None:
        """A label and its value side by side; long values wrap within their column."""
        self.set_font("DejaVu", "B", 9)
        y = self.get_y()
        self.multi_cell(key_width, 4.6, printable(key), new_x="RIGHT", new_y="TOP")
        self.set_font("DejaVu", "", 9)
        self.multi_cell(0, 4.6, printable(value) or "–", new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), y + 4.6))

    def to_bytes(self) -> bytes:
        return bytes(self.output())
