"""What the explorer page and its downloads show for one request: the table (formatted the Norwegian way, flags
and series breaks marked), a chart and a map, and the same table as CSV, XLSX and JSON-stat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kartlegg.analytics import levels as lv
from kartlegg.analytics.catalogue import CHANGE, CHANGE_PERCENT, PER_CAPITA, SHARE, SUM
from kartlegg.analytics.charts import MAX_BARS, MAX_LINES, Point, Series, bar_chart, line_chart
from kartlegg.analytics.cube import round_half_up
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, STATUS_SYMBOLS, STATUS_TEXTS
from kartlegg.analytics.models import AS_REPORTED
from kartlegg.analytics.services.maps import MAP_LEVELS, ChoroplethMap, choropleth
from kartlegg.analytics.services.read import Table
from kartlegg.lib import vega
from kartlegg.lib.numbers import format_change, format_number, format_percent

TABLE_ID = "statistikk-tabell"


@dataclass(frozen=True)
class ShownCell:
    text: str  # formatted value, or the symbol of a missing/suppressed cell
    flag: str  # "i" / "e" or ""
    flag_text: str
    css: str
    n: int | None


@dataclass
class ShownRow:
    code: str
    label: str
    cells: list[ShownCell]
    profile_code: str = ""  # a unit's or an area's row links to its profile


@dataclass
class ExplorerView:
    table: Table
    rows: list[ShownRow]
    break_years: set[int]
    chart: vega.Figure | None
    chart_note: str
    map: ChoroplethMap | None
    symbols: list[tuple[str, str]] = field(default_factory=list)
    show_n: bool = False
    map_refused: bool = False  # a sum or an absolute change was chosen at a level that has a map
    map_instead: str = ""  # the rate to choose instead (per_capita), when the variable has one


def format_value(value: float | None, measure: str, decimals: int) -> str:
    if value is None:
        return ""
    rounded = round_half_up(value, decimals)
    if measure == CHANGE:
        return format_change(rounded, decimals)
    if measure == CHANGE_PERCENT:
        return format_change(rounded, decimals) + "\u00a0%"
    if measure == SHARE:
        return format_percent(rounded, decimals)
    return format_number(rounded, decimals)


def shown_cell(table: Table, region: str, year: int) -> ShownCell:
    cell = table.cell(region, year)
    symbol = STATUS_SYMBOLS.get(cell.status, "")
    if cell.value is None:
        return ShownCell(symbol or "..", "", STATUS_TEXTS.get(cell.status, ""), "num missing", cell.n)
    flag = symbol if cell.status in (IMPUTED, ESTIMATED) else ""
    return ShownCell(
        format_value(cell.value, table.request.measure, table.decimals),
        flag,
        STATUS_TEXTS.get(cell.status, "") if flag else "",
        "num" + (" flagged" if flag else ""),
        cell.n,
    )


def chart_for(table: Table) -> tuple[vega.Figure | None, str]:
    years = table.years
    title = table.display_title
    if len(years) > 1:
        latest = years[-1]
        ranked = sorted(
            table.regions, key=lambda r: -(table.cell(r[0], latest).value or float("-inf"))
        )  # the biggest groups when there are too many lines to read
        chosen = table.regions if len(table.regions) <= MAX_LINES else ranked[:MAX_LINES]
        series = [
            Series(
                label,
                [
                    Point(y, table.cell(code, y).value, table.cell(code, y).status in (IMPUTED, ESTIMATED))
                    for y in years
                ],
            )
            for code, label in chosen
        ]
        spec = line_chart(series, years, title, table.breaks, table.decimals)
        note = (
            _("Diagrammet viser de %(count)s med høyest verdi i %(year)s; alle står i tabellen.")
            % {"count": MAX_LINES, "year": latest}
            if len(table.regions) > MAX_LINES
            else ""
        )
    else:
        year = years[0]
        items = sorted(
            ((label, table.cell(code, year).value, table.cell(code, year).status in (IMPUTED, ESTIMATED))
             for code, label in table.regions),
            key=lambda item: -(item[1] if item[1] is not None else float("-inf")),
        )  # fmt: skip
        title = f"{title}, {year}"
        spec = bar_chart(items, title, table.decimals)
        note = ""
        if len(items) > MAX_BARS:
            note = _("Diagrammet viser de %(count)s høyeste; alle står i tabellen.") % {"count": MAX_BARS}
    return (vega.figure(spec, title, TABLE_ID, "stat") if spec else None), note


# A map colours rates and shares; a sum or an absolute change would make big places dark only for being big.
MAP_MEASURES_EXCLUDED = (SUM, CHANGE)


def map_for(table: Table, year: int | None = None) -> ChoroplethMap | None:
    level = table.request.level
    if level not in MAP_LEVELS or not table.years or table.request.measure in MAP_MEASURES_EXCLUDED:
        return None
    year = year if year in table.years else table.years[-1]
    figures = {}
    for code, label in table.regions:
        cell = table.cell(code, year)
        figures[code] = (label, cell.value, cell.status)
    structure = table.request.structure
    boundary_year = structure if structure != AS_REPORTED else year
    title = _("Kart: %(title)s, %(year)s") % {"title": table.display_title, "year": year}
    percent = table.request.measure in (SHARE, CHANGE_PERCENT)
    return choropleth(
        level, boundary_year, figures, title, table.decimals, table.display_unit, units_year=year, percent=percent
    )


def explorer_view(table: Table, with_map: bool = True, map_year: int | None = None) -> ExplorerView:
    breaks = set(table.breaks)
    level = table.request.level
    linked = level in (lv.UNIT, lv.COUNTY, lv.RHF, lv.HF, lv.DPS)  # the levels that have a profile page
    rows = []
    for code, label in table.regions:
        cells = []
        for year in table.years:
            cell = shown_cell(table, code, year)
            if year in breaks:
                cell = ShownCell(cell.text, cell.flag, cell.flag_text, cell.css + " break-before", cell.n)
            cells.append(cell)
        rows.append(ShownRow(code, label, cells, lv.region_code(level, code) if linked else ""))
    used = {c.status for c in table.cells.values()}
    symbols = [(STATUS_SYMBOLS[s], STATUS_TEXTS[s]) for s in STATUS_SYMBOLS if s in used]
    chart, note = chart_for(table)
    refused = with_map and level in MAP_LEVELS and table.request.measure in MAP_MEASURES_EXCLUDED
    return ExplorerView(
        table=table,
        rows=rows,
        break_years=breaks,
        chart=chart,
        chart_note=note,
        map=map_for(table, map_year) if with_map else None,
        symbols=symbols,
        show_n=table.request.measure == SHARE,
        map_refused=refused,
        map_instead=PER_CAPITA if refused and PER_CAPITA in table.request.variable.measures else "",
    )
