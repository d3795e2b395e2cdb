"""The årsverk grids many variables at a time. Pure (no ORM); compute.py uses it for a full computation.

Every cell and total of an årsverk grid has the same units with a figure in a year: the units that answered the
grid (a blank cell of an answered grid is 0). So every variable whose grid is the same in every year has the same
non-response, and imputation carries the same units from the same years for all of them. Such a group is imputed
once, with each unit's figures as one row (a numpy array over the group's variables) going through the same
imputation.impute, harmonised once per year and structure, and grouped as one matrix (batched.aggregate_matrix).

The arithmetic is the one the one-variable path does, element by element: a figure times a weight is the same
product, and the parts of a merged unit add up as math.fsum does (for two parts that is their sum, correctly
rounded, which is what IEEE addition gives; three or more go through math.fsum element by element). So the figures
are identical (tests/test_analytics_golden.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kartlegg.analytics.batched import Inputs, aggregate_matrix
from kartlegg.analytics.catalogue import HEADLINE, Variable
from kartlegg.analytics.exact import segment_sums
from kartlegg.analytics.grouping import Block, blocks_of
from kartlegg.analytics.imputation import impute
from kartlegg.analytics.models import AS_REPORTED

MATRIX_CELLS = 2_000_000  # figures per matrix at the most (grid_blocks)


def combine_rows(parts: list[Any]) -> Any:
    """math.fsum of the parts, element by element."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0] + parts[1]
    return np.array([math.fsum(column) for column in zip(*(np.asarray(p).tolist() for p in parts), strict=True)])


def grid_groups(ctx: Any, variables: Iterable[Variable]) -> list[list[Variable]]:
    """The grid variables (cells and totals, not the headline) by the grid they belong to in every year."""
    groups: dict[tuple[tuple[int, str], ...], list[Variable]] = {}
    for variable in variables:
        if not variable.tag or not variable.additive or variable.kind == HEADLINE:
            continue
        key = tuple((y, variable.codes[y].split(".")[0]) for y in ctx.years if y in variable.codes)
        if key:
            groups.setdefault(key, []).append(variable)
    return list(groups.values())


@dataclass
class GridSeries:
    """A group's figures per unit and year after imputation, in each year's own codes: a row per unit (None: no
    figure), and the year each imputed unit's figures come from."""

    variables: list[Variable]
    years: list[int]
    values: dict[int, dict[str, Any]]
    sources: dict[int, dict[str, int]]


def _raw(ctx: Any, variables: Sequence[Variable], year: int) -> dict[str, Any]:
    """The rows of the units that answered the grid in `year` (as compute.raw_values gives each variable)."""
    data = ctx.data[year]
    first = variables[0]
    key = "grid:" + first.codes[year].split(".")[0]
    answered = ctx.answered(year, ctx.catalogue.grid_of(first, year), key)
    expected = ctx.codes_of(year)
    units = [u for u in answered if u in expected]
    cells: dict[str, Any] = {}
    zeros = [0.0] * len(units)  # the default of each lookup

    def cell(code: str) -> Any:
        if code not in cells:
            column = data.values.get(code, {})
            cells[code] = np.array(list(map(column.get, units, zeros)), dtype=float)
        return cells[code]

    matrix = np.empty((len(units), len(variables)))
    totals: list[tuple[int, list[str]]] = []
    for k, variable in enumerate(variables):
        if variable.derived:
            totals.append((k, ctx.catalogue.cells_of(variable, year)))
        else:
            matrix[:, k] = cell(variable.codes[year])
    if totals:
        # Each total of its cells per unit, a blank cell 0: the correctly rounded sum, as math.fsum gives it. All
        # the totals at once: their cells one after the other, a segment each.
        stacked = [cell(c) for _, found in totals for c in found] or [np.zeros(len(units))]
        sizes = [len(found) for _, found in totals]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.intp)
        sums = segment_sums(np.vstack(stacked), starts[np.array(sizes) > 0]) if any(sizes) else None
        position = 0
        for (k, _), size in zip(totals, sizes, strict=True):
            if size and sums is not None:
                matrix[:, k] = sums[position]
                position += 1
            else:
                matrix[:, k] = 0.0
    return dict(zip(units, matrix, strict=True))


