"""Synthetic demo data: the årsverk grids, as pure functions on plain data (no ORM).

The national sums match the published totals (published/is24_8_national_arsverk.csv), in the way the statistics
count them: the sum over the units that answered, plus, for each unit that did not, its last reported year's
årsverk. Everything below works on floats for speed and rounds to 2 decimals (Decimal) only at the end.

- targets_for(): the national adult and children's totals per year; 2021 (no published level) is interpolated
  linearly between 2020 and 2022, and years after the last published one are carried forward with the average
  yearly growth of the last four published years.
- GridLayout / layout_for(): which row of a grid is which service area, and which column which education group,
  recognised from the codes and labels of the questionnaire version (so a new version needs no code change).
- initial_grid() spreads a unit's total over service areas and education groups; grow_grid() carries a unit's
  figures from one year to the next (growth plus small noise, and now and then a new or closed service, which
  gets a comment as a respondent would write one).
- calibrate() finds the factor that makes the national sum hit the target, keeping fixed the values that must not
  move (planted errors, stale copies, imputed non-responders); round_and_fix() rounds to 2 decimals and puts the
  few hundredths of rounding residual on the largest cell.

The other parts of the demo app: profiles (shares of service areas and education groups), sim (the years one after
another, who answers), errors (errors planted for QA), answers (the other sections), text (free text), store
(writing to the database), run (one run of manage.py make_demo_data) and users (the demo logins).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .profiles import (
    ADULT_AREA_PATTERNS,
    ADULTS,
    CHILD_AREA_PATTERNS,
    CHILDREN,
    EDUCATION_PATTERNS,
    FALLBACK_AREA,
    FALLBACK_KINDS,
    PEER_SHARE,
    PROFILES,
    AreaProfile,
)

CENT = Decimal("0.01")
GROUPS = (ADULTS, CHILDREN)
PUBLISHED_SCOPE = "psykisk helse- og rusarbeid"


class DemoDataError(ValueError):
    """The demo data cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    population: int
    population_0_17: int
    population_18_plus: int

    @property
    def size(self) -> float:
        """0 for 1 000 inhabitants or fewer, 1 for 100 000 or more, on a log scale."""
        return min(1.0, max(0.0, (math.log10(max(self.population, 1)) - 3.0) / 2.0))


@dataclass(frozen=True)
class Target:
    year: int
    adults: Decimal
    children: Decimal
    basis: str  # "publisert", "interpolert" or "framskrevet"

    def total(self, group: str) -> Decimal:
        return self.adults if group == ADULTS else self.children


def parse_published(rows: Iterable[Mapping[str, str]]) -> dict[int, tuple[Decimal, Decimal]]:
    """Published (adults, children) per year, from the rows of is24_8_national_arsverk.csv. Rows without levels
    (2021) and rows of another scope (2010 had no rus work) are left out."""
    found: dict[int, tuple[Decimal, Decimal]] = {}
    for row in rows:
        adults, children = (row.get("arsverk_voksne") or "").strip(), (row.get("arsverk_barn_og_unge") or "").strip()
        if not adults or not children or (row.get("scope") or "").strip() != PUBLISHED_SCOPE:
            continue
        try:
            found[int(row["year"])] = (Decimal(adults), Decimal(children))
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise DemoDataError(f"Ugyldig rad i publiserte tall: {dict(row)!r}") from exc
    return found


def targets_for(published: Mapping[int, tuple[Decimal, Decimal]], years: Iterable[int]) -> dict[int, Target]:
    if len(published) < 2:
        raise DemoDataError("Trenger minst to publiserte år for å lage demodata.")
    known = sorted(published)
    result: dict[int, Target] = {}
    for year in years:
        if year in published:
            adults, children = published[year]
            result[year] = Target(year, adults, children, "publisert")
            continue
        before = [y for y in known if y < year]
        after = [y for y in known if y > year]
        if not before:
            raise DemoDataError(f"Ingen publiserte tall før {year}; kan ikke lage demodata for det året.")
        if after:
            lo, hi = before[-1], after[0]
            share = Decimal(year - lo) / Decimal(hi - lo)
            values = [published[lo][i] + (published[hi][i] - published[lo][i]) * share for i in (0, 1)]
            basis = "interpolert"
        else:
            last = known[-1]
            first = min((y for y in known if y >= last - 4), default=known[0])
            span = max(1, last - first)
            values = []
            for i in (0, 1):
                growth = (float(published[last][i]) / float(published[first][i])) ** (1 / span)
                values.append(Decimal(str(float(published[last][i]) * growth ** (year - last))))
            basis = "framskrevet"
        result[year] = Target(year, values[0].quantize(CENT), values[1].quantize(CENT), basis)
    return result


