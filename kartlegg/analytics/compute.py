"""Aggregates from plain data: every variable, level, region and year, as reported and harmonised to one structure
year. Pure (no ORM): the inputs are the catalogue, each year's values (services.extract.YearValues) and the
geography, so the whole computation can be checked on hand-made data.

The headline series are the sums of the tagged cells per unit, imputed (adults and children separately, as
headline.headline_series does) and then grouped like every other variable. Variables go through the same core
functions one by one: imputation.impute for årsverk cells and grid totals (a unit
that left the whole grid blank did not report; a blank cell of a grid that was answered is 0), series.harmonise_year
for additive figures, and a grouping of the units per level that is built once per year and reused for every
variable, because the same few hundred units are grouped some 200 times a year.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import compress
from operator import is_not
from typing import Any, NamedTuple

from kartlegg.analytics import headline
from kartlegg.analytics.catalogue import HEADLINE, HEADLINE_TARGET, Catalogue, Variable
from kartlegg.analytics.focus import Focus
from kartlegg.analytics.imputation import impute
from kartlegg.analytics.levels import (
    COUNTY,
    DPS,
    HF,
    KOSTRA_GROUP,
    MUNICIPALITY,
    NATION,
    RHF,
    SIZE_GROUP,
    UNIT,
    UnitRecord,
    group_of,
)
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, MISSING, RATES, STATUS_SYMBOLS
from kartlegg.analytics.models import AS_REPORTED
from kartlegg.analytics.series import check_mapping, harmonise_population, restate_units
from kartlegg.geography.logic import Harmonised

# Levels precomputed for every variable; the unit and municipality levels are precomputed for the headline series
# and stored on first request for the others (they are the raw data, and as many rows as there are units).
GROUP_LEVELS = (NATION, COUNTY, RHF, HF, DPS, SIZE_GROUP, KOSTRA_GROUP)
UNIT_LEVELS = (MUNICIPALITY, UNIT)
ALL_LEVELS = GROUP_LEVELS + UNIT_LEVELS
_SUM_CODES = {headline.ADULTS: "A", headline.CHILDREN: "C"}
# Rows store the symbol of a cell's status, as published: "" ok, ".." missing, "e" estimated, "i" imputed.
_present = partial(is_not, None)
_MISSING, _ESTIMATED, _IMPUTED = STATUS_SYMBOLS[MISSING], STATUS_SYMBOLS[ESTIMATED], STATUS_SYMBOLS[IMPUTED]


class Row(NamedTuple):
    """One stored aggregate (a plain tuple: the computation makes one per stored row, hundreds of thousands)."""

    variable: str
    level: str
    region: str
    year: int
    value: float | None
    rate: float | None
    median: float | None
    status: str
    n: int
    n_units: int
    n_imputed: int
    source_code: str
    structure: int
    value_imputed: float | None = None  # the part of `value` from imputed units


# Frames: the units of one year in one structure, grouped once


@dataclass(frozen=True)
class Grouped:
    """One level of a frame: the unit positions ordered by group, where each group starts and ends in that order,
    the group codes, and each population band in the same order."""

    order: list[int]
    bounds: list[tuple[int, int]]
    names: list[str]
    bands: dict[str, list[int]]
    member: dict[str, str] = field(default_factory=dict)  # unit code → its group


@dataclass
class Frame:
    """The units of one year in one structure, grouped once per level and reused for every variable."""

    codes: list[str]
    position: dict[str, int]
    groups: dict[str, Grouped]

    def members(self, level: str) -> dict[str, list[str]]:
        grouped = self.groups[level]
        return {
            name: [self.codes[p] for p in grouped.order[a:b]]
            for name, (a, b) in zip(grouped.names, grouped.bounds, strict=True)
        }


def make_frame(units: Sequence[UnitRecord], levels: Iterable[str]) -> Frame:
    codes = [u.code for u in units]
    bands = {target: [getattr(u.population, spec.band) for u in units] for target, spec in RATES.items()}
    groups = {}
    for level in levels:
        found = [group_of(unit, level) for unit in units]
        order = sorted((p for p, g in enumerate(found) if g is not None), key=lambda p: (found[p], p))
        names: list[str] = []
        bounds: list[tuple[int, int]] = []
        for i, p in enumerate(order):
            if not names or found[p] != names[-1]:
                names.append(found[p])  # type: ignore[arg-type]
                bounds.append((i, i))
            bounds[-1] = (bounds[-1][0], i + 1)
        ordered = {target: [band[p] for p in order] for target, band in bands.items()}
        groups[level] = Grouped(order, bounds, names, ordered, {codes[p]: found[p] for p in order})  # type: ignore[misc]
    return Frame(codes, {c: i for i, c in enumerate(codes)}, groups)


@dataclass(frozen=True)
class HarmonisePlan:
    """A year's mapping onto the structure year, checked once and laid out per new code, so that carrying the ~200
    variables of a year across does not re-check the same mapping 200 times. Same rule as series.harmonise_year:
    a new code is the weighted sum of its old codes, missing when any of them is, estimated when any is a split."""

    single: list[tuple[str, str, float]]  # new code ← one old code × weight (renumbering, or a part of a split)
    merged: list[tuple[str, list[tuple[str, float]]]]  # new code ← several old codes
    estimated: frozenset[str]
    sources: dict[str, list[str]]

    @classmethod
    def of(cls, mapping: Mapping[str, Harmonised]) -> HarmonisePlan:
        check_mapping(mapping)
        parts: dict[str, list[tuple[str, float]]] = {}
        estimated: set[str] = set()
        for code, result in mapping.items():
            for new, weight in result.parts:
                parts.setdefault(new, []).append((code, weight))
                if result.estimated:
                    estimated.add(new)
        single = [(new, p[0][0], p[0][1]) for new, p in sorted(parts.items()) if len(p) == 1]
        merged = [(new, p) for new, p in sorted(parts.items()) if len(p) > 1]
        sources = {new: sorted(c for c, _ in p) for new, p in parts.items()}
        return cls(single, merged, frozenset(estimated), sources)

    def apply(
        self, values: Mapping[str, float | None], imputed: Mapping[str, float] | Collection[str]
    ) -> tuple[dict[str, float | None], dict[str, float]]:
        """(values on the new codes, {new code built from an imputed old code: the imputed part of its value}).
        `imputed` gives each imputed old code's imputed amount (a plain collection: all of its value)."""
        out: dict[str, float | None] = {}
        for new, old, weight in self.single:
            value = values.get(old)
            out[new] = None if value is None else value * weight
        for new, parts in self.merged:
            found = [values.get(code) for code, _ in parts]
            if None in found:
                out[new] = None
            else:
                out[new] = math.fsum([v * w for v, (_, w) in zip(found, parts, strict=True)])  # type: ignore[operator]
        flagged: dict[str, float] = {}
        if imputed:
            amounts = imputed if isinstance(imputed, Mapping) else {c: values.get(c) or 0.0 for c in imputed}
            weights = {new: dict(parts) for new, parts in self.merged}
            for new, old, weight in self.single:
                if old in amounts:
                    flagged[new] = amounts[old] * weight
            for new, sources in self.sources.items():
                if new in weights and amounts.keys() & set(sources):
                    flagged[new] = math.fsum(amounts[c] * weights[new][c] for c in sources if c in amounts)
        return out, flagged


