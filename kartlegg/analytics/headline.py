"""The headline series: årsverk for adults, for children and youth, and in total, with per-capita figures, per level
and year, after non-response imputation and (optionally) harmonisation to one structure year.

arsverk_voksne and arsverk_barn_og_unge are the sums of the årsverk grid cells tagged with that target group in each
year's questionnaire version (the tagged cells differ between versions); arsverk_totalt is their sum. The rates use
the matching age band (measures.RATES): adults per 10 000 aged 18+, children per 10 000 aged 0–17, the total per
1 000 inhabitants, each over the population of the units that have a figure.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_noop

from kartlegg.analytics.cube import GEO, METRIC, TIME, Cube, Dimension, MetricUnit
from kartlegg.analytics.imputation import CARRY_FORWARD, Imputed, impute, merge
from kartlegg.analytics.levels import (
    LEVEL_LABELS,
    UnitRecord,
    aggregate,
    check_level,
    group_labels,
    grouping,
    region_code,
)
from kartlegg.analytics.measures import (
    ESTIMATED,
    IMPUTED,
    MISSING,
    OK,
    RATES,
    AnalyticsError,
    Value,
    YearChange,
    change,
    numbers,
    rate,
)
from kartlegg.analytics.series import harmonise_population, harmonise_year, restate_units
from kartlegg.geography.logic import Harmonised

TAG_ADULTS, TAG_CHILDREN = "arsverk_voksne", "arsverk_barn_og_unge"
ADULTS, CHILDREN, TOTAL = "arsverk_voksne", "arsverk_barn_og_unge", "arsverk_totalt"
ADULTS_RATE, CHILDREN_RATE, TOTAL_RATE = (
    "arsverk_voksne_per_10000",
    "arsverk_barn_og_unge_per_10000",
    "arsverk_totalt_per_1000",
)
DEFAULT_SOURCE = "Kartlegging av kommunalt psykisk helse- og rusarbeid. Folketall: SSB, tabell 07459"


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    unit: str
    decimals: int
    base: str  # the sum the measure is built on (itself for a sum)
    target: str | None = None  # measures.RATES key for a per-capita figure


# A rate's unit says what it is counted against, e.g. "årsverk per 1 000 innbyggere".
_RATE_UNIT = {target: f"årsverk {spec.label}" for target, spec in RATES.items()}
MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(ADULTS, gettext_noop("Årsverk for voksne"), "årsverk", 1, ADULTS),
        Measure(CHILDREN, gettext_noop("Årsverk for barn og unge"), "årsverk", 1, CHILDREN),
        Measure(TOTAL, gettext_noop("Årsverk i alt"), "årsverk", 1, TOTAL),
        Measure(
            ADULTS_RATE,
            gettext_noop("Årsverk for voksne per 10 000 innbyggere 18 år og over"),
            _RATE_UNIT["voksne"],
            1,
            ADULTS,
            "voksne",
        ),
        Measure(
            CHILDREN_RATE,
            gettext_noop("Årsverk for barn og unge per 10 000 innbyggere 0–17 år"),
            _RATE_UNIT["barn_og_unge"],
            1,
            CHILDREN,
            "barn_og_unge",
        ),
        Measure(
            TOTAL_RATE, gettext_noop("Årsverk i alt per 1 000 innbyggere"), _RATE_UNIT["totalt"], 1, TOTAL, "totalt"
        ),
    )
}
HEADLINE = tuple(MEASURES)


def measure(code: str) -> Measure:
    if code not in MEASURES:
        raise AnalyticsError(f"Ukjent mål {code!r}; gyldige er {', '.join(MEASURES)}.")
    return MEASURES[code]


def tag_cells(defn: Any) -> dict[str, list[str]]:
    """{tag: value codes} for a questionnaire Definition: every cell of a tagged grid, or a tagged number itself."""
    result: dict[str, list[str]] = {}
    for question in defn.all_questions():
        codes = question.cell_codes() if question.is_grid else [question.code]
        for tag in question.tags:
            result.setdefault(tag, []).extend(codes)
    return result


def unit_sums(
    cells: Mapping[str, Mapping[str, Any]], tag_cells: Mapping[str, Collection[str]]
) -> dict[str, dict[str, float | None]]:
    """{ADULTS|CHILDREN: {unit: sum of its tagged cells}}; None for a unit that left every tagged cell blank."""
    for tag in (TAG_ADULTS, TAG_CHILDREN):
        if not tag_cells.get(tag):
            raise AnalyticsError(f"Ingen årsverkceller er merket {tag!r} i skjemaversjonen.")
    result: dict[str, dict[str, float | None]] = {ADULTS: {}, CHILDREN: {}}
    plan = ((ADULTS, list(tag_cells[TAG_ADULTS])), (CHILDREN, list(tag_cells[TAG_CHILDREN])))
    for unit, row in cells.items():
        for code, tagged in plan:
            reported = numbers([row.get(cell) for cell in tagged], f"årsverk for {unit}")
            result[code][unit] = math.fsum(reported) if reported else None
    return result


@dataclass
class HeadlineResult:
    level: str
    years: list[int]
    structure_year: int | None
    rule: str
    groups: dict[str, str]  # group code → label
    cells: dict[tuple[str, str, int], Value]  # (group, measure, year)
    imputation: Imputed
    estimated_units: dict[int, list[str]] = field(default_factory=dict)
    breaks: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def value(self, group: str, code: str, year: int) -> Value:
        measure(code)
        return self.cells.get((group, code, year), Value(None, MISSING))

    def change(self, group: str, code: str, year: int) -> YearChange:
        """Change from the survey year before `year` (None across a series break: not comparable)."""
        earlier = [y for y in self.years if y < year]
        if not earlier or year in self.breaks:
            return YearChange(None, None)
        return change(self.value(group, code, year).value, self.value(group, code, earlier[-1]).value)

    def to_cube(self, codes: Sequence[str] = HEADLINE, **meta: Any) -> Cube:
        """Region × measure × year, the layout of SSB's tables (Region, ContentsCode, Tid)."""
        chosen = [measure(code) for code in codes]
        regions = [(region_code(self.level, g), label) for g, label in self.groups.items()]
        dims = [
            Dimension("Region", "region", regions, role=GEO),
            Dimension(
                "ContentsCode",
                "statistikkvariabel",
                [(m.code, m.label) for m in chosen],
                role=METRIC,
                units={m.code: MetricUnit(m.unit, m.decimals) for m in chosen},
            ),
            Dimension("Tid", "år", [(str(y), str(y)) for y in self.years], role=TIME),
        ]
        cells: dict[tuple[str, ...], Value | float | int | None] = {
            (region_code(self.level, g), code, str(year)): value
            for (g, code, year), value in self.cells.items()
            if code in codes
        }
        meta.setdefault("id", f"arsverk_{self.level}")
        meta.setdefault("label", f"Årsverk i psykisk helse- og rusarbeid ({LEVEL_LABELS[self.level].lower()})")
        meta.setdefault("source", DEFAULT_SOURCE)
        meta["notes"] = [*self.notes, *meta.get("notes", [])]
        return Cube.from_cells(dimensions=dims, cells=cells, **meta)


