"""Aggregates from plain data: every variable, level, region and year, as reported and harmonised to one structure
year. Pure (no ORM): the inputs are the catalogue, each year's values (services.extract.YearValues) and the
geography, so the whole computation can be checked on hand-made data.

The headline series are the sums of the tagged cells per unit, imputed (adults and children separately, as
headline.headline_series does) and then grouped like every other variable. Variables go through the same core
functions one by one: imputation.impute for årsverk cells and grid totals (a unit
that left the whole grid blank did not report; a blank cell of a grid that was answered is 0), series.harmonise_year
for additive figures, and a grouping of the units per level that is built once per year and reused for every
variable, because the same few hundred units are grouped some 200 times a year (grouping.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kartlegg.analytics import headline
from kartlegg.analytics.batched import Job, aggregate_many
from kartlegg.analytics.catalogue import HEADLINE, HEADLINE_TARGET, Catalogue, Variable
from kartlegg.analytics.exact import row_sums
from kartlegg.analytics.focus import Focus, close, code_components
from kartlegg.analytics.gridseries import grid_blocks, grid_groups, grid_series
from kartlegg.analytics.grouping import (
    ALL_LEVELS,
    GROUP_LEVELS,
    Block,
    Frame,
    HarmonisePlan,
    blocks_of,
    make_frame,
    regrouped_units,
)
from kartlegg.analytics.imputation import impute
from kartlegg.analytics.models import AS_REPORTED
from kartlegg.analytics.series import harmonise_population, restate_units

_SUM_CODES = {headline.ADULTS: "A", headline.CHILDREN: "C"}
_HEADLINE_CODES = frozenset(HEADLINE_TARGET)


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
    _components: dict[tuple[int, ...], Mapping[str, frozenset[str]]] = field(default_factory=dict)
    # Each year's headline inputs (headline_inputs), and the units whose values kept.py has changed since.
    _headline: dict[int, dict[str, dict[str, float]]] = field(default_factory=dict)
    _headline_stale: dict[int, set[str]] = field(default_factory=dict)

    def focus_of(self, units: Iterable[str]) -> Focus:
        """Focus.of for these units, with the reform links of the context's years worked out once."""
        years = tuple(self.years)
        if years not in self._components:
            self._components[years] = code_components(self.geography.forward_mappings(list(years)))
        components = self._components[years]
        return Focus(close(units, components), components)

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
    focus = ctx.focus_of(codes)
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


# Jobs grouped together: at most this many per frame and levels, and at most this many unit figures in all.
BATCH_JOBS = 64
BATCH_CELLS = 400_000


