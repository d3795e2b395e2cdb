"""PDF documents, one way for all of them: an HTML template with print CSS, laid out by WeasyPrint (receipts, blank
questionnaires, reports). Templates escape what users typed, so `<script>` is printed as text and never runs; the
documents load nothing but the embedded DejaVu fonts (file:// addresses), so nothing is fetched over the network.

A template extends "lib/print_base.html": A4, a running header with the title and, in demo mode, "Syntetiske
demodata", and "side x av y" in the footer. The PDF is tagged (PDF/UA-1).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

PRINT_CSS = Path(__file__).with_name("print.css")
PDF_VARIANT = "pdf/ua-1"


@cache
def print_css() -> str:
    return PRINT_CSS.read_text(encoding="utf-8")


def html_to_pdf(html: str, css: str = "") -> bytes:
    """An HTML document as a tagged PDF with its fonts embedded. The CSS is handed to WeasyPrint as a style sheet
    (templates hold no <style> blocks: the site's Content-Security-Policy rule applies to every template)."""
    from weasyprint import CSS, HTML

    sheets = [CSS(string=css, base_url=str(PRINT_CSS.parent))] if css else []
    document = HTML(string=html, base_url=str(PRINT_CSS.parent))
    result: bytes = document.write_pdf(stylesheets=sheets, pdf_variant=PDF_VARIANT)
    return result


def render_pdf(template: str, context: dict[str, Any], title: str, subtitle: str = "") -> bytes:
    """Render `template` (which extends lib/print_base.html) and lay it out as a PDF."""
    html = render_to_string(
        template,
        {
            **context,
            "doc_title": title,
            "doc_subtitle": subtitle,
            "demo": settings.KARTLEGG_DEMO_MODE,
            "printed_at": timezone.localtime().strftime("%d.%m.%Y %H:%M"),
        },
    )
    return html_to_pdf(html, print_css())


FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
MISSING_GLYPH = "\u25a1"  # □


@cache
def _codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    if not FONT_FILE.exists():
        raise FileNotFoundError(f"Fant ikke skrifttypen {FONT_FILE}. Installer Debian-pakken fonts-dejavu-core.")
    return frozenset(TTFont(str(FONT_FILE), lazy=True).getBestCmap().keys())


def printable(text: object) -> str:
    """The text with every character the embedded font cannot draw (most emoji) replaced by a visible □, instead of
    a fallback font from the system that a reader's text extraction may not understand."""
    known = _codepoints()
    return "".join(ch if ch in "\n\t" or ord(ch) in known else MISSING_GLYPH for ch in str(text))
