"""The report as a PDF: the same HTML as the site, with the report's print CSS (reports/print.css: cover, table of
contents with page numbers, running chapter headers, "side x av y"), tagged (PDF/UA-1), fonts embedded, and
"Syntetiske demodata" on every page in the demo.

A whole report is hundreds of pages (an appendix row and a profile page per unit), and WeasyPrint slows down and
grows with the size of one document. So it is laid out in parts: the front matter and chapters (the site's
template, report_body.html), the appendix in chunks of rows, and the profiles in batches (reports/print_part.html:
plain tables), each part in a worker process (pdf_parts.Runner), and the parts are joined into one tagged PDF
(pdf_parts.join_tagged). Page numbers are made in two passes: first the front matter and the appendix are laid out
to count their pages (a profile is one page by construction); then every part is rendered with its first page
number (`@page :first { counter-reset: page N }`), the total ("av y") and, in the contents, the pages where the
appendix and the profiles start. When a part comes out with another page count than counted, the numbers are
made again from the real counts (at most twice more), so the numbers are right even then."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from kartlegg.lib.pdf import html_to_pdf
from kartlegg.reports.document import Block, Chapter, Report
from kartlegg.reports.labels import labels
from kartlegg.reports.pdf_parts import Runner, count_pages, join_tagged, render_part
from kartlegg.reports.render_html import MAIN, render_html, shown_table

PRINT_CSS = Path(__file__).with_name("print.css")
DEMO_PAGE_CSS = (
    '@page { @bottom-left { content: "Syntetiske demodata"; font: bold 8pt "Report Sans"; color: #b45309; } }'
)
APPENDIX_ROWS = 250  # appendix rows per part
PROFILES_PER_PART = 40  # profiles (one page each) per part
PLACEHOLDER = 9999  # page numbers in the counting pass (same width as the real ones, or wider)
MAX_PASSES = 3


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


def pdf_workers() -> int:
    """Worker processes for the parts: KARTLEGG_PDF_WORKERS, else up to two (the PDF must stay under 1 GiB)."""
    raw = os.environ.get("KARTLEGG_PDF_WORKERS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else min(2, os.cpu_count() or 1)


@dataclass
class Part:
    """One document of the PDF: its HTML, running header, and its page count (counted, or known: profiles)."""

    html: str
    header: str
    pages: int | None = None


@dataclass
class PdfStats:
    parts: int = 0
    passes: int = 0
    pages: int = 0
    worker_peak_mib: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)  # wall clock per step
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of the parts' layout (all processes)


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def part_css(report: Report, first_page: int, total: int, header: str | None) -> str:
    """The print CSS of one part: "side x av <total>", and for a part after the first, its first page number and
    running headers written out (the cover and its title are in the first part)."""
    t = labels(report.language or "nb")
    footer = f"content: {css_string(t['page'] + ' ')} counter(page) {css_string(' ' + t['of'] + f' {total}')};"
    css = report_css(report) + f"\n@page {{ @bottom-center {{ {footer} }} }}"
    if header is not None:
        chapter, title = css_string(header), css_string(report.title)
        heads = f"@top-left {{ content: {chapter}; }} @top-right {{ content: {title}; }}"
        css += f"\n@page {{ {heads} }}\n@page :first {{ counter-reset: page {first_page}; {heads} "
        css += f"@bottom-center {{ {footer} }} }}"
    return css


def _main_document(report: Report, svgs: dict[str, str], code_version: str, pages: dict[str, int]) -> str:
    body = render_html(report, for_pdf=True, part=MAIN, svgs=svgs,
                       extra={"code_version": code_version, "appendix_url": "#vedlegg", "profiles_url": "#profiler",
                              "toc_pages": pages})  # fmt: skip
    return html_document(body, report)


def _units(blocks: list[Block]) -> list[list[Block]]:
    """The profile chapter's blocks as one group per unit: its paragraph and its table."""
    groups: list[list[Block]] = []
    current: list[Block] = []
    for block in blocks:
        current.append(block)
        if block.table is not None:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def later_parts(report: Report, number: int) -> list[Part]:
    """The appendix in chunks of rows and the profiles in batches, each part its own HTML document."""
    parts: list[Part] = []
    for chapter in report.chapters:
        if chapter.kind not in ("appendix", "profiles"):
            continue
        number += 1
        if chapter.kind == "appendix":
            pieces = _appendix_pieces(chapter, report)
        else:
            units = _units(chapter.blocks)
            pieces = [_profile_piece(units[i : i + PROFILES_PER_PART], report)
                      for i in range(0, len(units), PROFILES_PER_PART)]  # fmt: skip
        for index, (items, known) in enumerate(pieces):
            with translation.override(report.language or "nb"):
                html = render_to_string("reports/print_part.html", {"report": report, "chapter": chapter,
                                        "items": items, "first": index == 0, "number": number})  # fmt: skip
            parts.append(Part(html, chapter.title, known))
    return parts