def classify(code: str, label: str, patterns: Sequence[tuple[str, str]], default: str) -> str:
    text = f"{code} {label}".lower()
    for kind, pattern in patterns:
        if re.search(pattern, text):
            return kind
    return default


@dataclass(frozen=True)
class GridLayout:
    """One årsverk grid of one questionnaire version, with its rows and columns recognised."""

    group: str  # ADULTS or CHILDREN
    code: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    row_kinds: Mapping[str, str] = field(default_factory=dict)
    column_kinds: Mapping[str, str] = field(default_factory=dict)
    row_labels: Mapping[str, str] = field(default_factory=dict)

    def cell(self, row: str, column: str) -> str:
        return f"{self.code}.{row}.{column}"

    def cells(self) -> list[str]:
        return [self.cell(r, c) for r in self.rows for c in self.columns]

    def rows_of(self, kind: str) -> list[str]:
        return [r for r in self.rows if self.row_kinds.get(r) == kind]

    def columns_of(self, kind: str) -> list[str]:
        return [c for c in self.columns if self.column_kinds.get(c) == kind]

    def row_total(self, cells: Mapping[str, float], kind: str) -> float:
        return sum(cells.get(self.cell(r, c), 0.0) for r in self.rows_of(kind) for c in self.columns)

    def column_total(self, cells: Mapping[str, float], kind: str) -> float:
        return sum(cells.get(self.cell(r, c), 0.0) for r in self.rows for c in self.columns_of(kind))


def layout_for(
    group: str, code: str, rows: Sequence[tuple[str, str]], columns: Sequence[tuple[str, str]]
) -> GridLayout:
    area_patterns = ADULT_AREA_PATTERNS if group == ADULTS else CHILD_AREA_PATTERNS
    return GridLayout(
        group=group,
        code=code,
        rows=tuple(r for r, _ in rows),
        columns=tuple(c for c, _ in columns),
        row_kinds={r: classify(r, label, area_patterns, "andre") for r, label in rows},
        column_kinds={c: classify(c, label, EDUCATION_PATTERNS, "annen_hoy") for c, label in columns},
        row_labels=dict(rows),
    )


def unit_level(rng: random.Random, unit: DemoUnit, group: str) -> float:
    """A unit's årsverk before national scaling (relative units): its age band's population times a per-capita
    factor. Small municipalities have relatively more (a minimum staff whatever the size); the noise is lognormal;
    some of the tiniest have no children's årsverk at all, and a very few none for adults."""
    population = unit.population_18_plus if group == ADULTS else unit.population_0_17
    if population <= 0:
        return 0.0
    if unit.population < 1500 and rng.random() < (0.06 if group == ADULTS else 0.3):
        return 0.0
    per_capita = (max(population, 200) / 10_000) ** -0.15
    return population * per_capita * rng.lognormvariate(0.0, 0.3)


def mix_share(mix: Mapping[str, float], kind: str, has_peer_column: bool) -> float:
    if kind == "erfaring":
        return PEER_SHARE * mix.get("ufaglaert", 0.0)
    if kind == "ufaglaert" and has_peer_column:
        return (1 - PEER_SHARE) * mix.get("ufaglaert", 0.0)
    return mix.get(kind, 0.0)


def area_profile(layout: GridLayout, row: str) -> AreaProfile:
    return PROFILES[layout.group].get(layout.row_kinds.get(row, ""), FALLBACK_AREA)


