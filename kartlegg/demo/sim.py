"""The demo's years, one after another, as pure functions: who answers, what they report, and which errors are
planted for QA to find.

The national rule the demo is built to (what the statistics do): a unit that did not answer keeps its last
reported year's årsverk. To keep that unambiguous, a unit may skip a year only when it (or all the units it was
merged from, whole) answered the year before and had no planted error then; so "last reported year" is always the
year before, and its values are the predecessors' reported totals summed. In the first year of a run there is no
earlier figure, so the statistics carry each non-responder's next reported figure back (a first-year non-responder
always answers the next year): the non-responders are picked among the smaller units and counted at their own
simulated size grown to next year's level, and the responders carry the rest of the published total. A run of one
year has nothing to carry back from: its responders alone carry the total.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import Plan, PlantedError, apply_plans, error_record, plan_errors
from .grids import (
    ADULTS,
    CENT,
    GROUPS,
    DemoUnit,
    GridLayout,
    Target,
    calibrate,
    combine,
    decimal_total,
    grow_grid,
    initial_grid,
    remap,
    round_and_fix,
    round_cells,
    split_out_row,
    total,
    unit_level,
)

# Real counts of units that did not report (the published notes); other years draw 6–12 %.
REAL_NON_RESPONSE = {2020: 66, 2021: 24}
NON_RESPONSE_SHARE = (0.06, 0.12)


@dataclass
class YearSpec:
    year: int
    units: list[DemoUnit]
    # unit code → {last year's code: weight}: {code: 1} when unchanged, several codes for a merge, a share for a split.
    predecessors: dict[str, dict[str, float]]
    layouts: dict[str, GridLayout]
    target: Target
    # new cell code → last year's cell code, when the questionnaire version changed since last year (else empty).
    cell_map: dict[str, str] = field(default_factory=dict)
    previous_layouts: dict[str, GridLayout] = field(default_factory=dict)
    non_response: int | None = None
    leave_open: frozenset[str] = frozenset()
    plant_errors: bool = False
    next_target: Target | None = None  # the first year: next year's total, which its carried-back figures come from


@dataclass
class YearOutcome:
    year: int
    target: Target
    responders: list[str]
    non_responders: list[str]
    # group → unit → cell code → value, for the responders
    reported: dict[str, dict[str, dict[str, Decimal]]]
    # group → non-responder → its imputed total (last year's reported total)
    imputed: dict[str, dict[str, Decimal]]
    comments: dict[str, dict[str, str]]
    errors: list[PlantedError]
    has_rph: dict[str, bool]
    # clean, calibrated figures of every unit (responders or not): next year grows from these
    state: dict[str, dict[str, dict[str, float]]] = field(repr=False)

    def national_total(self, group: str) -> Decimal:
        reported = sum((decimal_total(cells) for cells in self.reported[group].values()), Decimal(0))
        return reported + sum(self.imputed[group].values(), Decimal(0))

    def errors_for(self, unit: str) -> list[PlantedError]:
        return [e for e in self.errors if e.unit == unit]


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def weighted_sample(rng: random.Random, items: Sequence[str], weights: Sequence[float], count: int) -> list[str]:
    """`count` distinct items, each drawn with probability ∝ weight (Efraimidis–Spirakis keys)."""
    keyed = sorted(
        ((rng.random() ** (1 / w), item) for item, w in zip(items, weights, strict=True) if w > 0), reverse=True
    )
    return [item for _, item in keyed[:count]]


def may_skip(spec: YearSpec, code: str, previous: YearOutcome | None) -> bool:
    """Whether `code` may be a non-responder without making "last reported year" ambiguous (module docstring)."""
    if previous is None:
        return True
    parts = spec.predecessors.get(code, {})
    if not parts or any(abs(w - 1.0) > 1e-9 for w in parts.values()):
        return False
    answered = set(previous.responders)
    errored = {e.unit for e in previous.errors}
    return all(p in answered and p not in errored for p in parts)


def choose_non_responders(rng: random.Random, spec: YearSpec, previous: YearOutcome | None) -> list[str]:
    units = {u.code: u for u in spec.units}
    count = spec.non_response
    if count is None:
        count = round(len(units) * rng.uniform(*NON_RESPONSE_SHARE))
    eligible = [code for code in units if may_skip(spec, code, previous)]
    if previous is None:
        # Nothing to impute from: pick among the smaller half, so the responders carry the total naturally.
        median = sorted(u.population for u in spec.units)[len(spec.units) // 2]
        eligible = [code for code in eligible if units[code].population <= median]
    forced = [code for code in sorted(spec.leave_open) if code in eligible]
    rest = [code for code in eligible if code not in forced]
    # Small municipalities miss the deadline more often.
    weights = [max(units[code].population, 100) ** -0.35 for code in rest]
    chosen = forced + weighted_sample(rng, rest, weights, max(0, count - len(forced)))
    return sorted(chosen)


def _carry(spec: YearSpec, group: str, previous: YearOutcome) -> dict[str, dict[str, float]]:
    """Last year's clean figures, moved onto this year's questionnaire version and unit codes."""
    prev_state = previous.state[group]
    old_layout = spec.previous_layouts.get(group)
    if spec.cell_map and old_layout is not None:
        prev_state = {
            u: remap(cells, spec.cell_map, old_layout, spec.layouts[group]) for u, cells in prev_state.items()
        }
    carried = {}
    for unit in spec.units:
        parts = [(prev_state[p], w) for p, w in spec.predecessors.get(unit.code, {}).items() if p in prev_state]
        if parts:
            carried[unit.code] = combine(parts)
    return carried


def _folded(spec: YearSpec, group: str, previous: YearOutcome, unit: DemoUnit) -> float:
    """Årsverk that a new questionnaire version moves to another column (peer workers in 2024)."""
    if not spec.cell_map:
        return 0.0
    kept = set(spec.cell_map.values())
    return sum(
        v * w
        for p, w in spec.predecessors.get(unit.code, {}).items()
        for c, v in previous.state[group].get(p, {}).items()
        if c not in kept
    )


def _add_comment(comments: dict[str, dict[str, str]], unit: str, variable: str, text: str) -> None:
    mine = comments.setdefault(unit, {})
    mine[variable] = f"{mine[variable]} {text}" if variable in mine else text


def _raw_grids(
    seed: int, spec: YearSpec, previous: YearOutcome | None, traits: dict[str, bool]
) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, dict[str, str]]]:
    raw: dict[str, dict[str, dict[str, float]]] = {}
    comments: dict[str, dict[str, str]] = {}
    for group in GROUPS:
        layout = spec.layouts[group]
        target = float(spec.target.total(group))
        carried = _carry(spec, group, previous) if previous is not None else {}
        fresh = [u for u in spec.units if u.code not in carried]
        levels = {u.code: unit_level(_rng(seed, spec.year, group, "level", u.code), u, group) for u in fresh}
        if previous is None:
            scale = target / max(sum(levels.values()), 1e-9)
        else:  # a unit with no history starts at the national level per inhabitant of last year
            scale = float(previous.target.total(group)) / max(
                sum(unit_level(_rng(seed, spec.year, group, "ref", u.code), u, group) for u in spec.units), 1e-9
            )
        growth = target / float(previous.target.total(group)) if previous is not None else 1.0
        raw[group] = {}
        new_rows = [
            r
            for r in layout.rows
            if spec.cell_map and not any(k.startswith(f"{layout.code}.{r}.") for k in spec.cell_map)
        ]
        for unit in spec.units:
            rng = _rng(seed, spec.year, group, unit.code)
            if unit.code in carried:
                cells = carried[unit.code]
                if previous is not None and _folded(spec, group, previous, unit) >= 0.5:
                    _add_comment(
                        comments, unit.code, layout.code, "Erfaringskonsulenter er fra i år ført sammen med ufaglærte."
                    )
                for row in new_rows:
                    if layout.row_kinds.get(row) == "rph" and traits.get(unit.code):
                        split_out_row(rng, layout, cells, row, "oppfolging")
                        _add_comment(
                            comments,
                            unit.code,
                            layout.code,
                            "Rask psykisk helsehjelp føres i egen rad fra i år; årsverkene sto før under oppfølging "
                            "og behandling.",
                        )
                step = grow_grid(rng, layout, cells, growth, unit.size, spec.year)
                raw[group][unit.code] = step.cells
                for variable, text in step.comments.items():
                    _add_comment(comments, unit.code, variable, text)
            else:
                raw[group][unit.code] = initial_grid(rng, layout, levels[unit.code] * scale, unit.size)
    return raw, comments


def _calibrate_group(
    spec: YearSpec,
    group: str,
    raw: Mapping[str, Mapping[str, float]],
    responders: Sequence[str],
    imputed: Mapping[str, Decimal],
    plans: Sequence[Plan],
    prev_reported: Mapping[str, Mapping[str, Decimal]],
) -> tuple[float, dict[str, dict[str, Decimal]]]:
    """Scale the free responders so that reported + imputed equals the target; planted errors stay as planted."""
    target = spec.target.total(group)
    imputed_sum = sum(imputed.values(), Decimal(0))
    error_units = {p.unit for p in plans if p.group in ("", group) and (p.cell or p.error_kind == "stale_copy")}
    free = [u for u in responders if u not in error_units]
    free_total = math.fsum(total(raw[u]) for u in free)
    factor = 1.0
    fixed: dict[str, dict[str, Decimal]] = {}
    for _ in range(6):  # the planted values depend a little on the factor; this settles in two or three rounds
        fixed = {}
        for unit in error_units:
            scaled = {c: v * factor for c, v in raw[unit].items()}
            planted = apply_plans(plans, group, scaled, unit, prev_reported.get(unit, {}))
            fixed[unit] = planted if planted is not None else round_cells(scaled)
        fixed_sum = sum((decimal_total(c) for c in fixed.values()), Decimal(0))
        factor = calibrate(free_total, float(fixed_sum + imputed_sum), float(target))
    fixed_sum = sum((decimal_total(c) for c in fixed.values()), Decimal(0))
    free_cells = {u: {c: v * factor for c, v in raw[u].items()} for u in free}
    reported = round_and_fix(free_cells, fixed_sum + imputed_sum, target)
    reported.update(fixed)
    return factor, reported


def simulate_year(seed: int, spec: YearSpec, previous: YearOutcome | None, traits: dict[str, bool]) -> YearOutcome:
    raw, comments = _raw_grids(seed, spec, previous, traits)
    non_responders = choose_non_responders(_rng(seed, spec.year, "non-response"), spec, previous)
    skipped = set(non_responders)
    responders = [u.code for u in spec.units if u.code not in skipped]
    prev_reported = _previous_reported(spec, previous)
    plans: list[Plan] = []
    if spec.plant_errors and previous is not None:
        plans = plan_errors(_rng(seed, spec.year, "errors"), spec, raw, responders, previous, prev_reported)
    imputed: dict[str, dict[str, Decimal]] = {}
    reported: dict[str, dict[str, dict[str, Decimal]]] = {}
    state: dict[str, dict[str, dict[str, float]]] = {}
    clean: dict[str, dict[str, dict[str, Decimal]]] = {}
    for group in GROUPS:
        imputed[group] = {}
        if previous is None and spec.next_target is not None:
            ahead = float(spec.next_target.total(group) / spec.target.total(group))
            for code in non_responders:
                imputed[group][code] = Decimal(str(total(raw[group][code]) * ahead)).quantize(CENT)
        elif previous is not None:
            for code in non_responders:
                parts = spec.predecessors[code]
                imputed[group][code] = sum(
                    (decimal_total(previous.reported[group][p]) * Decimal(str(w)) for p, w in parts.items()), Decimal(0)
                ).quantize(CENT)
        factor, reported[group] = _calibrate_group(
            spec, group, raw[group], responders, imputed[group], plans, prev_reported[group]
        )
        state[group] = {u: {c: v * factor for c, v in cells.items()} for u, cells in raw[group].items()}
        clean[group] = {p.unit: round_cells(state[group][p.unit]) for p in plans}
    # Every cell of the grid is answered (0 where the unit has nothing), as respondents do when they fill a grid.
    for group in GROUPS:
        every_cell = spec.layouts[group].cells()
        for unit, cells in reported[group].items():
            reported[group][unit] = {c: cells.get(c, Decimal(0)) for c in every_cell}
    errors = [error_record(spec, plan, reported, clean) for plan in plans]
    rph_rows = spec.layouts[ADULTS].rows_of("rph")
    if rph_rows:
        traits.update({u: spec.layouts[ADULTS].row_total(state[ADULTS][u], "rph") > 0 for u in state[ADULTS]})
    has_rph = {u.code: traits.get(u.code, False) for u in spec.units}
    answered = set(responders)
    comments = {u: c for u, c in comments.items() if u in answered and u not in {p.unit for p in plans}}
    return YearOutcome(
        spec.year, spec.target, responders, non_responders, reported, imputed, comments, errors, has_rph, state
    )


def _previous_reported(spec: YearSpec, previous: YearOutcome | None) -> dict[str, dict[str, dict[str, Decimal]]]:
    """Last year's reported cells, keyed by this year's cell codes the way the form shows them beside each field
    (only cells with a predecessor: a new row starts blank)."""
    out: dict[str, dict[str, dict[str, Decimal]]] = {g: {} for g in GROUPS}
    if previous is None:
        return out
    for group in GROUPS:
        for unit, cells in previous.reported[group].items():
            if spec.cell_map:
                out[group][unit] = {new: cells[old] for new, old in spec.cell_map.items() if old in cells}
            else:
                out[group][unit] = dict(cells)
    return out


def initial_rph(seed: int, units: Sequence[DemoUnit]) -> dict[str, bool]:
    """Which units run Rask psykisk helsehjelp when the run starts (more of the larger ones)."""
    return {u.code: _rng(seed, "rph", u.code).random() < 0.05 + 0.75 * u.size for u in units}


def simulate(seed: int, specs: Sequence[YearSpec]) -> list[YearOutcome]:
    """All years of a run, in order. Deterministic for a seed."""
    outcomes: list[YearOutcome] = []
    traits: dict[str, bool] = initial_rph(seed, specs[0].units) if specs else {}
    previous: YearOutcome | None = None
    for spec in specs:
        for unit in spec.units:
            if unit.code not in traits:  # new codes after a reform inherit from their predecessors
                parts = spec.predecessors.get(unit.code, {})
                traits[unit.code] = any(traits.get(p, False) for p in parts)
        outcome = simulate_year(seed, spec, previous, traits)
        outcomes.append(outcome)
        previous = outcome
    return outcomes