def _appendix_pieces(chapter: Chapter, report: Report) -> list[tuple[list[dict[str, Any]], int | None]]:
    pieces: list[tuple[list[dict[str, Any]], int | None]] = []
    items: list[dict[str, Any]] = []
    for block in chapter.blocks:
        if block.paragraph is not None:
            items.append({"paragraph": block.paragraph})
        elif block.table is not None:
            shown = shown_table(block.table, report)
            chunks = [shown.rows[i : i + APPENDIX_ROWS] for i in range(0, len(shown.rows), APPENDIX_ROWS)] or [[]]
            for index, rows in enumerate(chunks):
                items.append({"table": block.table, "rows": rows, "continued": index > 0,
                              "last": index == len(chunks) - 1})  # fmt: skip
                if index < len(chunks) - 1:
                    pieces.append((items, None))
                    items = []
    if items:
        pieces.append((items, None))
    return pieces


def _profile_piece(units: list[list[Block]], report: Report) -> tuple[list[dict[str, Any]], int]:
    items = []
    for group in units:
        table = next((b.table for b in group if b.table is not None), None)
        paragraphs = [b.paragraph for b in group if b.paragraph is not None]
        items.append({"profile": table, "paragraphs": paragraphs,
                      "rows": shown_table(table, report).rows if table else []})  # fmt: skip
    return items, len(units)


def render_pdf(report: Report, svgs: dict[str, str] | None = None, code_version: str = "",
               workers: int | None = None, stats: PdfStats | None = None) -> bytes:  # fmt: skip
    """The whole report as one tagged PDF, laid out in parts (see the module's text)."""
    stats = stats if stats is not None else PdfStats()
    cache = svgs if svgs is not None else {}
    started = time.perf_counter()
    number = sum(1 for c in report.chapters if c.kind == "chapter")
    parts = later_parts(report, number)
    placeholder = {"vedlegg": PLACEHOLDER, "profiler": PLACEHOLDER}
    stats.seconds["html"] = time.perf_counter() - started
    with Runner(workers or pdf_workers()) as runner:
        started = time.perf_counter()
        unknown = [p for p in parts if p.pages is None]
        counting = [(_main_document(report, cache, code_version, placeholder), part_css(report, 1, PLACEHOLDER, None))]
        counting += [(p.html, part_css(report, 1, PLACEHOLDER, p.header)) for p in unknown]
        counted = runner.map(count_pages, counting)
        stats.cpu["count"] = sum(cpu for _pages, cpu in counted)
        main_pages = counted[0][0]
        for part, (pages, _cpu) in zip(unknown, counted[1:], strict=True):
            part.pages = pages
        stats.seconds["count"] = time.perf_counter() - started
        started = time.perf_counter()
        for attempt in range(1, MAX_PASSES + 1):
            starts, page = [], main_pages + 1
            for part in parts:
                starts.append(page)
                page += part.pages or 0
            total = page - 1
            toc = {"vedlegg": _first(parts, starts, report, "appendix"),
                   "profiler": _first(parts, starts, report, "profiles")}  # fmt: skip
            jobs = [(_main_document(report, cache, code_version, toc), part_css(report, 1, total, None))]
            jobs += [(p.html, part_css(report, s, total, p.header)) for p, s in zip(parts, starts, strict=True)]
            rendered = runner.map(render_part, jobs)
            actual = [r[0] for r in rendered]
            stats.cpu["render"] = stats.cpu.get("render", 0.0) + sum(r[3] for r in rendered)
            stats.passes = attempt + 1
            if actual == [main_pages, *(p.pages for p in parts)] or attempt == MAX_PASSES:
                break
            main_pages = actual[0]
            for part, pages in zip(parts, actual[1:], strict=True):
                part.pages = pages
        stats.seconds["render"] = time.perf_counter() - started
    stats.worker_peak_mib = max(r[2] for r in rendered)
    stats.parts = len(rendered)
    stats.pages = sum(actual)
    started, cpu_started = time.perf_counter(), time.process_time()
    joined = join_tagged([r[1] for r in rendered]) if len(rendered) > 1 else rendered[0][1]
    stats.seconds["join"] = time.perf_counter() - started
    stats.cpu["join"] = time.process_time() - cpu_started
    return joined


def _first(parts: list[Part], starts: list[int], report: Report, kind: str) -> int:
    """The page where the chapter of `kind` begins (its first part)."""
    titles = [c.title for c in report.chapters if c.kind == kind]
    for part, start in zip(parts, starts, strict=True):
        if titles and part.header == titles[0]:
            return start
    return 0


def render_pdf_single(report: Report, svgs: dict[str, str] | None = None, code_version: str = "") -> bytes:
    """The whole report as one WeasyPrint document (the old way; kept for the benchmark's comparison)."""
    body = render_html(report, for_pdf=True, svgs=svgs, extra={"code_version": code_version})
    return html_to_pdf(html_document(body, report), report_css(report))