def regrouped_units(
    units: Sequence[UnitRecord], mapping: Mapping[str, Any], target: Mapping[str, UnitRecord]
) -> list[UnitRecord]:
    """A year's own units placed in the regions of their main successor in the structure year (for answers that
    cannot be summed across a reform, such as yes/no: the unit keeps its answer and moves region)."""
    result = []
    for unit in units:
        parts = mapping[unit.code].parts
        successor = target.get(max(parts, key=lambda p: (p[1], p[0]))[0]) if parts else None
        if successor is None:
            result.append(unit)
            continue
        result.append(
            replace(
                unit,
                municipality_code=successor.municipality_code,
                county_code=successor.county_code,
                rhf_code=successor.rhf_code,
                rhf_name=successor.rhf_name,
                hf_code=successor.hf_code,
                hf_name=successor.hf_name,
                dps_area=successor.dps_area,
                size_group=successor.size_group,
            )
        )
    return result


@dataclass
class Context:
    """Everything one computation reads, and the frames it builds once."""

    catalogue: Catalogue
    geography: Any  # services.extract.Geography (or a stand-in with units, mapping(), forward_mappings())
    data: Mapping[int, Any]  # year → YearValues
    rule: str
    levels: tuple[str, ...] = ALL_LEVELS
    focus: Focus | None = None  # an incremental recompute: only what these codes touch (analytics.focus)
    _frames: dict[tuple[int, int, str], Frame] = field(default_factory=dict)
    _answered: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    _plans: dict[tuple[int, int], HarmonisePlan] = field(default_factory=dict)
    _codes: dict[int, set[str]] = field(default_factory=dict)

    def plan(self, year: int, structure: int) -> HarmonisePlan:
        if (year, structure) not in self._plans:
            self._plans[(year, structure)] = HarmonisePlan.of(self.geography.mapping(year, structure))
        return self._plans[(year, structure)]

    @property
    def years(self) -> list[int]:
        return sorted(y for y in self.data if y in self.geography.units)

    def frame(self, year: int, structure: int, kind: str) -> Frame:
        """kind "own": the year's units; "harmonised": the structure year's units with this year's population;
        "regrouped": the year's units in the structure year's regions."""
        if structure in (AS_REPORTED, year):
            kind, structure = "own", AS_REPORTED
        key = (year, structure, kind)
        if key not in self._frames:
            units = self.geography.units[year]
            if kind == "harmonised":
                mapping = self.geography.mapping(year, structure)
                units = restate_units(self.geography.units[structure], harmonise_population(units, mapping))
            elif kind == "regrouped":
                target = {u.code: u for u in self.geography.units[structure]}
                units = regrouped_units(units, self.geography.mapping(year, structure), target)
            self._frames[key] = make_frame(units, self.levels)
        return self._frames[key]

    def codes_of(self, year: int) -> set[str]:
        if year not in self._codes:
            self._codes[year] = {u.code for u in self.geography.units[year]}
        return self._codes[year]

    def answered(self, year: int, cells: Sequence[str], key: str) -> set[str]:
        if (year, key) not in self._answered:
            self._answered[(year, key)] = self.data[year].answered(cells)
        return self._answered[(year, key)]


