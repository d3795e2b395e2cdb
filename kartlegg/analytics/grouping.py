"""Grouping units into regions: the frames (one year's units in one structure, grouped once per level and reused
for every variable), the harmonisation of a year's figures onto a structure year, and the innermost loop that turns
one variable's figures per unit into a row per region. Pure (no ORM); compute.py drives it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import compress
from operator import is_not
from typing import Any, NamedTuple

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