@dataclass
class Batch:
    """Variable-years waiting to be grouped, by frame and levels: batched.aggregate_many groups many at once."""

    pending: dict[tuple[int, tuple[str, ...], Any], tuple[Frame, list[tuple[Job, str, int, int, str]]]] = field(
        default_factory=dict
    )

    def add(
        self, frame: Frame, levels: Sequence[str], job: Job, name: str, year: int, structure: int, code: str
    ) -> Iterator[Block]:
        only = () if job.only is None else tuple(sorted((lvl, tuple(sorted(g))) for lvl, g in job.only.items()))
        key = (id(frame), tuple(levels), only)
        entry = self.pending.setdefault(key, (frame, []))
        entry[1].append((job, name, year, structure, code))
        if len(entry[1]) >= min(BATCH_JOBS, max(1, BATCH_CELLS // max(1, len(frame.codes)))):
            del self.pending[key]
            yield from _grouped(frame, key[1], entry[1])

    def flush(self) -> Iterator[Block]:
        pending, self.pending = self.pending, {}
        for (_, levels, _), (frame, items) in pending.items():
            yield from _grouped(frame, levels, items)


def _grouped(frame: Frame, levels: Sequence[str], items: list[tuple[Job, str, int, int, str]]) -> Iterator[Block]:
    found = aggregate_many(frame, levels, [item[0] for item in items])
    for (_, name, year, structure, code), columns in zip(items, found, strict=True):
        yield from blocks_of(columns, name, year, structure, code)


def variable_rows(
    ctx: Context,
    variable: Variable,
    levels_by_structure: Mapping[int, Sequence[str]],
    years: Iterable[int],
    batch: Batch,
) -> Iterator[Block]:
    """The blocks of one variable for each structure (with its levels) and each of `years` (some of them may wait in
    `batch` until it is flushed)."""
    series = unit_series(ctx, variable)
    target = variable.target if variable.additive else None
    codes = {year: variable.codes[year] for year in series.values}
    yield from _rows(ctx, variable.code, series, levels_by_structure, years, target, variable.additive, codes, batch)


def _rows(
    ctx: Context,
    name: str,
    series: UnitSeries,
    levels_by_structure: Mapping[int, Sequence[str]],
    years: Iterable[int],
    target: str | None,
    additive: bool,
    source_codes: Mapping[int, str],
    batch: Batch,
) -> Iterator[Block]:
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
            job = Job(values, imputed, estimated, target, only)
            yield from batch.add(frame, levels, job, name, year, structure, code)


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
    sums two numbers per unit instead of a hundred cells, for every level (of the units in `only`, when given).
    A year summed before is taken from the context (a unit's sums do not depend on the other units), after summing
    again the units whose values changed since (kept.py)."""
    cells_by_year: dict[int, dict[str, dict[str, float]]] = {}
    for year in years:
        if year in ctx._headline:
            stale = ctx._headline_stale.pop(year, None)
            if stale:
                kept = {u: sums for u, sums in ctx._headline[year].items() if u not in stale}
                ctx._headline[year] = {**kept, **_headline_sums(ctx, year, stale)}
            summed = ctx._headline[year]
            cells_by_year[year] = summed if only is None else {u: summed[u] for u in only if u in summed}
            continue
        cells_by_year[year] = _headline_sums(ctx, year, only)
        if only is None:
            ctx._headline[year] = cells_by_year[year]
    return cells_by_year


def _headline_sums(ctx: Context, year: int, only: Collection[str] | None) -> dict[str, dict[str, float]]:
    tags = ctx.catalogue.tag_cells.get(year, {})
    expected = ctx.codes_of(year) if only is None else ctx.codes_of(year) & set(only)
    per_unit: dict[str, dict[str, float]] = {}
    for key, tag in ((_SUM_CODES[headline.ADULTS], headline.TAG_ADULTS), ("C", headline.TAG_CHILDREN)):
        columns = [ctx.data[year].values.get(cell, {}) for cell in tags.get(tag, ())]
        if only is None:
            units = sorted({u for column in columns for u in column if u in expected})
        else:  # a few units: look them up rather than go through every column
            units = sorted(u for u in expected if any(u in column for column in columns))
        if not units:
            continue
        # Each unit's tagged cells added up (a blank cell 0), correctly rounded as math.fsum does it.
        matrix = np.array([[column.get(u, 0.0) for column in columns] for u in units], dtype=float)
        for unit, total in zip(units, row_sums(matrix).tolist(), strict=True):
            per_unit.setdefault(unit, {})[key] = total
    return per_unit


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
    ctx: Context, levels_by_structure: Mapping[int, Sequence[str]], years: Iterable[int], batch: Batch
) -> Iterator[Block]:
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
        yield from _rows(ctx, base, series, levels_by_structure, wanted, target, True, codes, batch)


def compute_rows(
    ctx: Context,
    variables: Sequence[Variable],
    structures: Sequence[int],
    years: Iterable[int],
    levels_for: Callable[[Variable, int], Sequence[str]] | None = None,
    progress: Callable[[Variable], None] | None = None,
) -> Iterator[Block]:
    """The blocks of these variables. `levels_for(variable, structure)` picks the levels (none: skip that structure);
    by default every level for the headline and the group levels for the rest. `progress(variable)` is called
    after each variable."""
    wanted = list(years)

    def default(variable: Variable, structure: int) -> Sequence[str]:
        return ALL_LEVELS if variable.kind == HEADLINE else GROUP_LEVELS

    pick = levels_for or default
    chosen = {v.code for v in variables}
    # One headline computation gives all three series; only the chosen ones are kept.
    skip = _HEADLINE_CODES - chosen
    return (b for b in _compute(ctx, variables, structures, wanted, pick, progress) if b.variable not in skip)


def _compute(
    ctx: Context,
    variables: Sequence[Variable],
    structures: Sequence[int],
    wanted: list[int],
    pick: Callable[[Variable, int], Sequence[str]],
    progress: Callable[[Variable], None] | None,
) -> Iterator[Block]:
    headline_done = False
    batch = Batch()
    done: set[str] = set()
    if ctx.focus is None:
        # The årsverk grids many variables at a time (gridseries.py); an incremental recompute goes one by one.
        for group in grid_groups(ctx, variables):
            yield from grid_blocks(ctx, grid_series(ctx, group), structures, wanted, pick)
            for variable in group:
                done.add(variable.code)
                if progress is not None:
                    progress(variable)
    for variable in variables:
        if variable.code in done:
            continue
        levels = {s: [lvl for lvl in pick(variable, s) if lvl in ctx.levels] for s in structures}
        if variable.kind != HEADLINE:
            yield from variable_rows(ctx, variable, levels, wanted, batch)
        elif not headline_done:
            # With the first headline variable's levels.
            yield from headline_rows(ctx, levels, wanted, batch)
            headline_done = True
        if progress is not None:
            progress(variable)
    yield from batch.flush()