def aggregate_frame(
    frame: Frame,
    values: Mapping[str, float | None],
    imputed: Mapping[str, float],
    estimated: Collection[str],
    target: str | None,
    levels: Iterable[str],
    only: Mapping[str, Collection[str]] | None = None,
) -> Iterator[tuple[str, str, float | None, float | None, float | None, str, int, int, int, float | None]]:
    """(level, region, sum, rate, median, status, n, n_units, n_imputed, imputed part of the sum) for every group
    of every level; `imputed` gives each imputed unit's imputed amount (all of its figure, or for a merged unit
    the part that came from its imputed old units).

    As levels.aggregate and headline_series do it: a group's sum is over its units with a figure (math.fsum), its
    rate over their population only (no rate without inhabitants, as measures.per_capita), its median over their
    figures. Status: imputed if any of them is imputed, else estimated if any is, missing if none has a figure
    (never 0). This is the innermost loop of every computation, so it works on whole slices of the units in group
    order with map, compress and fsum, which run in C, rather than a Python step per unit and level. `only`
    ({level: group names}) gives just those groups (an incremental recompute)."""
    vals = list(map(values.get, frame.codes))
    imp = [c in imputed for c in frame.codes] if imputed else None
    amounts = list(map(imputed.get, frame.codes)) if imputed else None
    est = [c in estimated for c in frame.codes] if estimated else None
    spec = RATES.get(target) if target else None
    for level in levels:
        grouped = frame.groups[level]
        ordered = list(map(vals.__getitem__, grouped.order))
        mask = list(map(_present, ordered))
        band = grouped.bands[target] if spec is not None and target else None
        ordered_imp = list(map(imp.__getitem__, grouped.order)) if imp is not None else None
        ordered_amt = list(map(amounts.__getitem__, grouped.order)) if amounts is not None else None
        ordered_est = list(map(est.__getitem__, grouped.order)) if est is not None else None
        chosen = None if only is None else only.get(level, ())
        for (start, end), name in zip(grouped.bounds, grouped.names, strict=True):
            if chosen is not None and name not in chosen:
                continue
            if end - start == 1:  # one unit (the unit level): its own figure, no slicing
                value = ordered[start]
                if value is None:
                    yield level, name, None, None, None, _MISSING, 0, 1, 0, None
                    continue
                people = band[start] if band is not None else 0
                rate = value / people * spec.per if band is not None and spec is not None and people else None
                flag_i = ordered_imp is not None and ordered_imp[start]
                status = _IMPUTED if flag_i else (_ESTIMATED if ordered_est is not None and ordered_est[start] else "")
                part = ordered_amt[start] if flag_i and ordered_amt is not None else None
                yield level, name, value, rate, value, status, 1, 1, int(flag_i), part
                continue
            have = mask[start:end]
            found: list[float] = list(compress(ordered[start:end], have))  # type: ignore[arg-type]
            if not found:
                yield level, name, None, None, None, _MISSING, 0, end - start, 0, None
                continue
            total = math.fsum(found)
            rate = None
            if band is not None and spec is not None:
                people = sum(compress(band[start:end], have))
                rate = total / people * spec.per if people else None
            middle = found[0] if len(found) == 1 else statistics.median(found)
            n_imp = sum(compress(ordered_imp[start:end], have)) if ordered_imp is not None else 0
            part = None
            if n_imp and ordered_amt is not None:
                part = math.fsum(a for a in ordered_amt[start:end] if a is not None)
            if n_imp:
                status = _IMPUTED
            elif ordered_est is not None and any(compress(ordered_est[start:end], have)):
                status = _ESTIMATED
            else:
                status = ""
            yield level, name, total, rate, middle, status, len(found), end - start, n_imp, part


