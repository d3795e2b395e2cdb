"""One chapter per theme of the questionnaire. A theme is a question's `tema_*` tag when it has one, else its section
(B årsverk for voksne, C barn og unge, D kompetanse og rekruttering, E tjenestetilbud, F rus, G samarbeid, H behov);
contact details (A) and free text (I) are not themes. `theme_requests` says which aggregates the chapters read, so
the reading side (sources.py) and the computation agree. Pure."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from django.utils.translation import gettext_noop

from kartlegg.reports import charts, narrative
from kartlegg.reports.blocks import cell, change_fig, paragraph, series_cell, slug
from kartlegg.reports.document import CHANGE_PERCENT, NUMBER, PERCENT, Cell, Chapter, Column, Figure, Row, Table
from kartlegg.reports.inputs import NATION, NATION_CODE, SHARE, SUM, ReportInputs, Series, VariableInfo
from kartlegg.reports.labels import labels, tr

SKIPPED_SECTIONS = ("A", "I", "Årsverk", "")
SHARE_YEARS = 4  # the share tables show the last four survey years
_QUESTION = re.compile(r"^(\w+) (kommunen|dere) (.+?)\??$")

Request = tuple[str, str, str, tuple[int, ...]]  # variable, measure, level, years


def theme_of(info: VariableInfo) -> str:
    tagged = next((t for t in info.tags if t.startswith("tema_")), "")
    return tagged or info.section


def themes(inputs_variables: dict[str, VariableInfo], year: int) -> dict[str, list[VariableInfo]]:
    """Theme → the variables of that year shown in it: grid row and column totals, plain numbers, yes/no questions
    and percentages (single grid cells are left to the explorer)."""
    found: dict[str, list[VariableInfo]] = {}
    for info in inputs_variables.values():
        if info.kind == "headline" or year not in info.years or info.section in SKIPPED_SECTIONS:
            continue
        grid_cell = "." in info.code and not info.derived
        if grid_cell:
            continue
        found.setdefault(theme_of(info), []).append(info)
    return found


def theme_requests(variables: dict[str, VariableInfo], year: int, years: Iterable[int]) -> list[Request]:
    chosen = tuple(y for y in years if y <= year)
    requests: list[Request] = []
    for members in themes(variables, year).values():
        for info in members:
            if info.kind == "yesno":
                requests.append((info.code, SHARE, NATION, chosen[-SHARE_YEARS:]))
            elif info.kind == "percent":
                requests.append((info.code, "median", NATION, chosen[-SHARE_YEARS:]))
            else:
                requests.append((info.code, SUM, NATION, chosen))
    return requests


def short_label(info: VariableInfo) -> str:
    """ "Årsverk for voksne …: Ledelse og koordinering, i alt" → "Ledelse og koordinering"."""
    label = info.label.split(": ", 1)[-1]
    return label[: -len(", i alt")] if label.endswith(", i alt") else label


def share_subject(label: str) -> str:
    """ "Har kommunen Rask psykisk helsehjelp?" → "har Rask psykisk helsehjelp" (for "Andelen kommuner som …")."""
    match = _QUESTION.match(label.strip())
    if match:
        return f"{match.group(1).lower()} {match.group(3)}"
    return f"svarte ja på «{label.strip()}»"


def theme_chapters(inputs: ReportInputs, lang: str) -> list[Chapter]:
    chapters = []
    for theme, members in themes(inputs.variables, inputs.year).items():
        title = inputs.sections.get(theme, theme.removeprefix("tema_").replace("_", " ").capitalize())
        chapter = Chapter(f"tema-{slug(theme)}", title)
        rows = [m for m in members if m.derived and m.code.endswith(".*")]
        cols = [m for m in members if m.derived and ".*." in m.code]
        if rows:
            _grid_part(chapter, inputs, rows, "tjenesteomrade", labels(lang)["service_area"], lang)
        if cols:
            _grid_part(chapter, inputs, cols, "utdanning", labels(lang)["education"], lang)
        numbers = [m for m in members if m.kind == "number" and not m.derived]
        if numbers:
            _numbers_part(chapter, inputs, numbers, lang)
        shares = [m for m in members if m.kind == "yesno"]
        if shares:
            _shares_part(chapter, inputs, shares, lang)
        chapters.append(chapter)
    return chapters


def _grid_part(
    chapter: Chapter, inputs: ReportInputs, members: list[VariableInfo], part: str, stub: str, lang: str
) -> None:
    t = labels(lang)
    year, previous = inputs.year, inputs.previous_year
    found: list[tuple[VariableInfo, Series]] = []
    for member in members:
        series = inputs.get(member.code, SUM, NATION)
        if series is not None:
            found.append((member, series))
    if not found:
        return
    total = math.fsum((s.nation(year).value or 0.0) for _, s in found if s.nation(year).usable)
    rows = []
    for info, series in found:
        now = series.nation(year)
        share = Cell((now.value or 0.0) / total * 100 if now.usable and total else None, "ok" if total else "missing")
        rows.append(
            Row(short_label(info), [series_cell(series, NATION_CODE, previous) if previous else Cell(None, "missing"),
                                    series_cell(series, NATION_CODE, year),
                                    cell(change_fig(series, NATION_CODE, year, previous, True)), share], info.code)
        )  # fmt: skip
    table = Table(
        id=f"{chapter.id}-{part}",
        title=tr(lang, gettext_noop("{chapter}: årsverk etter {what}, {previous} og {year}"), chapter=chapter.title,
                 what=stub.lower(), previous=previous, year=year),
        columns=[Column(str(previous or ""), NUMBER, 1), Column(str(year), NUMBER, 1),
                 Column(t["change_pct"], CHANGE_PERCENT, 1), Column(t["share_of_total"], PERCENT, 1)],
        rows=rows, source=t["source"], stub=stub, variable=found[0][0].code, level=NATION, measure=SUM,
        years=f"{previous}-{year}" if previous else str(year),
    )  # fmt: skip
    breaks = sorted({b for _, s in found for b in s.breaks if previous is not None and previous < b <= year})
    if breaks:
        table.notes.append(
            tr(
                lang,
                gettext_noop("Brudd i tidsserien i {year}: endringen vises ikke for rader som er endret."),
                year=breaks[0],
            )
        )
    items = [(short_label(i), s.nation(year)) for i, s in found]
    refs = {short_label(i): f"{i.code}|sum|nation|0|{year}" for i, _ in found}
    chapter.add_paragraph(
        paragraph(f"{chapter.id}.{part}.extremes",
                  narrative.extremes(tr(lang, gettext_noop("Antall årsverk etter {what}"), what=stub.lower()),
                                     items, 1, lang, refs), "extremes")
    )  # fmt: skip
    largest = max(found, key=lambda item: item[1].nation(year).value or 0.0)
    info, series = largest
    if previous is not None:
        sentence = narrative.change_sentence(
            short_label(info), series.nation(year), series.nation(previous), year, previous, t["arsverk"], 1,
            series.comparable(year, previous), lang, f"{info.code}|sum|nation|0|{year}",
        )  # fmt: skip
        chapter.add_paragraph(paragraph(f"{chapter.id}.{part}.largest", sentence, "change_sentence"))
    chapter.add_figure(
        Figure(
            f"figur-{table.id}",
            table.title,
            "bar",
            charts.bar_spec(table.title, [(label, f.value if f.usable else None) for label, f in items], t["arsverk"]),
            table.id,
        )  # fmt: skip
    )
    chapter.add_table(table)


def _numbers_part(chapter: Chapter, inputs: ReportInputs, members: list[VariableInfo], lang: str) -> None:
    t = labels(lang)
    years = inputs.years[-SHARE_YEARS:]
    rows = []
    for info in members:
        series = inputs.get(info.code, SUM, NATION)
        rows.append(Row(info.label, [series_cell(series, NATION_CODE, y) for y in years], info.code))
    chapter.add_table(
        Table(
            id=f"{chapter.id}-tall",
            title=tr(
                lang,
                gettext_noop("{chapter}: tall for hele landet, {first}–{year}"),
                chapter=chapter.title,
                first=years[0],
                year=years[-1],
            ),
            columns=[Column(str(y), NUMBER, 0) for y in years],
            rows=rows,
            source=t["source"],
            stub="",
            variable=members[0].code,
            level=NATION,
            measure=SUM,
            years=f"{years[0]}-{years[-1]}",
        )  # fmt: skip
    )


SHARES_NOTE = gettext_noop("Andeler av færre enn 5 enheter vises ikke (:). N er antall enheter som svarte.")


def _shares_part(chapter: Chapter, inputs: ReportInputs, members: list[VariableInfo], lang: str) -> None:
    t = labels(lang)
    year = inputs.year
    years = [y for y in inputs.years if y <= year][-SHARE_YEARS:]
    rows, sentences, bars = [], [], []
    for info in members:
        series = inputs.get(info.code, SHARE, NATION)
        if series is None:
            continue
        cells = [series_cell(series, NATION_CODE, y) for y in years]
        now = series.nation(year)
        cells.append(Cell(float(now.n) if now.n is not None else None, "ok" if now.n is not None else "missing"))
        rows.append(Row(info.label, cells, info.code))
        points = [(y, series.nation(y)) for y in years]
        sentences.append(
            narrative.share_over_years(
                share_subject(info.label), points, series.breaks, lang, f"{info.code}|share|nation|0|{{year}}"
            )  # fmt: skip
        )
        bars.append((short_label(info).rstrip("?"), now.value if now.usable else None))
    if not rows:
        return
    table = Table(
        id=f"{chapter.id}-andeler",
        title=tr(lang, gettext_noop("{chapter}: andel kommuner og bydeler som svarte ja (%)"), chapter=chapter.title),
        columns=[Column(str(y), PERCENT, 0) for y in years] + [Column(f"N {year}", NUMBER, 0)],
        rows=rows, source=t["source"], stub="",
        notes=[tr(lang, SHARES_NOTE)],
        variable=members[0].code, level=NATION, measure=SHARE, years=f"{years[0]}-{years[-1]}",
    )  # fmt: skip
    for index, sentence in enumerate(sentences):
        chapter.add_paragraph(paragraph(f"{chapter.id}.andel.{rows[index].code}", sentence, "share_over_years"))
    chapter.add_figure(
        Figure(
            f"figur-{table.id}",
            tr(lang, gettext_noop("{chapter}: andel som svarte ja i {year}"), chapter=chapter.title, year=year),
            "bar",
            charts.bar_spec(
                tr(lang, gettext_noop("Andel som svarte ja i {year} (%)"), year=year),
                bars,
                tr(lang, gettext_noop("prosent")),
                0,
            ),
            table.id,
        )  # fmt: skip
    )
    chapter.add_table(table)
