"""Grouping units into regions: the frames (one year's units in one structure, grouped once per level and reused
for every variable), the harmonisation of a year's figures onto a structure year, and the innermost loop that turns
one variable's figures per unit into a row per region. Pure (no ORM); compute.py drives it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

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
from kartlegg.analytics.series import check_mapping
from kartlegg.geography.logic import Harmonised

# Levels precomputed for every variable; the unit and municipality levels are precomputed for the headline series
# and stored on first request for the others (they are the raw data, and as many rows as there are units).
GROUP_LEVELS = (NATION, COUNTY, RHF, HF, DPS, SIZE_GROUP, KOSTRA_GROUP)
UNIT_LEVELS = (MUNICIPALITY, UNIT)
ALL_LEVELS = GROUP_LEVELS + UNIT_LEVELS
# Rows store the symbol of a cell's status, as published: "" ok, ".." missing, "e" estimated, "i" imputed.
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


@dataclass(frozen=True)
class Grouped:
    """One level of a frame: the unit positions ordered by group, where each group starts and ends in that order,
    the group codes, and each population band in the same order."""

    order: list[int]
    bounds: list[tuple[int, int]]
    names: list[str]
    bands: dict[str, list[int]]
    member: dict[str, str] = field(default_factory=dict)  # unit code → its group
    arrays: dict[str, Any] = field(default_factory=dict, compare=False)  # the same as numpy arrays (_arrays)


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


def _arrays(grouped: Grouped) -> dict[str, Any]:
    """A level's grouping as arrays, built once per frame and level: the unit positions in group order, where each
    group starts, its size, each ordered position's group number, and the population bands in group order."""
    found = grouped.arrays
    if not found:
        starts = np.array([a for a, _ in grouped.bounds], dtype=np.intp)
        sizes = np.array([b - a for a, b in grouped.bounds], dtype=np.intp)
        found["order"] = np.array(grouped.order, dtype=np.intp)
        found["starts"] = starts
        found["sizes"] = sizes
        found["group"] = np.repeat(np.arange(len(starts), dtype=np.intp), sizes)
        found["bands"] = {t: np.array(b, dtype=np.int64) for t, b in grouped.bands.items()}
    return found


def _segment_sums(array: Any, starts: Any) -> Any:
    """Each group's sum of an integer or boolean array in group order (exact: integers)."""
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    return np.add.reduceat(array.astype(np.int64), starts)


class Columns(NamedTuple):
    """One level's groups as columns, in group order (aggregate_columns)."""

    level: str
    regions: list[str]
    values: list[float | None]
    rates: list[float | None]
    medians: list[float | None]
    statuses: list[str]
    n: list[int]
    n_units: list[int]
    n_imputed: list[int]
    parts: list[float | None]


def aggregate_columns(
    frame: Frame,
    values: Mapping[str, float | None],
    imputed: Mapping[str, float],
    estimated: Collection[str],
    target: str | None,
    levels: Iterable[str],
    only: Mapping[str, Collection[str]] | None = None,
) -> Iterator[Columns]:
    """Every group of every level as columns: sum, rate, median, status, n, n_units, n_imputed and the imputed part
    of the sum; `imputed` gives each imputed unit's imputed amount (all of its figure, or for a merged unit the
    part that came from its imputed old units).

    As levels.aggregate and headline_series do it: a group's sum is over its units with a figure (math.fsum), its
    rate over their population only (no rate without inhabitants, as measures.per_capita), its median over their
    figures. Status: imputed if any of them is imputed, else estimated if any is, missing if none has a figure
    (never 0). This is the innermost loop of every computation, so it works on whole levels at once with numpy
    arrays (counts, population, rates, statuses, and medians from one sort per level) and calls math.fsum once per
    group on a slice, so that every sum stays correctly rounded, exactly as before (tests/test_analytics_golden.py).
    `only` ({level: group names}) gives just those groups (an incremental recompute)."""
    codes = frame.codes
    vals = np.array(list(map(values.get, codes)), dtype=float)  # None becomes NaN: no figure
    present = ~np.isnan(vals)
    imp = np.fromiter((c in imputed for c in codes), bool, len(codes)) if imputed else None
    amounts = list(map(imputed.get, codes)) if imputed else None
    est = np.fromiter((c in estimated for c in codes), bool, len(codes)) if estimated else None
    spec = RATES.get(target) if target else None
    for level in levels:
        grouped = frame.groups[level]
        if not grouped.names:
            continue
        arrays = _arrays(grouped)
        order, starts, sizes = arrays["order"], arrays["starts"], arrays["sizes"]
        have = present[order]
        ordered = np.where(have, vals[order], 0.0)
        counts = _segment_sums(have, starts)
        n_imp = _segment_sums(imp[order] & have, starts) if imp is not None else np.zeros(len(starts), np.int64)
        # Medians: the figures sorted within each group (one sort by group, then value), the middle one or the
        # mean of the middle two, as statistics.median takes them.
        kept = np.flatnonzero(have)
        sorted_values = ordered[kept[np.lexsort((ordered[kept], arrays["group"][kept]))]]
        empty = counts == 0
        medians: Any = np.full(len(starts), np.nan)
        if len(sorted_values):
            first = np.concatenate(([0], np.cumsum(counts)[:-1]))
            half = counts // 2
            high = sorted_values[np.minimum(first + half, len(sorted_values) - 1)]
            low = sorted_values[np.clip(first + half - 1, 0, len(sorted_values) - 1)]
            medians = np.where(counts % 2 == 1, high, (low + high) / 2)
        figures = ordered.tolist()
        ends = (starts + sizes).tolist()
        totals = np.array([math.fsum(figures[a:b]) for a, b in zip(starts.tolist(), ends, strict=True)])
        no_rate = empty
        rates: Any = totals
        if spec is not None and target:
            people = _segment_sums(np.where(have, arrays["bands"][target], 0), starts)
            no_rate = empty | (people == 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                rates = totals / people * spec.per
        status = np.where(empty, _MISSING, "").astype(object)
        if est is not None:
            status[(_segment_sums(est[order] & have, starts) > 0) & ~empty] = _ESTIMATED
        status[n_imp > 0] = _IMPUTED
        chosen = range(len(starts))
        if only is not None:
            wanted = only.get(level, ())
            chosen = [i for i, name in enumerate(grouped.names) if name in wanted]  # type: ignore[assignment]
        parts: list[float | None] = [None] * len(starts)
        if amounts is not None:
            ordered_amt = list(map(amounts.__getitem__, grouped.order))
            for i in np.flatnonzero(n_imp).tolist():
                parts[i] = math.fsum(a for a in ordered_amt[starts[i] : ends[i]] if a is not None)
        value_list = _with_none(totals, empty)
        columns = Columns(
            level,
            grouped.names,
            value_list,
            [None] * len(starts) if spec is None or not target else _with_none(rates, no_rate),
            _with_none(medians, empty),
            status.tolist(),
            counts.tolist(),
            sizes.tolist(),
            n_imp.tolist(),
            parts,
        )
        if only is not None:
            columns = Columns(level, *([column[i] for i in chosen] for column in columns[1:]))  # type: ignore[arg-type]
        yield columns


def _with_none(array: Any, missing: Any) -> list[float | None]:
    """The array as a list of floats, None where `missing` is set."""
    found: list[float | None] = array.tolist()
    for i in np.flatnonzero(missing).tolist():
        found[i] = None
    return found