def raw_values(
    ctx: Context, variable: Variable, year: int, only: Collection[str] | None = None
) -> dict[str, float | None]:
    """A year's figure per unit (of the units in `only`, when given). Årsverk (tagged) values: every unit that
    answered the grid has a figure (a blank cell is 0), the others None, to be imputed; other values: only the
    units that gave one."""
    data = ctx.data[year]
    code = variable.codes[year]
    expected = ctx.codes_of(year) if only is None else ctx.codes_of(year) & set(only)
    if variable.derived:
        cells = ctx.catalogue.cells_of(variable, year)
        answered = ctx.answered(year, ctx.catalogue.grid_of(variable, year), "grid:" + code.split(".")[0])
        columns = [data.values.get(c, {}) for c in cells]
        result: dict[str, float | None] = {}
        for unit in answered:
            if unit in expected:
                result[unit] = math.fsum(col[unit] for col in columns if unit in col)
        return result
    column = data.values.get(code, {})
    if variable.tag:
        answered = ctx.answered(year, ctx.catalogue.grid_of(variable, year), "grid:" + code.split(".")[0])
        return {unit: column.get(unit, 0.0) for unit in answered if unit in expected}
    return {unit: value for unit, value in column.items() if unit in expected}


@dataclass
class UnitSeries:
    """A variable's figure per unit and year after imputation, in each year's own codes."""

    values: dict[int, dict[str, float | None]]
    imputed: dict[int, dict[str, int]]  # year → unit → the year its figure was taken from
    # year → unit → the imputed part of its figure, where that is not all of it (a total with one part imputed)
    amounts: dict[int, dict[str, float]] = field(default_factory=dict)