def grid_series(ctx: Any, variables: list[Variable]) -> GridSeries:
    years = [y for y in ctx.years if y in variables[0].codes]
    raw = {y: _raw(ctx, variables, y) for y in years}
    if len(years) < 2:
        return GridSeries(variables, years, dict(raw), {})  # a single year has nothing earlier to carry forward
    expected = {y: [u.code for u in ctx.geography.units[y]] for y in years}
    forward = ctx.geography.forward_mappings(years)
    result = impute(raw, expected, ctx.rule, forward, checked=True, combine=combine_rows)
    return GridSeries(variables, years, result.values, result.sources)


def _rows_at(position: Mapping[str, int], found: Mapping[str, Any]) -> tuple[list[int], list[Any]]:
    """The frame positions of the codes that have a row, and the rows."""
    where, rows = [], []
    for code, row in found.items():
        p = position.get(code)
        if p is not None and row is not None:
            where.append(p)
            rows.append(row)
    return where, rows


def _inputs(
    frame: Any, values: Mapping[str, Any], imputed: Mapping[str, Any], estimated: Iterable[str], chosen: list[int]
) -> tuple[Any, Any, Any, Any]:
    """The matrices batched.aggregate_matrix takes, for the chosen variables of the group (columns of the rows)."""
    position, size, width = frame.position, len(frame.codes), len(chosen)
    matrix = np.full((size, width), np.nan)
    where, rows = _rows_at(position, values)
    if where:
        matrix[where] = np.array(rows)[:, chosen]
    flagged = np.zeros((size, width), bool)
    amounts = np.zeros((size, width))
    for p, amount in zip(*_rows_at(position, imputed), strict=True):
        flagged[p] = True
        amounts[p] = amount[chosen] if isinstance(amount, np.ndarray) else amount
    marked = np.zeros((size, width), bool)
    marked[[position[c] for c in estimated if c in position]] = True
    return matrix, flagged, amounts, marked


def grid_blocks(
    ctx: Any,
    series: GridSeries,
    structures: Sequence[int],
    years: Iterable[int],
    levels_for: Callable[[Variable, int], Sequence[str]],
) -> Iterator[Block]:
    """The blocks of every variable of the group, for each structure (with the levels `levels_for` gives each
    variable there) and each of `years`."""
    wanted = set(years)
    for structure in structures:
        by_levels: dict[tuple[str, ...], list[int]] = {}
        for k, variable in enumerate(series.variables):
            levels = tuple(lvl for lvl in levels_for(variable, structure) if lvl in ctx.levels)
            if levels:
                by_levels.setdefault(levels, []).append(k)
        for year in series.years:
            if year not in wanted or not by_levels:
                continue
            values = series.values[year]
            imputed = {
                c: (0.0 if values[c] is None else values[c]) for c in series.sources.get(year, {}) if c in values
            }
            estimated: Iterable[str] = ()
            if structure in (AS_REPORTED, year):
                frame = ctx.frame(year, AS_REPORTED, "own")
            else:
                plan = ctx.plan(year, structure)
                values, imputed = plan.apply(values, imputed, combine_rows)
                estimated = plan.estimated
                frame = ctx.frame(year, structure, "harmonised")
            for levels, every in by_levels.items():
                # At most MATRIX_CELLS figures per matrix (the layout repeats each unit once per level): a 100×
                # mapping's grid would otherwise hold a few hundred MB at once.
                rows = max(1, len(frame.layout(levels).order))
                step = max(1, MATRIX_CELLS // rows)
                for start in range(0, len(every), step):
                    chosen = every[start : start + step]
                    yield from _grouped(frame, levels, series, year, structure, (values, imputed, estimated), chosen)


def _grouped(
    frame: Any,
    levels: Sequence[str],
    series: GridSeries,
    year: int,
    structure: int,
    found: tuple[Mapping[str, Any], Mapping[str, Any], Iterable[str]],
    chosen: list[int],
) -> Iterator[Block]:
    matrix, flagged, amounts, marked = _inputs(frame, *found, chosen)
    variables = [series.variables[k] for k in chosen]
    targets = [v.target if v.additive else None for v in variables]
    inputs = Inputs(matrix, flagged, amounts, marked, targets)
    for variable, columns in zip(variables, aggregate_matrix(frame, levels, inputs), strict=True):
        yield from blocks_of(columns, variable.code, year, structure, variable.codes[year])
