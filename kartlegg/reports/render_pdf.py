"""The report as a PDF: the same HTML as the site, with the report's print CSS (reports/print.css: cover, table of
contents with page numbers, running chapter headers), through lib.pdf like every PDF kartlegg makes. Tagged
(PDF/UA-1), fonts embedded, and "Syntetiske demodata" on every page in the demo."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kartlegg.lib.pdf import html_to_pdf
from kartlegg.reports.document import Report
from kartlegg.reports.render_html import render_html

PRINT_CSS = Path(__file__).with_name("print.css")
DEMO_PAGE_CSS = (
    '@page { @bottom-left { content: "Syntetiske demodata"; font: bold 8pt "Report Sans"; color: #b45309; } }'
)


@cache
def print_css() -> str:
    return PRINT_CSS.read_text(encoding="utf-8")


def report_css(report: Report) -> str:
    return print_css() + ("\n" + DEMO_PAGE_CSS if report.demo else "")


def html_document(body: str, report: Report, title: str = "") -> str:
    """A standalone HTML document around the report's body (its print CSS goes to WeasyPrint as a style sheet)."""
    return render_to_string(
        "reports/report_pdf.html",
        {"report": report, "body": mark_safe(body), "title": title or report.title},  # noqa: S308 - rendered HTML
    )


def render_pdf(report: Report, svgs: dict[str, str] | None = None, code_version: str = "") -> bytes:
    body = render_html(report, for_pdf=True, svgs=svgs, extra={"code_version": code_version})
    return html_to_pdf(html_document(body, report), report_css(report))
