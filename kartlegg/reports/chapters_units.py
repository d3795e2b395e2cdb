"""The appendix (every municipality's and bydel's årsverk and competence) and the one-page profiles (a unit against
its county, size group and the nation). `unit_requests` says which unit-level aggregates they read. Pure."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kartlegg.reports import narrative
from kartlegg.reports.blocks import paragraph, series_cell
from kartlegg.reports.chapters_themes import Request, short_label
from kartlegg.reports.document import MISSING, NUMBER, OK, PERCENT, Cell, Chapter, Column, Row, Table
from kartlegg.reports.inputs import (
    ADULTS,
    CHILDREN,
    COUNTY,
    NATION,
    NATION_CODE,
    PER_CAPITA,
    SIZE_GROUP,
    SUM,
    TOTAL,
    UNIT,
    ReportInputs,
    VariableInfo,
)
from kartlegg.reports.labels import labels, tr

GRID_SECTIONS = ("B", "C")


def education_columns(variables: dict[str, VariableInfo], year: int) -> dict[str, list[VariableInfo]]:
    """Education group (its column code) → the column totals of the årsverk grids that year (adults and children)."""
    found: dict[str, list[VariableInfo]] = {}
    for info in variables.values():
        if info.derived and ".*." in info.code and info.section in GRID_SECTIONS and year in info.years:
            found.setdefault(info.code.rsplit(".", 1)[1], []).append(info)
    return found


def unit_requests(variables: dict[str, VariableInfo], year: int) -> list[Request]:
    return [(i.code, SUM, UNIT, (year,)) for members in education_columns(variables, year).values() for i in members]


def appendix_chapter(inputs: ReportInputs, lang: str) -> Chapter:
    t = labels(lang)
    year = inputs.year
    chapter = Chapter("vedlegg", t["appendix"], kind="appendix")
    sums = {code: inputs.get(code, SUM, UNIT) for code in (ADULTS, CHILDREN, TOTAL)}
    rate = inputs.get(TOTAL, PER_CAPITA, UNIT)
    if sums[TOTAL] is None or not inputs.units:
        return chapter
    education = education_columns(inputs.variables, year)
    columns = [Column(t["adults"], NUMBER, 1), Column(t["children"], NUMBER, 1), Column(t["total"], NUMBER, 1),
               Column(t["total_rate_10k"], NUMBER, 1)]  # fmt: skip
    columns += [Column(f"{short_label(members[0])} (%)", PERCENT, 0) for members in education.values()]
    rows = []
    for unit in inputs.units:
        cells = [series_cell(sums[c], unit.code, year) for c in (ADULTS, CHILDREN, TOTAL)]
        per = rate.get(unit.code, year) if rate is not None else None
        cells.append(Cell((per.value or 0.0) * 10, per.status, f"{TOTAL}|per_capita|unit|{unit.code}|{year}")
                     if per is not None and per.usable else Cell(None, MISSING))  # fmt: skip
        cells.extend(_shares(inputs, unit.code, year, education))
        rows.append(Row(f"{unit.code} {unit.name}", cells, unit.code))
    chapter.add_table(
        Table(
            id="vedlegg-enheter",
            title=tr(lang, gettext_noop("Årsverk og utdanning per kommune og bydel, {year}"), year=year),
            columns=columns,
            rows=rows,
            source=t["source"],
            stub=t["unit"],
            notes=[
                tr(lang, gettext_noop("Utdanning: andel av årsverkene for voksne og barn og unge samlet.")),
                tr(lang, gettext_noop("Per 10 000: årsverk i alt per 10 000 innbyggere.")),
            ],
            variable=TOTAL,
            level=UNIT,
            measure=SUM,
            years=str(year),
        )  # fmt: skip
    )
    return chapter


def _shares(inputs: ReportInputs, code: str, year: int, education: dict[str, list[VariableInfo]]) -> list[Cell]:
    parts: list[float | None] = []
    for members in education.values():
        values = [inputs.get(m.code, SUM, UNIT) for m in members]
        figs = [s.get(code, year) for s in values if s is not None]
        usable = [f.value or 0.0 for f in figs if f.usable]
        parts.append(sum(usable) if usable else None)
    total = sum(p for p in parts if p is not None)
    if not total:
        return [Cell(None, MISSING) for _ in parts]
    return [Cell(p / total * 100, OK) if p is not None else Cell(None, MISSING) for p in parts]


def profiles_chapter(inputs: ReportInputs, lang: str) -> Chapter:
    t = labels(lang)
    year = inputs.year
    chapter = Chapter("profiler", t["profiles"], kind="profiles")
    measures = [(ADULTS, t["adults_rate"]), (CHILDREN, t["children_rate"]), (TOTAL, t["total_rate"])]
    series = {(code, level): inputs.get(code, PER_CAPITA, level) for code, _ in measures
              for level in (UNIT, COUNTY, SIZE_GROUP, NATION)}  # fmt: skip
    if series[(TOTAL, UNIT)] is None:
        return chapter
    totals = inputs.get(TOTAL, SUM, UNIT)
    per_1000 = tr(lang, gettext_noop("årsverk per 1 000 innbyggere"))
    for unit in inputs.units:
        places = [(UNIT, unit.code, unit.name), (COUNTY, unit.county, unit.county_name or t["county"]),
                  (SIZE_GROUP, unit.size_group, f"{t['size_group']} {unit.size_group}"),
                  (NATION, NATION_CODE, t["nation"])]  # fmt: skip
        rows = []
        for code, label in measures:
            rows.append(Row(label, [series_cell(series[(code, level)], region, year) for level, region, _ in places],
                            code))  # fmt: skip
        if totals is not None:
            rows.append(Row(f"{t['total']} ({t['arsverk']})", [series_cell(totals, unit.code, year)] +
                            [Cell(None, MISSING)] * 3, TOTAL))  # fmt: skip
        rate = series[(TOTAL, UNIT)]
        peers = [(name_in_sentence(level, lang), s.get(region, year))
                 for level, region, _ in places[1:] if (s := series[(TOTAL, level)]) is not None]  # fmt: skip
        sentence = narrative.against_peers(
            unit.name, per_1000, rate.get(unit.code, year) if rate else narrative.Fig(None), peers, 1, lang,
        )  # fmt: skip
        chapter.add_paragraph(paragraph(f"profiler.{unit.code}", sentence, "against_peers"))
        chapter.add_table(
            Table(
                id=f"profil-{unit.code}",
                title=f"{unit.name} ({unit.code}), {year}",
                columns=[Column(label, NUMBER, 1) for _, _, label in places],
                rows=rows,
                source=t["source"],
                stub="",
                variable=TOTAL,
                level=UNIT,
                measure=PER_CAPITA,
                years=str(year),
            )  # fmt: skip
        )
    return chapter


def name_in_sentence(level: str, lang: str = "nb") -> str:
    names = {COUNTY: gettext_noop("fylket"), SIZE_GROUP: gettext_noop("kommunegruppen"), NATION: gettext_noop("landet")}
    return tr(lang, names[level]) if level in names else level
