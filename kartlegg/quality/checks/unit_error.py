"""Unit errors (docs/quality.md): a percentage typed as årsverk (50 for 0,5), persons typed as årsverk, and values
ten or a hundred times last year's, or, for a unit without history, the level of its peers.

Why these rules:
- A position percentage is a round number (a multiple of 5) between 20 and 100. Real årsverk are almost never such a
  number *and* far above the cell's value last year or the rest of the unit's grid, so both are required.
- A headcount shows as a grid of whole numbers where last year's had decimals, and a total that jumped.
- A factor of 10 or 100 against last year (within a tolerance) with a change of at least one årsverk; the floor keeps
  0,1 → 1,0 (one new part-time position) out of the queue.
Many cells of one grid off by the same factor give one flag for the grid rather than one per cell.
Besides the grid cells, the questions in `questions` are checked (the psychologists' total by default; vacancies and
the like are not årsverk that are counted, and they swing freely from year to year).
"""

from __future__ import annotations

import math

from django.utils.translation import gettext_noop

from .base import (
    ERROR,
    CheckContext,
    FlagCandidate,
    Grid,
    UnitData,
    base_population,
    figure,
    fmt,
    num,
    previous_note,
    register,
)

CHECK = "unit_error"
CAUSES = "Det kan være en feil i enheten (desimalkomma, timer eller stillingsprosent)."


def _looks_like_percent(value: float, config: dict) -> bool:
    step = float(config["percent_step"]) or 1.0
    if not float(config["percent_min"]) <= value <= float(config["percent_max"]):
        return False
    return abs(value / step - round(value / step)) < 1e-9


def _small_percent(value: float, previous: float, config: dict) -> bool:
    """A small true value typed as a percentage: 0,02 årsverk (a 2 % position) typed as 2. Last year's value below
    `small_previous_below` and this year's about 100 times it (within the scale tolerance), at least 1."""
    if not 0 < previous < float(config["small_previous_below"]) or value < 1:
        return False
    tolerance = float(config["scale_tolerance"])
    return 100 / tolerance <= value / previous <= 100 * tolerance


def _scale_factor(value: float, previous: float, config: dict) -> float | None:
    """The factor (10, 100, 1/10, 1/100) that value is off last year's, within the tolerance, or None."""
    if previous < float(config["scale_min_previous"]) or value <= 0:
        return None
    if abs(value - previous) < float(config["scale_min_change"]):
        return None
    ratio = value / previous
    tolerance = float(config["scale_tolerance"])
    for factor in config["scale_factors"]:
        factor = float(factor)
        if factor <= 1:
            continue
        if factor / tolerance <= ratio <= factor * tolerance:
            return factor
        if 1 / (factor * tolerance) <= ratio <= tolerance / factor:
            return 1 / factor
    return None


def _factor_text(factor: float) -> str:
    if factor >= 1:
        return f"{fmt(factor, 0)} ganger"
    return f"en {fmt(1 / factor, 0)}-del av"


def _percent_hits(
    unit: UnitData, grid: Grid | None, codes: list[str], config: dict
) -> list[tuple[str, float, str, bool]]:
    """(code, value, reason, judged against last year) for values that look like a percentage typed as årsverk."""
    hits = []
    total = unit.total(codes)[0] if grid is not None else 0.0
    previous = unit.previous.values if unit.previous else {}
    for code in codes:
        value = unit.numbers.get(code)
        if value is None:
            continue
        if not _looks_like_percent(value, config):
            before = num(previous.get(code))
            if before is not None and _small_percent(value, before, config):
                hits.append((code, value, f"i fjor var verdien {fmt(before)}", True))
            continue
        before = num(previous.get(code))
        if before is not None and before < float(config["percent_previous_below"]):
            hits.append((code, value, f"i fjor var verdien {fmt(before)}", True))
        elif grid is not None and total - value < value / float(config["percent_dominant_factor"]):
            hits.append((code, value, f"resten av tabellen er til sammen bare {fmt(total - value)} årsverk", False))
    return hits


def _scale_hits(
    unit: UnitData, codes: list[str], skip: set[str], config: dict
) -> list[tuple[str, float, float, float]]:
    """(code, value, last year's value, factor) for values 10× or 100× off last year's."""
    if unit.previous is None:
        return []
    hits = []
    for code in codes:
        if code in skip:
            continue
        value, before = unit.numbers.get(code), num(unit.previous.values.get(code))
        if value is None or before is None:
            continue
        factor = _scale_factor(value, before, config)
        if factor is not None:
            hits.append((code, value, before, factor))
    return hits