def unit_series(ctx: Context, variable: Variable) -> UnitSeries:
    """With a focus (an incremental recompute), exact for the focus years only: every unit there, and elsewhere
    only the codes linked to the changed units and to the focus years' non-respondents (focus.py)."""
    years = [y for y in ctx.years if y in variable.codes]
    focus = ctx.focus
    if focus is None:
        raw = {y: raw_values(ctx, variable, y) for y in years}
    else:
        raw = {y: raw_values(ctx, variable, y) for y in years if y in focus.years}
    if not variable.imputed or len(years) < 2:
        return UnitSeries(raw, {})  # a single year has nothing earlier to carry forward
    expected: dict[int, Collection[str]] = {y: [u.code for u in ctx.geography.units[y]] for y in years}
    if focus is None:
        result = impute(raw, expected, ctx.rule, ctx.geography.forward_mappings(years), checked=True)
        return UnitSeries(result.values, result.sources)
    # Only the linked codes go through imputation; the focus years' other units reported, so their figure is the
    # one they gave, as imputation would return it.
    keep = focus.closure({c for y, found in raw.items() for c in expected[y] if found.get(c) is None})
    reported = {y: raw[y] for y in raw}
    for y in years:
        expected[y] = [c for c in expected[y] if c in keep]
        if y in focus.years:
            raw[y] = {c: raw[y][c] for c in expected[y] if c in raw[y]}
        else:
            raw[y] = raw_values(ctx, variable, y, keep)
    result = impute(raw, expected, ctx.rule, ctx.geography.forward_mappings(years), checked=True)
    for y, given in reported.items():
        result.values[y] = {**given, **result.values[y]}
    return UnitSeries(result.values, result.sources)


def lineage_years(ctx: Context, variables: Sequence[Variable], codes: Collection[str]) -> set[int]:
    """The years in which any of `codes` (with every code linked to them) did not report a variable: its figure
    there is carried from another year (or missing), so a change elsewhere may move it. Computed from those codes
    alone."""
    focus = Focus.of(codes, ctx.geography.forward_mappings(ctx.years))
    keep = focus.codes
    found: set[int] = set()
    imputed = [v for v in variables if v.imputed and v.kind != HEADLINE]
    series: list[tuple[dict[int, dict[str, float | None]], list[int]]] = []
    for variable in imputed:
        years = [y for y in ctx.years if y in variable.codes]
        series.append(({y: raw_values(ctx, variable, y, keep) for y in years}, years))
    if any(v.kind == HEADLINE for v in variables):
        first = ctx.catalogue.get(headline.ADULTS)
        years = [y for y in ctx.years if first is not None and y in first.codes]
        cells = headline_inputs(ctx, years, keep)
        for key in _SUM_CODES.values():
            series.append(({y: {u: sums.get(key) for u, sums in cells[y].items()} for y in years}, years))
    for raw, years in series:
        expected = {y: [c for c in ctx.codes_of(y) if c in keep] for y in years}
        for y in years:
            if any(raw[y].get(c) is None for c in expected[y]):
                found.add(y)
    return found


def variable_rows(
    ctx: Context, variable: Variable, levels_by_structure: Mapping[int, Sequence[str]], years: Iterable[int]
) -> Iterator[Row]:
    """Rows of one variable for each structure (with its levels) and each of `years`."""
    series = unit_series(ctx, variable)
    target = variable.target if variable.additive else None
    codes = {year: variable.codes[year] for year in series.values}
    yield from _rows(ctx, variable.code, series, levels_by_structure, years, target, variable.additive, codes)