def initial_grid(
    rng: random.Random, layout: GridLayout, total: float, size: float, rows: Sequence[str] | None = None
) -> dict[str, float]:
    """Spread `total` årsverk over the grid: pick the services the unit has (bigger units have more kinds), then
    the education mix of each. `rows` forces the services (used when one new service opens)."""
    if total <= 0:
        return {}
    areas: dict[str, float] = {}
    for row in rows if rows is not None else layout.rows:
        low, high = area_profile(layout, row).presence
        if rows is not None or rng.random() < low + (high - low) * size:
            areas[row] = area_profile(layout, row).weight * rng.lognormvariate(0.0, 0.35)
    if not areas:  # every unit has at least its main service
        areas[max(layout.rows, key=lambda r: area_profile(layout, r).weight)] = 1.0
    scale = total / sum(areas.values())
    peer = bool(layout.columns_of("erfaring"))
    cells: dict[str, float] = {}
    for row, weight in areas.items():
        area_total = weight * scale
        mix = area_profile(layout, row).mix
        base = {c: mix_share(mix, layout.column_kinds.get(c, ""), peer) for c in layout.columns}
        shares: dict[str, float] = {}
        for column, share in base.items():
            # A cell expected to hold a whole årsverk or more is nearly always there; tiny ones often are not.
            if share > 0 and rng.random() < min(1.0, 0.25 + area_total * share / 1.5):
                shares[column] = share * rng.lognormvariate(0.0, 0.5)
        if not shares:
            shares[max(layout.columns, key=lambda c: base[c])] = 1.0
        share_sum = sum(shares.values())
        for column, share in shares.items():
            cells[layout.cell(row, column)] = area_total * share / share_sum
    return cells


@dataclass
class GrowthStep:
    cells: dict[str, float]
    comments: dict[str, str] = field(default_factory=dict)
    event: str = ""


def grow_grid(
    rng: random.Random,
    layout: GridLayout,
    cells: Mapping[str, float],
    growth: float,
    size: float,
    year: int,
    event_chance: float = 0.02,
) -> GrowthStep:
    """Next year's figures: last year's times the national growth, a unit factor (sd 3.5 %) and a cell factor
    (sd 5 %). With `event_chance` a service opens (or a small one closes) and the respondent comments on it on the
    grid, so QA's implausible-change check finds real, explained changes rather than noise."""
    unit_factor = growth * rng.lognormvariate(0.0, 0.035)
    grown = {code: value * unit_factor * rng.lognormvariate(0.0, 0.05) for code, value in cells.items() if value > 0}
    step = GrowthStep(grown)
    if not grown or rng.random() >= event_chance:
        return step
    present = {row for row in layout.rows if _row_sum(layout, grown, row) > 0}
    absent = [r for r in layout.rows if r not in present and layout.row_kinds.get(r) not in ("ledelse", "andre")]
    closable = [
        r
        for r in layout.rows
        if r in present and _row_sum(layout, grown, r) < 3 and layout.row_kinds.get(r) != "oppfolging"
    ]
    if absent and (rng.random() < 0.75 or not closable):
        row = rng.choice(absent)
        added = initial_grid(rng, layout, rng.uniform(1.5, 4.5) * (0.5 + size), size, rows=[row])
        grown.update(added)
        step.comments[layout.code] = f"Nytt tilbud fra {year}: {layout.row_labels.get(row, row).lower()}."
        step.event = f"opened:{row}"
    elif closable:
        row = rng.choice(closable)
        for column in layout.columns:
            grown.pop(layout.cell(row, column), None)
        step.comments[layout.code] = f"Tilbudet er lagt ned i {year}: {layout.row_labels.get(row, row).lower()}."
        step.event = f"closed:{row}"
    return step


def _row_sum(layout: GridLayout, cells: Mapping[str, float], row: str) -> float:
    return sum(cells.get(layout.cell(row, c), 0.0) for c in layout.columns)


def remap(cells: Mapping[str, float], mapping: Mapping[str, str], old: GridLayout, new: GridLayout) -> dict[str, float]:
    """Carry one unit's cells into a new questionnaire version. `mapping` is new cell code → old cell code
    (engine.predecessor_map). An old cell without a successor goes to the new cell in the same row whose column
    is of the same kind or its fallback kind (peer workers → unskilled/other in 2024); otherwise it is dropped."""
    reverse = {old_code: new_code for new_code, old_code in mapping.items()}
    row_map: dict[str, str] = {}
    for new_code, old_code in mapping.items():
        if new_code.startswith(new.code + ".") and old_code.startswith(old.code + "."):
            row_map.setdefault(old_code.split(".")[1], new_code.split(".")[1])
    moved: dict[str, float] = {}
    for code, value in cells.items():
        target = reverse.get(code)
        if target is None:
            _, row, column = code.split(".")
            kind = old.column_kinds.get(column, "")
            for candidate in (kind, *FALLBACK_KINDS.get(kind, ())):
                columns = new.columns_of(candidate)
                if row in row_map and columns:
                    target = new.cell(row_map[row], columns[0])
                    break
        if target is not None:
            moved[target] = moved.get(target, 0.0) + value
    return moved