def _persons(unit: UnitData, grid: Grid, ctx: CheckContext) -> FlagCandidate | None:
    """A grid of whole numbers where last year's had decimals, and a total that rose by persons_ratio or more."""
    config = ctx.config
    previous = unit.previous
    if previous is None or grid.code not in previous.grid_totals:
        return None
    cells = grid.cells()
    current = [v for v in (unit.numbers.get(c) for c in cells) if v]
    if len(current) < int(config["persons_min_cells"]) or any(abs(v - round(v)) > 1e-9 for v in current):
        return None
    before = [v for v in (num(previous.values.get(c)) for c in cells) if v]
    if len(before) < int(config["persons_min_cells"]):
        return None
    fractional = sum(1 for v in before if abs(v - round(v)) > 1e-9) / len(before)
    total, last = sum(current), previous.grid_totals[grid.code]
    if (
        fractional < float(config["persons_fractional_share"])
        or last <= 0
        or total < last * float(config["persons_ratio"])
    ):
        return None
    return FlagCandidate(
        unit=unit.code,
        variable=grid.code,
        check=CHECK,
        rule="persons_as_fte",
        severity=ERROR,
        values={
            "sum": figure(total),
            "fjor": figure(last),
            "celler": len(current),
            "andel_desimaler_fjor": figure(fractional),
        },
        explanation=(
            f"Alle {len(current)} utfylte celler i {grid.label} er hele tall, og summen ({fmt(total)}) er "
            f"{fmt((total / last - 1) * 100, 0)} % høyere enn i fjor ({fmt(last)}), da tallene hadde desimaler. "
            "Det kan tyde på at antall personer er ført i stedet for årsverk." + previous_note(unit)
        ),
        impact=figure(total - last) or 0.0,
        variables=tuple(cells),
    )


def _peer_scale(unit: UnitData, grid: Grid, ctx: CheckContext) -> FlagCandidate | None:
    """Without last year's figures: a grid total 8× (or 1/8) the peers' per-capita median."""
    if unit.previous is not None and grid.code in unit.previous.grid_totals:
        return None
    peers = ctx.peers.stat(grid.code, unit.size_group) if ctx.peers is not None else None
    people, per, base_label = base_population(unit, grid.target)
    total, filled = unit.total(grid.cell_codes)
    if peers is None or not filled or total <= 0 or people <= 0:
        return None
    expected = peers.median_rate * people / per
    factor = float(ctx.config["peer_factor"])
    ratio = total / expected if expected > 0 else math.inf
    if (1 / factor < ratio < factor) or abs(total - expected) < float(ctx.config["scale_min_change"]):
        return None
    rate = total * per / people
    return FlagCandidate(
        unit=unit.code,
        variable=grid.code,
        check=CHECK,
        rule="scale_vs_peers",
        severity=ERROR,
        values={
            "sum": figure(total),
            "per_innbygger": figure(rate),
            "median_gruppe": figure(peers.median_rate),
            "forventet": figure(expected),
        },
        explanation=(
            f"{grid.label.capitalize()} er {fmt(total)} ({fmt(rate, 1)} {base_label}). Det er "
            f"{fmt(ratio, 0) if ratio >= 1 else 'en ' + fmt(1 / ratio, 0) + '-del av'}"
            f"{' ganger' if ratio >= 1 else ''} medianen for {peers.group_label} ({fmt(peers.median_rate, 1)}), "
            f"som tilsvarer om lag {fmt(expected)} årsverk. Kontroller at tallene er årsverk og ikke stillingsprosent, "
            "personer eller timer. Enheten har ikke tall fra i fjor å sammenligne med."
        ),
        impact=figure(abs(total - expected)) or 0.0,
        variables=tuple(grid.cells()),
    )


