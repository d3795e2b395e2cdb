"""Single cells out of line (issue 17): one cell multiplied (×4) or raised by a few årsverk in a medium or large
unit stays inside the grid-total thresholds of `implausible_change` and `peer_outlier`, so cells are compared too.

- Against the cell's own history (`history`): the unit's typical change is the median of its cells' ratios to last
  year (at least `min_cells` cells, else none); a cell whose ratio is above that by more than k robust standard
  deviations of all units' cell residuals (pooled per grid, floored) **and** by at least `min_ratio`, and whose
  excess is at least `min_change` årsverk, is flagged. Only increases: a questionnaire that gives a service its own
  row (Rask psykisk helsehjelp, 2024) lowers the cells it came from. Last year's cell includes the cells the
  questionnaire merged into it (erfaringskonsulent into ufaglært in 2024).
- Without history for the grid (`share`): the cell's share of the grid against the peers' share of the same cell
  (median and spread of log shares among all units that report it), with the same excess floor.

A comment does not silence either rule (a grid's comment is often about something else, or older); it is quoted.
Cells that `unit_error` explains (10×, 100×, a percentage) are left to it. Four or more cells of a grid give one
flag for the grid.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from kartlegg.lib.stats import MAD_NORMAL_SCALE, robust

from .base import WARNING, CheckContext, FlagCandidate, Grid, Layout, UnitData, commented, figure, fmt, num, register

CHECK = "cell_outlier"
DEFAULTS = {
    "k": 4.0,
    "spread_floor": 0.1,
    "min_ratio": 1.3,
    "min_change": 1.5,
    "min_previous": 0.1,
    "min_cells": 3,
    "share_k": 3.5,
    "share_min_cells": 4,
    "share_min_peers": 20,
    "scale_factors": [10, 100],
    "scale_tolerance": 1.6,
    "group_cells_from": 4,
}


@dataclass(frozen=True)
class CellSpread:
    """Per grid: the spread of cells' log ratios to last year around their unit's median; per cell: the centre
    and spread of its log share of the grid among the units that report it."""

    residual: dict[str, float]
    shares: dict[str, tuple[float, float, int]]


def _ratios(unit: UnitData, grid: Grid, min_previous: float) -> dict[str, tuple[float, float]]:
    """cell → (now, last year) for cells with a usable history in both years."""
    previous = unit.previous
    if previous is None:
        return {}
    found = {}
    for code in grid.cell_codes:
        now, before = unit.numbers.get(code), num(previous.values.get(code))
        if now is not None and now > 0 and before is not None and before >= min_previous:
            found[code] = (now, before)
    return found


def _growth(ratios: dict[str, tuple[float, float]], min_cells: int) -> float | None:
    """The unit's typical log change (median over its cells), or None with too few cells to tell."""
    if len(ratios) < min_cells:
        return None
    logs = sorted(math.log(now / before) for now, before in ratios.values())
    middle = len(logs) // 2
    return logs[middle] if len(logs) % 2 else (logs[middle - 1] + logs[middle]) / 2


def build_cell_spread(units: Sequence[UnitData], layout: Layout, config: dict) -> CellSpread:
    residuals: dict[str, list[float]] = defaultdict(list)
    shares: dict[str, list[float]] = defaultdict(list)
    for unit in units:
        if not unit.submitted:
            continue
        for grid in layout.grids:
            ratios = _ratios(unit, grid, float(config["min_previous"]))
            growth = _growth(ratios, int(config["min_cells"]))
            if growth is not None:
                residuals[grid.code].extend(math.log(now / before) - growth for now, before in ratios.values())
            total, filled = unit.total(grid.cell_codes)
            if filled >= int(config["share_min_cells"]) and total > 0:
                for code in grid.cell_codes:
                    value = unit.numbers.get(code)
                    if value is not None and value > 0:
                        shares[code].append(math.log(value / total))
    floor = float(config["spread_floor"])
    spread = {}
    for grid_code, values in residuals.items():
        summary = robust(values)
        if summary.mad is not None:
            spread[grid_code] = max(summary.mad * MAD_NORMAL_SCALE, floor)
    centres = {}
    for code, values in shares.items():
        summary = robust(values)
        if summary.median is not None and summary.mad is not None:
            centres[code] = (summary.median, max(summary.mad * MAD_NORMAL_SCALE, floor), len(values))
    return CellSpread(spread, centres)