def headline_series(
    cells_by_year: Mapping[int, Mapping[str, Mapping[str, Any]]],
    tag_cells_by_year: Mapping[int, Mapping[str, Collection[str]]],
    units_by_year: Mapping[int, Sequence[UnitRecord]],
    level: str,
    rule: str = CARRY_FORWARD,
    structure_year: int | None = None,
    mappings_by_year: Mapping[int, Mapping[str, Harmonised]] | None = None,
    forward_mappings: Mapping[int, Mapping[str, Harmonised]] | None = None,
    breaks: Sequence[int] = (),
    county_names: Mapping[str, str] | None = None,
    max_gap: int | None = None,
) -> HeadlineResult:
    """The headline figures per group of `level` and year.

    cells_by_year: {year: {unit: {cell code: årsverk}}}; tag_cells_by_year: {year: {tag: [cell codes]}};
    units_by_year: {year: the units that should report}. With structure_year, each year is harmonised to it with
    mappings_by_year[year] ({code: Harmonised}) and the groups are the structure year's; without, each year keeps
    its own units and groups (old counties stay old). forward_mappings carry last figures across reforms for
    imputation (see imputation.impute). breaks: years where the series definition changed (series.tag_breaks).
    """
    check_level(level)
    years = sorted(units_by_year)
    stray = sorted(set(cells_by_year) - set(years))
    if stray:
        raise AnalyticsError(f"Svar for år uten enhetsliste: {', '.join(map(str, stray))}.")
    if structure_year is not None and structure_year not in units_by_year:
        raise AnalyticsError(f"Strukturåret {structure_year} har ingen enhetsliste.")
    sums: dict[int, dict[str, dict[str, float | None]]] = {}
    for year in years:
        if year not in tag_cells_by_year:
            raise AnalyticsError(f"Mangler årsverkceller (tagger) for skjemaversjonen {year}.")
        sums[year] = unit_sums(cells_by_year.get(year, {}), tag_cells_by_year[year])
    expected = {year: [u.code for u in units_by_year[year]] for year in years}
    by_measure = {
        code: impute({y: sums[y][code] for y in years}, expected, rule, forward_mappings, max_gap)
        for code in (ADULTS, CHILDREN)
    }
    imputation = merge(list(by_measure.values()))
    labels: dict[str, str] = {}
    cells: dict[tuple[str, str, int], Value] = {}
    estimated_units: dict[int, list[str]] = {}
    for year in years:
        adults, children = by_measure[ADULTS].values[year], by_measure[CHILDREN].values[year]
        both: dict[str, float | None] = {}
        for unit, adult in adults.items():
            child = children.get(unit)
            # A total needs both parts: a blank part is missing, not 0.
            both[unit] = None if adult is None or child is None else adult + child
        unit_values = {ADULTS: adults, CHILDREN: children, TOTAL: both}
        imputed: set[str] = set(imputation.sources.get(year, {}))
        estimated: set[str] = set()
        units = list(units_by_year[year])
        if structure_year is not None:
            mapping = None if year == structure_year else (mappings_by_year or {}).get(year)
            if year != structure_year and mapping is None:
                raise AnalyticsError(f"Mangler harmoniseringsnøkkel fra {year} til {structure_year}.")
            harmonised = {code: harmonise_year(values, mapping) for code, values in unit_values.items()}
            unit_values = {code: h.values for code, h in harmonised.items()}
            estimated = set(harmonised[ADULTS].estimated)
            imputed = harmonised[ADULTS].flagged(imputed)
            units = restate_units(units_by_year[structure_year], harmonise_population(units, mapping))
        estimated_units[year] = sorted(estimated)
        grouped = grouping(units, level)
        if structure_year is None:
            # Groups of every year are shown (old counties too); the newest year's name wins.
            labels = {**labels, **group_labels(grouped.units.values(), level, county_names)}
        for base, values in unit_values.items():
            sums_here = aggregate(values, grouped)
            derived = [m for m in MEASURES.values() if m.base == base]
            for group, total in sums_here.items():
                reported = [u for u in grouped.members[group] if values.get(u) is not None]
                status = OK
                if not imputed.isdisjoint(reported):
                    status = IMPUTED
                elif not estimated.isdisjoint(reported):
                    status = ESTIMATED
                for m in derived:
                    value = total.value if m.target is None else rate(total.value, total.population, m.target)
                    cells[(group, m.code, year)] = Value.of(value, status, total.n_reported)
    if structure_year is not None:
        labels = group_labels(units_by_year[structure_year], level, county_names)
    notes = [imputation.note(y) for y in years if imputation.note(y)]
    if structure_year is not None:
        notes.append(f"Tallene er harmonisert til kommuneinndelingen i {structure_year}.")
    if breaks:
        shown = ", ".join(map(str, sorted(breaks)))
        notes.append(f"Brudd i tidsserien ({shown}): skjemaets inndeling av årsverk er endret.")
    return HeadlineResult(
        level=level,
        years=years,
        structure_year=structure_year,
        rule=rule,
        groups=dict(sorted(labels.items())),
        cells=cells,
        imputation=imputation,
        estimated_units=estimated_units,
        breaks=sorted(breaks),
        notes=notes,
    )