def split_out_row(
    rng: random.Random, layout: GridLayout, cells: dict[str, float], new_row: str, from_kind: str
) -> dict[str, float]:
    """A version that gives a service its own row (Rask psykisk helsehjelp, 2024) moves part of the row it was
    counted under: 12–25 % of its psychologist and college-educated cells, less than QA's 30 % change limit."""
    sources = [r for r in layout.rows_of(from_kind) if r != new_row]
    kinds = ("psykolog", "hs_med", "hs_uten")
    moved: dict[str, float] = {}
    share = rng.uniform(0.12, 0.25)
    for row in sources:
        for column in layout.columns:
            code = layout.cell(row, column)
            if layout.column_kinds.get(column) in kinds and cells.get(code, 0.0) > 0:
                amount = cells[code] * share
                cells[code] -= amount
                target = layout.cell(new_row, column)
                moved[target] = moved.get(target, 0.0) + amount
    cells.update(moved)
    return moved


def combine(parts: Iterable[tuple[Mapping[str, float], float]]) -> dict[str, float]:
    """A unit made of others (a merge sums them; a split takes a share): Σ weight × cells."""
    out: dict[str, float] = {}
    for cells, weight in parts:
        for code, value in cells.items():
            out[code] = out.get(code, 0.0) + value * weight
    return out


def submission_times(
    rng: random.Random, count: int, deadline: dt.datetime, last_days: int = 3, weeks: int = 3, share_late: float = 0.65
) -> list[dt.datetime]:
    """When the units sent in: spread over the last `weeks` weeks before the deadline, most (share_late) in the last
    `last_days` days, in office hours. `deadline` is an aware datetime (the end of the deadline day)."""
    times = []
    for _ in range(count):
        # Whole days, so that office hours on the earliest day still fall inside the window.
        days_before = rng.uniform(0, last_days) if rng.random() < share_late else rng.uniform(last_days, 7 * weeks - 1)
        day = (deadline - dt.timedelta(days=days_before)).date()
        moment = dt.datetime.combine(day, dt.time(8), tzinfo=deadline.tzinfo) + dt.timedelta(
            minutes=rng.randint(0, 8 * 60)
        )
        times.append(min(moment, deadline - dt.timedelta(minutes=rng.randint(1, 120))))
    return times


def total(cells: Mapping[str, float]) -> float:
    return math.fsum(cells.values())


def calibrate(free_total: float, fixed_total: float, target: float) -> float:
    """The factor for the free (scalable) values so that factor × free + fixed = target."""
    if free_total <= 0:
        raise DemoDataError("Ingen svarende enheter å fordele årsverkene på.")
    factor = (target - fixed_total) / free_total
    if factor <= 0:
        raise DemoDataError(f"De faste verdiene ({fixed_total:.0f}) overstiger målet ({target:.0f}).")
    return factor


def to_cents(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# The questionnaire warns when a cell looks like a percentage; clean demo cells step aside by one hundredth.
PERCENT_LIKE = frozenset(Decimal(v) for v in (25, 50, 75, 100))


def round_cells(cells: Mapping[str, float]) -> dict[str, Decimal]:
    rounded = {}
    for code, value in cells.items():
        cents = to_cents(value)
        rounded[code] = cents + CENT if cents in PERCENT_LIKE else cents
    return rounded


def round_and_fix(
    free: Mapping[str, Mapping[str, float]], fixed_sum: Decimal, target: Decimal
) -> dict[str, dict[str, Decimal]]:
    """Round the free units' cells to cents and put the rounding residual (a few hundredths of an årsverk per
    hundred units) on the largest free cell, so that free + fixed_sum equals the target to the cent."""
    rounded = {unit: round_cells(cells) for unit, cells in free.items()}
    current = sum((v for cells in rounded.values() for v in cells.values()), Decimal(0)) + fixed_sum
    residual = target - current
    if residual and any(rounded.values()):
        unit, code = max(
            ((u, c) for u, cells in rounded.items() for c in cells), key=lambda uc: (rounded[uc[0]][uc[1]], uc)
        )
        if rounded[unit][code] + residual >= 0:
            rounded[unit][code] += residual
    return rounded


def decimal_total(cells: Mapping[str, Decimal]) -> Decimal:
    return sum(cells.values(), Decimal(0))