def _rows(
    ctx: Context,
    name: str,
    series: UnitSeries,
    levels_by_structure: Mapping[int, Sequence[str]],
    years: Iterable[int],
    target: str | None,
    additive: bool,
    source_codes: Mapping[int, str],
) -> Iterator[Row]:
    """Group a unit series for each structure and year: as reported, harmonised (additive figures: merges add up,
    splits are shared out and estimated) or regrouped (the year's units in the structure's regions)."""
    wanted = set(years)
    for structure, levels in levels_by_structure.items():
        if not levels:
            continue
        for year, values in series.values.items():
            if year not in wanted:
                continue
            sources = series.imputed.get(year, {})
            imputed: Mapping[str, float] = series.amounts.get(year) or {
                c: values[c] or 0.0 for c in sources if c in values
            }
            estimated: Collection[str] = ()
            if structure in (AS_REPORTED, year):
                frame = ctx.frame(year, AS_REPORTED, "own")
            elif additive:
                plan = ctx.plan(year, structure)
                values, imputed = plan.apply(values, imputed)
                estimated = plan.estimated
                frame = ctx.frame(year, structure, "harmonised")
            else:
                frame = ctx.frame(year, structure, "regrouped")
            code = source_codes[year]
            only = None if ctx.focus is None else _touched(ctx, frame, year, structure, additive, levels)
            for level, region, total, rate, middle, status, n, size, n_imp, part in aggregate_frame(
                frame, values, imputed, estimated, target, levels, only
            ):
                yield Row(name, level, region, year, total, rate, middle, status, n, size, n_imp, code, structure, part)


def _touched(
    ctx: Context, frame: Frame, year: int, structure: int, additive: bool, levels: Sequence[str]
) -> dict[str, set[str]]:
    """{level: the groups of `frame` that hold a changed code of the focus} (its region chain at every level)."""
    assert ctx.focus is not None
    codes = [c for c in ctx.focus.codes if c in ctx.codes_of(year)]
    if structure not in (AS_REPORTED, year) and additive:
        sources = ctx.plan(year, structure).sources
        changed = set(codes)
        codes = [new for new, old in sources.items() if changed.intersection(old)]
    result: dict[str, set[str]] = {}
    for level in levels:
        member = frame.groups[level].member
        result[level] = {member[c] for c in codes if c in member}
    return result


def headline_inputs(
    ctx: Context, years: Sequence[int], only: Collection[str] | None = None
) -> dict[int, dict[str, dict[str, float]]]:
    """{year: {unit: {"A": adults' årsverk, "C": children's}}}: the tagged cells summed once, so headline_series
    sums two numbers per unit instead of a hundred cells, for every level (of the units in `only`, when given)."""
    cells_by_year: dict[int, dict[str, dict[str, float]]] = {}
    for year in years:
        tags = ctx.catalogue.tag_cells.get(year, {})
        expected = ctx.codes_of(year) if only is None else ctx.codes_of(year) & set(only)
        per_unit: dict[str, dict[str, list[float]]] = {}
        for key, tag in ((_SUM_CODES[headline.ADULTS], headline.TAG_ADULTS), ("C", headline.TAG_CHILDREN)):
            for cell in tags.get(tag, ()):
                for unit, value in ctx.data[year].values.get(cell, {}).items():
                    if unit in expected:
                        per_unit.setdefault(unit, {}).setdefault(key, []).append(value)
        cells_by_year[year] = {unit: {k: math.fsum(v) for k, v in sums.items()} for unit, sums in per_unit.items()}
    return cells_by_year


