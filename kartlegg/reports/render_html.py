"""The report as HTML, for the site and (with print CSS) for the PDF. Reads the document alone. Every figure in a
table or in the prose links to the explorer with the same variable, level, year and data version; every chart is
an SVG followed by its table twin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from kartlegg.lib.numbers import format_change, format_number
from kartlegg.reports import charts
from kartlegg.reports.document import (
    CHANGE,
    CHANGE_PERCENT,
    MISSING,
    OK,
    SYMBOLS,
    TEXT,
    Cell,
    Chapter,
    Column,
    Paragraph,
    Report,
    Table,
)
from kartlegg.reports.labels import labels

EXPLORER = "/statistikk/"
FIGURE = "/statistikk/tall/"  # one figure: the units behind it, imputation and QA corrections
API = "/api/v1/statistics/"
STATUS_TEXTS = {
    MISSING: gettext_noop("mangler"),
    "suppressed": gettext_noop("skjult: færre enn 5 enheter"),
    "imputed": gettext_noop("imputert (siste rapporterte tall er brukt)"),
    "estimated": gettext_noop("anslått (delt kommune)"),
}


def version_param(report: Report, years: str = "") -> dict[str, str]:
    """The statistics' `version` parameter for figures of `years` ("2020", "2017-2023", "2019,2020"; default the
    report's year) as the report read them (`document.data_versions`): one version for them all ("2"), or each year
    its own ("2019:1,2020:2"); years read live are left to the default (what the reader may see of them)."""
    wanted = _years(years) if years else [report.year]
    keys = report.data_versions or {str(report.year): report.data_version}
    wanted = [y for y in wanted if str(y) in keys]  # survey years only ("2020-2024" is two of them)
    pinned = {y: keys[str(y)][1:] for y in wanted if keys.get(str(y), "").startswith("v")}
    if not pinned:
        return {}
    numbers = set(pinned.values())
    if len(numbers) == 1 and len(pinned) == len(wanted):
        return {"version": numbers.pop()}
    return {"version": ",".join(f"{y}:{n}" for y, n in sorted(pinned.items()))}


def _years(text: str) -> list[int]:
    found: list[int] = []
    for part in str(text).split(","):
        first, _sep, last = part.strip().partition("-")
        if first.isdigit() and (not last or last.isdigit()):
            found.extend(range(int(first), int(last or first) + 1))
    return found


def explorer_url(ref: str, report: Report) -> str:
    """The figure's own view in the statistics (`/statistikk/tall/`: the units behind it, the imputed ones and the QA
    corrections), pinned to the report's data version, structure and imputation rule; it links on to the explorer's
    table at the same version."""
    if not ref:
        return ""
    variable, measure, level, region, year = ref.split("|")
    query = {
        "variable": variable, "measure": measure, "level": level, "region": region, "year": year,
        "structure": str(report.structure or "own"), "imputation": report.rule, **version_param(report, year),
    }  # fmt: skip
    return f"{FIGURE}?{urlencode(query)}"


def format_cell(c: Cell, column: Column) -> str:
    if c.value is None:
        return SYMBOLS.get(c.status, "..")
    if isinstance(c.value, str) or column.kind == TEXT:
        return str(c.value)
    if column.kind == CHANGE:
        return format_change(c.value, column.decimals)
    if column.kind == CHANGE_PERCENT:
        return format_change(c.value, 1)
    return format_number(c.value, column.decimals)


@dataclass
class ShownCell:
    text: str
    href: str
    flag: str
    title: str
    css: str


@dataclass
class ShownTable:
    table: Table
    rows: list[tuple[Any, list[ShownCell]]]
    downloads: list[tuple[str, str]] = field(default_factory=list)


def shown_table(table: Table, report: Report) -> ShownTable:
    with translation.override(report.language or "nb"):
        return _shown_table(table, report)


def _shown_table(table: Table, report: Report) -> ShownTable:
    rows = []
    for row in table.rows:
        cells = []
        for c, column in zip(row.cells, table.columns, strict=True):
            flag = SYMBOLS.get(c.status, "") if c.value is not None and c.status != OK else ""
            css = "num" if column.kind != TEXT else ""
            if c.value is None:
                css += " missing"
            cells.append(ShownCell(format_cell(c, column), explorer_url(c.ref, report), flag,
                                   gettext(STATUS_TEXTS[c.status]) if c.status in STATUS_TEXTS else "",
                                   css.strip()))  # fmt: skip
        rows.append((row, cells))
    downloads = []
    if table.variable:
        base = {"variable": table.variable, "level": table.level or "nation", "years": table.years,
                "measure": table.measure, "structure": str(report.structure or "own"), "imputation": report.rule,
                **version_param(report, table.years)}  # fmt: skip
        api = f"{API}{table.variable}"
        query = {k: v for k, v in base.items() if k != "variable"}
        downloads = [
            ("CSV", f"{api}?{urlencode({**query, 'format': 'csv'})}"),
            ("JSON-stat", f"{api}?{urlencode(query)}"),
            ("PX", f"{api}?{urlencode({**query, 'format': 'px'})}"),
            ("XLSX", f"{api}?{urlencode({**query, 'format': 'xlsx'})}"),
            (labels(report.language)["table_link"], f"{EXPLORER}?{urlencode(base)}"),
        ]
    return ShownTable(table, rows, downloads)


def linked_text(paragraph: Paragraph, report: Report) -> SafeString:
    """The paragraph's text, escaped, with each cited figure that has a source linked to the explorer."""
    text = paragraph.text
    out: list[str] = []
    position = 0
    for cite in paragraph.cites:
        url = explorer_url(cite.ref, report)
        found = text.find(cite.text, position) if cite.text else -1
        if not url or found < 0:
            continue
        out.append(escape(text[position:found]))
        out.append(f'<a class="cite" href="{escape(url)}">{escape(cite.text)}</a>')
        position = found + len(cite.text)
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