def _grouped(unit: UnitData, grid: Grid | None, codes: list[str], ctx: CheckContext) -> list[FlagCandidate]:
    config, layout = ctx.config, ctx.layout
    flags: list[FlagCandidate] = []
    group_from = int(config["group_cells_from"])
    # A round number where last year's value was below 1 is a percentage first; otherwise a factor against last year
    # says more than the round number alone, so the grid-dominance reading yields to it.
    found = _percent_hits(unit, grid, codes, config)
    by_history = {code for code, _v, _r, historic in found if historic}
    scale = _scale_hits(unit, codes, by_history, config)
    scaled = {code for code, *_rest in scale}
    percent = [(code, v, r) for code, v, r, historic in found if historic or code not in scaled]
    note = previous_note(unit)
    if grid is not None and len(percent) >= group_from:
        excess = sum(v - v / 100 for _c, v, _r in percent)
        flags.append(
            FlagCandidate(
                unit.code, grid.code, CHECK, "percent_as_fte", ERROR,
                {"celler": {c: figure(v) for c, v, _r in percent}},
                f"{len(percent)} celler i {grid.label} ser ut som stillingsprosenter ført som årsverk "
                f"({', '.join(fmt(v) for _c, v, _r in percent[:5])}…). En 50 % stilling er 0,5 årsverk." + note,
                figure(excess) or 0.0,
                tuple(c for c, _v, _r in percent),
            )
        )  # fmt: skip
    else:
        for code, value, reason in percent:
            flags.append(
                FlagCandidate(
                    unit.code, code, CHECK, "percent_as_fte", ERROR,
                    {"verdi": figure(value), "som_arsverk": figure(value / 100)},
                    f"«{layout.label(code)}» er {fmt(value)}. Det ligner en stillingsprosent ført som årsverk "
                    f"({fmt(value)} % er {fmt(value / 100)} årsverk); {reason}." + note,
                    figure(value - value / 100) or 0.0,
                    (code,),
                )
            )  # fmt: skip
    if grid is not None and len(scale) >= group_from:
        factors = sorted({f for *_rest, f in scale})
        flags.append(
            FlagCandidate(
                unit.code, grid.code, CHECK, "scale_vs_last_year", ERROR,
                {
                    "celler": {c: [figure(v), figure(b)] for c, v, b, _f in scale},
                    "faktor": [figure(f, 4) for f in factors],
                },
                f"{len(scale)} celler i {grid.label} er {' eller '.join(_factor_text(f) for f in factors)} "
                "fjorårets verdier. " + CAUSES + note,
                figure(sum(abs(v - b) for _c, v, b, _f in scale)) or 0.0,
                tuple(c for c, *_rest in scale),
            )
        )  # fmt: skip
    else:
        for code, value, before, factor in scale:
            flags.append(
                FlagCandidate(
                    unit.code, code, CHECK, "scale_vs_last_year", ERROR,
                    {"verdi": figure(value), "fjor": figure(before), "faktor": figure(factor, 4)},
                    f"«{layout.label(code)}» er {fmt(value)}, mot {fmt(before)} i fjor: {_factor_text(factor)} "
                    "fjorårets verdi. " + CAUSES + note,
                    figure(abs(value - before)) or 0.0,
                    (code,),
                )
            )  # fmt: skip
    return flags


@register(
    CHECK,
    gettext_noop("Enhetsfeil"),
    {
        "percent_min": 10,
        "percent_max": 100,
        "percent_step": 5,
        "percent_previous_below": 1.0,
        "percent_dominant_factor": 5.0,
        "small_previous_below": 0.1,
        "scale_factors": [10, 100],
        "scale_tolerance": 1.6,
        "scale_min_previous": 0.2,
        "scale_min_change": 1.0,
        "persons_min_cells": 3,
        "persons_ratio": 1.25,
        "persons_fractional_share": 0.5,
        "peer_factor": 8.0,
        "group_cells_from": 4,
        "questions": ["B_psykolog_totalt"],
    },
    "Stillingsprosent ført som årsverk, personer ført som årsverk, og verdier 10 eller 100 ganger fjorårets "
    "(eller, uten fjorårstall, nivået i samme størrelsesgruppe).",
)
def unit_error(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    if not unit.has_values:
        return []
    flags: list[FlagCandidate] = []
    for grid in ctx.layout.grids:
        flags.extend(_grouped(unit, grid, grid.cells(), ctx))
        for finding in (_persons(unit, grid, ctx), _peer_scale(unit, grid, ctx)):
            if finding is not None:
                flags.append(finding)
    questions = [code for code in ctx.config["questions"] if code in ctx.layout.definition.questions]
    flags.extend(_grouped(unit, None, questions, ctx))
    return flags