def headline_units(ctx: Context, years: Sequence[int]) -> dict[str, UnitSeries]:
    """The three headline series per unit and year after imputation, in each year's own codes: adults and children
    imputed separately (as headline.headline_series does), the total their sum (missing when a part is), imputed
    when either part is."""
    focus = ctx.focus
    expected: dict[int, Collection[str]] = {y: [u.code for u in ctx.geography.units[y]] for y in years}
    if focus is None or len(years) < 2:
        cells = headline_inputs(ctx, years)
    else:
        # Exact in the focus years (every unit); elsewhere only the codes linked to the changed units and to the
        # focus years' non-respondents (focus.py).
        cells = {y: headline_inputs(ctx, [y])[y] for y in years if y in focus.years}
        absent = {c for y, found in cells.items() for c in expected[y] if len(found.get(c, ())) < 2}
        keep = focus.closure(absent)
        reported = dict(cells)
        others = [y for y in years if y not in focus.years]
        cells.update(headline_inputs(ctx, others, keep))
        for y in years:
            expected[y] = [c for c in expected[y] if c in keep]
            cells[y] = {c: sums for c, sums in cells[y].items() if c in keep}
    forward = ctx.geography.forward_mappings(list(years))
    result: dict[str, UnitSeries] = {}
    for base, key in ((headline.ADULTS, "A"), (headline.CHILDREN, "C")):
        raw = {y: {unit: sums.get(key) for unit, sums in cells[y].items()} for y in years}
        if len(years) < 2:
            result[base] = UnitSeries(raw, {})
            continue
        imputed = impute(raw, expected, ctx.rule, forward, checked=True)
        if focus is not None:
            for y, given in reported.items():  # the other units of the focus years reported both parts
                imputed.values[y] = {**{u: sums.get(key) for u, sums in given.items()}, **imputed.values[y]}
        result[base] = UnitSeries(imputed.values, imputed.sources)
    adults, children = result[headline.ADULTS], result[headline.CHILDREN]
    totals: dict[int, dict[str, float | None]] = {}
    sources: dict[int, dict[str, int]] = {}
    amounts: dict[int, dict[str, float]] = {}
    for year in years:
        a, c = adults.values[year], children.values[year]
        totals[year] = {
            unit: None if value is None or c.get(unit) is None else value + c[unit]  # type: ignore[operator]
            for unit, value in a.items()
        }
        for unit in c:
            totals[year].setdefault(unit, None)
        a_src, c_src = adults.imputed.get(year, {}), children.imputed.get(year, {})
        sources[year] = {unit: min(x for x in (a_src.get(unit), c_src.get(unit)) if x) for unit in a_src | c_src}
        amounts[year] = {
            unit: (a.get(unit) or 0.0) * (unit in a_src) + (c.get(unit) or 0.0) * (unit in c_src)
            for unit in sources[year]
            if totals[year].get(unit) is not None
        }
    result[headline.TOTAL] = UnitSeries(totals, sources, amounts)
    return result


def headline_rows(
    ctx: Context, levels_by_structure: Mapping[int, Sequence[str]], years: Iterable[int]
) -> Iterator[Row]:
    """The three headline sums (and their rates) for every level, grouped like every other variable. The total's
    imputed part is the imputed parts of adults and children (a unit may report one and not the other)."""
    variable = ctx.catalogue.get(headline.ADULTS)
    if variable is None:
        return
    all_years = [y for y in ctx.years if y in variable.codes]
    wanted = set(years) & set(all_years)
    if not wanted:
        return
    units = headline_units(ctx, all_years)
    for base, target in HEADLINE_TARGET.items():
        series = units[base]
        codes = dict.fromkeys(all_years, base)
        yield from _rows(ctx, base, series, levels_by_structure, wanted, target, True, codes)


def compute_rows(
    ctx: Context,
    variables: Sequence[Variable],
    structures: Sequence[int],
    years: Iterable[int],
    levels_for: Callable[[Variable, int], Sequence[str]] | None = None,
    progress: Callable[[Variable], None] | None = None,
) -> Iterator[Row]:
    """Rows for these variables. `levels_for(variable, structure)` picks the levels (none: skip that structure);
    by default every level for the headline and the group levels for the rest. `progress(variable)` is called
    after each variable."""
    wanted = list(years)

    def default(variable: Variable, structure: int) -> Sequence[str]:
        return ALL_LEVELS if variable.kind == HEADLINE else GROUP_LEVELS

    pick = levels_for or default
    chosen = {v.code for v in variables}
    headline_done = False
    for variable in variables:
        levels = {s: [lvl for lvl in pick(variable, s) if lvl in ctx.levels] for s in structures}
        if variable.kind != HEADLINE:
            yield from variable_rows(ctx, variable, levels, wanted)
        elif not headline_done:
            # One headline computation gives all three series (with the first headline variable's levels).
            yield from (r for r in headline_rows(ctx, levels, wanted) if r.variable in chosen)
            headline_done = True
        if progress is not None:
            progress(variable)