def chapter_context(chapter: Chapter, report: Report, svgs: dict[str, str]) -> dict[str, Any]:
    blocks = []
    for block in chapter.blocks:
        if block.paragraph is not None:
            blocks.append({"paragraph": block.paragraph, "html": linked_text(block.paragraph, report)})
        elif block.table is not None:
            blocks.append({"table": shown_table(block.table, report)})
        elif block.figure is not None:
            svg = svgs.get(block.figure.id)
            if svg is None:
                svg = svgs[block.figure.id] = charts.to_svg(block.figure.spec)
            blocks.append({"figure": block.figure, "svg": mark_safe(svg)})  # noqa: S308 - our own SVG
    return {"chapter": chapter, "blocks": blocks}


MAIN, APPENDIX, PROFILES, ALL = "main", "appendix", "profiles", "all"
PART_KINDS = {
    MAIN: ("chapter",),
    APPENDIX: ("appendix",),
    PROFILES: ("profiles",),
    ALL: ("chapter", "appendix", "profiles"),
}


def part_chapters(report: Report, part: str, unit: str = "") -> list[Chapter]:
    """The chapters of one part of the web page (the PDF shows them all). `unit` keeps one unit's profile."""
    chosen = [c for c in report.chapters if c.kind in PART_KINDS[part]]
    if unit:
        chosen = [Chapter(c.id, c.title, [b for b in c.blocks if _of_unit(b, unit)], c.kind) for c in chosen]
    return chosen


def _of_unit(block: Any, unit: str) -> bool:
    if block.paragraph is not None:
        return bool(block.paragraph.id == f"profiler.{unit}")
    return block.table is not None and block.table.id == f"profil-{unit}"


def render_html(report: Report, *, for_pdf: bool = False, editable: bool = False, svgs: dict[str, str] | None = None,
                extra: dict[str, Any] | None = None, request: Any = None, part: str = "") -> str:  # fmt: skip
    """The report's HTML: the whole report for the PDF, else one part of the web page (the main chapters by default;
    the appendix and the profiles are pages of their own, so the main page stays light). `svgs` caches the
    rendered charts by figure id."""
    part = part or (ALL if for_pdf else MAIN)
    cache = svgs if svgs is not None else {}
    unit = (extra or {}).get("unit", "")
    chapters = [chapter_context(c, report, cache) for c in part_chapters(report, part, unit)]
    others = [c for c in report.chapters if c.kind != "chapter"] if part == MAIN else []
    context = {"report": report, "chapters": chapters, "for_pdf": for_pdf, "editable": editable, "part": part,
               "other_parts": others, **(extra or {})}  # fmt: skip
    with translation.override(report.language or "nb"):  # the report's language, whatever the page's
        return render_to_string("reports/report_body.html", context, request=request)