def _history_hits(unit: UnitData, grid: Grid, ctx: CheckContext) -> list[tuple[str, float, float, float]]:
    """(cell, now, expected from last year, last year) for cells far above the unit's typical change."""
    config, spread = ctx.config, ctx.peers.cells if ctx.peers is not None else None
    sigma = spread.residual.get(grid.code) if spread is not None else None
    ratios = _ratios(unit, grid, float(config["min_previous"]))
    growth = _growth(ratios, int(config["min_cells"]))
    if sigma is None or not ratios:
        return []
    growth = growth if growth is not None else 0.0
    limit = max(float(config["k"]) * sigma, math.log(float(config["min_ratio"])))
    hits = []
    tolerance = float(config["scale_tolerance"])
    windows = [(float(f) / tolerance, float(f) * tolerance) for f in config["scale_factors"]]
    for code, (now, before) in ratios.items():
        if any(low <= now / before <= high for low, high in windows):
            continue  # about 10× or 100× last year: unit_error's finding (keep its settings in step)
        expected = before * math.exp(growth)
        if math.log(now / expected) > limit and now - expected >= float(config["min_change"]):
            hits.append((code, now, expected, before))
    return hits


def _share_hits(unit: UnitData, grid: Grid, ctx: CheckContext) -> list[tuple[str, float, float, float]]:
    """(cell, now, expected from the peers' share, the peers' share) when the unit has no history for the grid."""
    config, spread = ctx.config, ctx.peers.cells if ctx.peers is not None else None
    if spread is None:
        return []
    total, filled = unit.total(grid.cell_codes)
    if filled < int(config["share_min_cells"]) or total <= 0:
        return []
    hits = []
    for code in grid.cell_codes:
        value = unit.numbers.get(code)
        centre = spread.shares.get(code)
        if value is None or value <= 0 or centre is None or centre[2] < int(config["share_min_peers"]):
            continue
        median, sigma, _n = centre
        if (math.log(value / total) - median) / sigma <= float(config["share_k"]):
            continue
        share = math.exp(median)
        expected = share * (total - value) / (1 - share) if share < 1 else value
        if value - expected >= float(config["min_change"]):
            hits.append((code, value, expected, share))
    return hits


@register(
    CHECK,
    gettext_noop("Avvik i én celle"),
    DEFAULTS,
    "Én celle i en årsverkstabell langt over sin egen historikk (justert for enhetens vanlige endring), eller, uten "
    "fjorårstall, langt over andelen cellen har hos andre enheter.",
)
def cell_outlier(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    if not unit.submitted or not unit.has_values:
        return []
    flags: list[FlagCandidate] = []
    for grid in ctx.layout.grids:
        history = unit.previous is not None and grid.code in unit.previous.grid_totals
        hits = _history_hits(unit, grid, ctx) if history else _share_hits(unit, grid, ctx)
        if not hits:
            continue
        rule = "history" if history else "share"
        note = commented(unit, [code for code, *_rest in hits], grid.code)
        quoted = f" Kommentar: «{note[:200]}»." if note else ""
        if len(hits) >= int(ctx.config["group_cells_from"]):
            excess = sum(now - expected for _c, now, expected, _b in hits)
            flags.append(
                FlagCandidate(
                    unit.code, grid.code, CHECK, rule, WARNING,
                    {"celler": {c: [figure(now), figure(expected)] for c, now, expected, _b in hits}},
                    f"{len(hits)} celler i {grid.label} er langt høyere enn ventet ut fra "
                    f"{'fjorårets tall' if history else 'andre enheters fordeling'}, til sammen "
                    f"{fmt(excess)} årsverk mer." + quoted,
                    figure(excess) or 0.0,
                    tuple(c for c, *_rest in hits),
                )
            )  # fmt: skip
            continue
        for code, now, expected, basis in hits:
            label = ctx.layout.label(code)
            if history:
                text = (
                    f"«{label}» er {fmt(now)}, mot {fmt(basis)} i fjor ({fmt(now / basis, 1)} ganger). Med enhetens "
                    f"vanlige endring fra i fjor ville cellen vært om lag {fmt(expected)}, {fmt(now - expected)} "
                    "årsverk mindre. Kontroller at tallet er ført i riktig celle og er årsverk."
                )
                values = {"verdi": figure(now), "fjor": figure(basis), "forventet": figure(expected)}
            else:
                text = (
                    f"«{label}» er {fmt(now)}, {fmt(now / max(unit.total(grid.cell_codes)[0], 1e-9) * 100, 0)} % av "
                    f"{grid.label}. Hos andre enheter er cellen typisk {fmt(basis * 100, 0)} %, som her ville vært om "
                    f"lag {fmt(expected)} årsverk. Enheten har ikke tall fra i fjor å sammenligne med."
                )
                values = {"verdi": figure(now), "andel_typisk": figure(basis, 4), "forventet": figure(expected)}
            flags.append(
                FlagCandidate(
                    unit.code, code, CHECK, rule, WARNING, values, text + quoted,
                    figure(now - expected) or 0.0, (code,),
                )
            )  # fmt: skip
    return flags
