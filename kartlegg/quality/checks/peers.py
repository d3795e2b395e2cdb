"""Peer outliers (docs/quality.md): årsverk per capita far outside the robust range of the unit's size group.

The range is median ± k·MAD of log(per-capita årsverk). On the log scale a unit with twice the median is as far out
as one with half, and the spread of small and large municipalities becomes comparable. Small municipalities are what
would drown the queue, so:
- zeros are left out of the group's centre and spread (log 0 does not exist, and a heap of zeros would pull the
  median down); a unit reporting 0 is flagged only when it has at least `zero_min_population` inhabitants;
- the MAD has a floor (`mad_floor`, in log units), so a tight group does not turn ordinary variation into outliers;
- the deviation must also be at least `min_deviation` årsverk from what the group's median rate predicts: one
  position more or less in a municipality of 500 is a large rate but not a problem for anybody's statistics;
- units below `min_population` inhabitants are skipped altogether (0 by default: the rules above are enough);
- a size group with fewer than `min_peers` units that report is compared with all units instead.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from kartlegg.lib.stats import MAD_NORMAL_SCALE, robust

from .base import (
    WARNING,
    CheckContext,
    FlagCandidate,
    Layout,
    UnitData,
    base_population,
    figure,
    fmt,
    register,
)

CHECK = "peer_outlier"
ALL = ""


@dataclass(frozen=True)
class PeerStat:
    n: int
    median_log: float
    spread: float  # scaled MAD of the logs, floored
    group_label: str

    @property
    def median_rate(self) -> float:
        return math.exp(self.median_log)


class PeerTable:
    """Per grid and size group: the centre and spread of log(per-capita årsverk) among the units that report."""

    def __init__(self, stats: dict[tuple[str, str], PeerStat], min_peers: int) -> None:
        self.stats = stats
        self.min_peers = min_peers
        self.cells: Any = None  # cells.CellSpread, set by the runner

    def stat(self, grid: str, group: str) -> PeerStat | None:
        found = self.stats.get((grid, group))
        if found is not None and found.n >= self.min_peers:
            return found
        overall = self.stats.get((grid, ALL))
        return overall if overall is not None and overall.n >= self.min_peers else None


def unit_rate(unit: UnitData, grid_code: str, target: str, cells: list[str]) -> tuple[float, int, float | None]:
    """(total, filled cells, per-capita rate or None when nobody lives in the band)."""
    total, filled = unit.total(cells)
    people, per, _label = base_population(unit, target)
    return total, filled, (total * per / people if people > 0 else None)


def build_peer_table(units: Sequence[UnitData], layout: Layout, config: dict) -> PeerTable:
    logs: dict[tuple[str, str], list[float]] = defaultdict(list)
    for unit in units:
        if not unit.submitted:
            continue
        for grid in layout.grids:
            total, filled, rate = unit_rate(unit, grid.code, grid.target, grid.cells())
            if not filled or rate is None or rate <= 0:
                continue
            value = math.log(rate)
            logs[(grid.code, unit.size_group)].append(value)
            logs[(grid.code, ALL)].append(value)
    floor = float(config["mad_floor"])
    stats: dict[tuple[str, str], PeerStat] = {}
    for (grid_code, group), values in logs.items():
        summary = robust(values)
        if summary.median is None or summary.mad is None:
            continue
        label = f"enheter med {group} innbyggere" if group != ALL else "alle enheter"
        stats[(grid_code, group)] = PeerStat(
            len(values), summary.median, max(summary.mad * MAD_NORMAL_SCALE, floor), label
        )
    return PeerTable(stats, int(config["min_peers"]))


@register(
    CHECK,
    gettext_noop("Avvik fra sammenlignbare enheter"),
    {
        "k": 3.0,
        "mad_floor": 0.25,
        "min_deviation": 2.0,
        "min_population": 0,
        "min_peers": 8,
        "zero_min_population": 5000,
    },
    "Årsverk per innbygger langt utenfor det robuste spennet (median ± k·MAD på log-skala) i enhetens "
    "størrelsesgruppe.",
)
def peer_outlier(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    config = ctx.config
    if not unit.submitted or ctx.peers is None or unit.population.total < int(config["min_population"]):
        return []
    flags: list[FlagCandidate] = []
    for grid in ctx.layout.grids:
        total, filled, rate = unit_rate(unit, grid.code, grid.target, grid.cells())
        people, per, base_label = base_population(unit, grid.target)
        stat = ctx.peers.stat(grid.code, unit.size_group)
        if not filled or rate is None or stat is None:
            continue
        expected = stat.median_rate * people / per
        deviation = total - expected
        if abs(deviation) < float(config["min_deviation"]):
            continue
        if total <= 0:
            if unit.population.total < int(config["zero_min_population"]):
                continue
            rule, z = "zero", None
            text = (
                f"Enheten har ført 0 {grid.label}, men har {fmt(people, 0)} innbyggere i målgruppen. Med medianen for "
                f"{stat.group_label} ({fmt(stat.median_rate, 1)} {base_label}) ville det vært om lag "
                f"{fmt(expected)} årsverk."
            )
        else:
            z = (math.log(rate) - stat.median_log) / stat.spread
            if abs(z) <= float(config["k"]):
                continue
            rule = "high" if z > 0 else "low"
            text = (
                f"{grid.label.capitalize()} er {fmt(total)}, det vil si {fmt(rate, 1)} {base_label}. Medianen for "
                f"{stat.group_label} er {fmt(stat.median_rate, 1)}, og "
                f"{'så høyt' if z > 0 else 'så lavt'} ligger langt "
                f"utenfor det vanlige spennet (robust z = {fmt(z, 1)}). Med medianen ville enheten hatt om lag "
                f"{fmt(expected)} årsverk, {fmt(abs(deviation))} {'færre' if deviation > 0 else 'flere'}."
            )
        flags.append(
            FlagCandidate(
                unit=unit.code,
                variable=grid.code,
                check=CHECK,
                rule=rule,
                severity=WARNING,
                values={
                    "sum": figure(total),
                    "per_innbygger": figure(rate),
                    "median_gruppe": figure(stat.median_rate),
                    "forventet": figure(expected),
                    "robust_z": figure(z),
                    "gruppe_n": stat.n,
                },
                explanation=text,
                impact=figure(abs(deviation)) or 0.0,
                variables=tuple(grid.cells()),
            )
        )
    return flags
