"""Grouping units into regions: the frames (one year's units in one structure, grouped once per level and reused
for every variable), the harmonisation of a year's figures onto a structure year, and the innermost loop that turns
one variable's figures per unit into a row per region. Pure (no ORM); compute.py drives it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
    with_fields,
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


# The lists of a stored block (models.AggregateBlock), in region order.
CELL_FIELDS = ("region", "value", "rate", "median", "status", "n", "n_units", "n_imputed", "value_imputed")


class Block(NamedTuple):
    """The figures of one variable at one level in one year and structure: `columns` maps every name of
    CELL_FIELDS to a list, one entry per region (services/store.py stores it as one row)."""

    variable: str
    level: str
    year: int
    structure: int
    source_code: str
    columns: dict[str, list[Any]]


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
    layouts: dict[tuple[str, ...], Layout] = field(default_factory=dict)  # by levels, built on first use

    def layout(self, levels: Iterable[str]) -> Layout:
        key = tuple(levels)
        if key not in self.layouts:
            self.layouts[key] = Layout.of(self, key)
        return self.layouts[key]

    def members(self, level: str) -> dict[str, list[str]]:
        grouped = self.groups[level]
        return {
            name: [self.codes[p] for p in grouped.order[a:b]]
            for name, (a, b) in zip(grouped.names, grouped.bounds, strict=True)
        }


def make_frame(units: Sequence[UnitRecord], levels: Iterable[str]) -> Frame:
    codes = [u.code for u in units]
    bands = {
        t: np.array([getattr(u.population, spec.band) for u in units], dtype=np.int64) for t, spec in RATES.items()
    }
    groups = {}
    for level in levels:
        found = [group_of(unit, level) for unit in units]
        present = np.array([p for p, g in enumerate(found) if g is not None], dtype=np.intp)
        # Groups in name order, units in their order within a group (a stable sort by group).
        names, inverse, counts = np.unique(
            np.array([found[p] for p in present.tolist()], dtype=str), return_inverse=True, return_counts=True
        )
        order = present[np.argsort(inverse, kind="stable")].tolist()
        ends = np.cumsum(counts).tolist()
        bounds = list(zip([0, *ends[:-1]], ends, strict=True)) if ends else []
        ordered = {target: band[order].tolist() for target, band in bands.items()}
        member = {codes[p]: found[p] for p in order}
        groups[level] = Grouped(order, bounds, names.tolist(), ordered, member)  # type: ignore[arg-type]
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
        self,
        values: Mapping[str, Any],
        imputed: Mapping[str, Any] | Collection[str],
        combine: Callable[[list[Any]], Any] = math.fsum,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(values on the new codes, {new code built from an imputed old code: the imputed part of its value}).
        `imputed` gives each imputed old code's imputed amount (a plain collection: all of its value). The values
        may be rows of several variables (numpy arrays, gridseries.py), with `combine` adding the parts of a
        merged unit element by element as math.fsum does."""
        out: dict[str, Any] = {}
        for new, old, weight in self.single:
            value = values.get(old)
            out[new] = None if value is None else value * weight
        for new, parts in self.merged:
            found = [values.get(code) for code, _ in parts]
            if any(v is None for v in found):
                out[new] = None
            else:
                out[new] = combine([v * w for v, (_, w) in zip(found, parts, strict=True) if v is not None])
        flagged: dict[str, Any] = {}
        if imputed:
            amounts = imputed if isinstance(imputed, Mapping) else {c: values.get(c) or 0.0 for c in imputed}
            weights = {new: dict(parts) for new, parts in self.merged}
            for new, old, weight in self.single:
                if old in amounts:
                    flagged[new] = amounts[old] * weight
            for new, sources in self.sources.items():
                if new in weights and amounts.keys() & set(sources):
                    flagged[new] = combine([amounts[c] * weights[new][c] for c in sources if c in amounts])
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
            with_fields(
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
class Layout:
    """Every group of some levels of a frame, one after the other, as arrays: the unit positions in group order,
    where each group starts, its size, each ordered position's group number, the population bands in group order,
    and each group's level and name. One computation per variable and year then covers all its levels with a few
    array operations, instead of a few per level."""

    order: Any
    starts: Any
    ends: list[int]
    sizes: Any
    group: Any
    bands: dict[str, Any]
    levels: list[str]
    names: list[str]

    @classmethod
    def of(cls, frame: Frame, levels: Sequence[str]) -> Layout:
        chosen = [frame.groups[level] for level in levels]
        order_list = [p for g in chosen for p in g.order]
        sizes = np.array([b - a for g in chosen for a, b in g.bounds], dtype=np.intp)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.intp)
        bands = {t: np.array([x for g in chosen for x in g.bands[t]], dtype=np.int64) for t in RATES}
        return cls(
            order=np.array(order_list, dtype=np.intp),
            starts=starts,
            ends=(starts + sizes).tolist(),
            sizes=sizes,
            group=np.repeat(np.arange(len(sizes), dtype=np.intp), sizes),
            bands=bands,
            levels=[level for level, g in zip(levels, chosen, strict=True) for _ in g.names],
            names=[name for g in chosen for name in g.names],
        )

    def subset(self, only: Mapping[str, Collection[str]]) -> Layout:
        """Just the groups `only` names ({level: group names}), in the same order: an incremental recompute groups
        the few groups that hold the changed units rather than every group."""
        chosen = [
            i
            for i, (level, name) in enumerate(zip(self.levels, self.names, strict=True))
            if name in only.get(level, ())
        ]
        sizes = self.sizes[chosen]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.intp)
        rows = (
            np.concatenate([np.arange(self.starts[i], self.ends[i]) for i in chosen])
            if chosen
            else np.zeros(0, np.intp)
        )
        return Layout(
            order=self.order[rows],
            starts=starts,
            ends=(starts + sizes).tolist(),
            sizes=sizes,
            group=np.repeat(np.arange(len(sizes), dtype=np.intp), sizes),
            bands={t: band[rows] for t, band in self.bands.items()},
            levels=[self.levels[i] for i in chosen],
            names=[self.names[i] for i in chosen],
        )


class Columns(NamedTuple):
    """Groups as columns, in group order (batched.aggregate_many): the figures as numpy arrays (float64 with NaN for
    "no figure", int64 counts), the names and statuses as lists."""

    levels: list[str]
    regions: list[str]
    values: Any
    rates: Any
    medians: Any
    statuses: list[str]
    n: Any
    n_units: Any
    n_imputed: Any
    parts: Any


def blocks_of(columns: Columns, variable: str, year: int, structure: int, source_code: str) -> Iterator[Block]:
    """The columns split into one block per level (a level's groups are consecutive)."""
    levels = columns.levels
    found = (columns.regions, columns.values, columns.rates, columns.medians, columns.statuses, columns.n,
             columns.n_units, columns.n_imputed, columns.parts)  # fmt: skip
    start, size = 0, len(levels)
    while start < size:
        level = levels[start]
        end = start + 1
        while end < size and levels[end] == level:
            end += 1
        cut = slice(start, end)
        lists = {name: column[cut] for name, column in zip(CELL_FIELDS, found, strict=True)}
        yield Block(variable, level, year, structure, source_code, lists)
        start = end
