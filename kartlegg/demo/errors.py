"""Planted errors for QA to find (docs/quality.md): a percentage typed as årsverk, a value ten times last year's, a
stale copy of last year's grid, "no FACT team" with FACT årsverk, and psychologists above the adults' total.

Each error goes to a unit that answered both this year and last under the same code, so "last year's value" is
plain; the calibration keeps planted values fixed and lets the other units carry the national total.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kartlegg.lib.numbers import format_number

from .grids import ADULTS, CENT, CHILDREN, GROUPS, decimal_total, round_cells, total

if TYPE_CHECKING:
    from .sim import YearOutcome, YearSpec


@dataclass(frozen=True)
class PlantedError:
    year: int
    unit: str
    kind: str
    variables: tuple[str, ...]
    reported: dict[str, str]
    expected: dict[str, str]
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "unit": self.unit,
            "kind": self.kind,
            "variables": list(self.variables),
            "reported": self.reported,
            "expected": self.expected,
            "note": self.note,
        }


def _fmt(value: Decimal | float) -> str:
    """Stored form: 2 decimals, point."""
    return format(Decimal(str(value)).quantize(CENT), "f")


def _nb(value: Decimal | float) -> str:
    """Norwegian form for the notes: `0,5`, `1 234,25`, `50`."""
    number = Decimal(str(value)).quantize(CENT).normalize()
    decimals = max(0, -int(number.as_tuple().exponent))
    return format_number(number, decimals, space=" ")


@dataclass
class Plan:
    """A planted error before calibration: how it changes the reported grid of one group, if at all."""

    error_kind: str
    unit: str
    group: str = ""
    cell: str = ""
    value: Decimal | None = None


def plan_errors(
    rng: random.Random,
    spec: YearSpec,
    raw: Mapping[str, Mapping[str, Mapping[str, float]]],
    responders: Sequence[str],
    previous: YearOutcome,
    prev_reported: Mapping[str, Mapping[str, Mapping[str, Decimal]]],
) -> list[Plan]:
    """3–6 errors of the kinds QA looks for (docs/quality.md), each in a different unit that answered both years under
    the same code, so "last year's value" is plain."""
    candidates = [
        code
        for code in responders
        if spec.predecessors.get(code) == {code: 1.0} and code in previous.responders and code not in spec.leave_open
    ]
    rng.shuffle(candidates)
    used: set[str] = set()
    plans: list[Plan] = []
    adult = spec.layouts[ADULTS]

    def pick(test: Any) -> str | None:
        for code in candidates:
            if code not in used and test(code):
                used.add(code)
                return code
        return None

    def small_cell(group: str, code: str) -> str:
        cells = [c for c, v in raw[group].get(code, {}).items() if 0.2 <= v <= 0.9]
        return rng.choice(sorted(cells)) if cells else ""

    kinds = ["percent_as_fte", "tenfold", "stale_copy", "fact_no", "psychologists_gt_total"]
    if rng.random() < 0.5:
        kinds.append("percent_as_fte_children")
    for kind in kinds:
        if kind.startswith("percent_as_fte"):
            group = CHILDREN if kind.endswith("children") else ADULTS
            unit = pick(lambda c, g=group: bool(small_cell(g, c)))
            if unit:
                plans.append(Plan("percent_as_fte", unit, group, small_cell(group, unit)))
        elif kind == "tenfold":

            def steady(code: str) -> list[str]:
                now, before = raw[ADULTS].get(code, {}), prev_reported[ADULTS].get(code, {})
                return sorted(c for c, v in before.items() if 1 <= v <= 20 and 0.7 < now.get(c, 0.0) / float(v) < 1.4)

            unit = pick(lambda c: bool(steady(c)))
            if unit:
                cell = rng.choice(steady(unit))
                plans.append(Plan(kind, unit, ADULTS, cell, (prev_reported[ADULTS][unit][cell] * 10).quantize(CENT)))
        elif kind == "stale_copy":
            unit = pick(lambda c: total(raw[ADULTS].get(c, {})) > 2)
            if unit:
                plans.append(Plan(kind, unit))
        elif kind == "fact_no":
            unit = pick(lambda c: adult.row_total(raw[ADULTS].get(c, {}), "fact") >= 0.5)
            if unit:
                plans.append(Plan(kind, unit))
        elif kind == "psychologists_gt_total":
            unit = pick(lambda c: 1 < total(raw[ADULTS].get(c, {})) < 15)
            if unit:
                plans.append(Plan(kind, unit))
    return plans


def apply_plans(
    plans: Sequence[Plan], group: str, scaled: Mapping[str, float], unit: str, prev: Mapping[str, Decimal]
) -> dict[str, Decimal] | None:
    """The reported grid of an error unit for one group, or None when its errors do not touch this grid."""
    mine = [p for p in plans if p.unit == unit and (p.group in ("", group))]
    if any(p.error_kind == "stale_copy" for p in mine):
        return dict(prev)
    touching = [p for p in mine if p.group == group and p.cell]
    if not touching:
        return None
    cells = round_cells(scaled)
    for plan in touching:
        if plan.error_kind == "percent_as_fte":
            expected = max(Decimal("0.1"), Decimal(str(scaled.get(plan.cell, 0.0))).quantize(Decimal("0.1")))
            plan.value = expected
            cells[plan.cell] = (expected * 100).quantize(CENT)
        elif plan.value is not None:
            cells[plan.cell] = plan.value
    return cells


def error_record(spec: YearSpec, plan: Plan, reported: Mapping[str, Any], clean: Mapping[str, Any]) -> PlantedError:
    year, unit = spec.year, plan.unit
    adult, children = spec.layouts[ADULTS], spec.layouts[CHILDREN]
    if plan.error_kind == "percent_as_fte":
        value = reported[plan.group][unit][plan.cell]
        return PlantedError(
            year,
            unit,
            plan.error_kind,
            (plan.cell,),
            {plan.cell: _fmt(value)},
            {plan.cell: _fmt(plan.value or 0)},
            f"Stillingsprosent ført som årsverk: {_nb(value)} i stedet for {_nb(plan.value or 0)}.",
        )
    if plan.error_kind == "tenfold":
        value = reported[ADULTS][unit][plan.cell]
        expected = clean[ADULTS][unit][plan.cell]
        return PlantedError(
            year,
            unit,
            plan.error_kind,
            (plan.cell,),
            {plan.cell: _fmt(value)},
            {plan.cell: _fmt(expected)},
            f"Verdien er 10 × fjorårets ({_nb(value / 10)}).",
        )
    if plan.error_kind == "stale_copy":
        return PlantedError(
            year,
            unit,
            plan.error_kind,
            (adult.code, children.code),
            {g: _fmt(decimal_total(reported[g][unit])) for g in GROUPS},
            {g: _fmt(decimal_total(clean[g][unit])) for g in GROUPS},
            "Alle celler er identiske med fjorårets svar (kopiert uten oppdatering).",
        )
    fact = adult.row_total({c: float(v) for c, v in reported[ADULTS][unit].items()}, "fact")
    if plan.error_kind == "fact_no":
        return PlantedError(
            year,
            unit,
            plan.error_kind,
            ("E_fact", *(adult.cell(r, c) for r in adult.rows_of("fact") for c in adult.columns)),
            {"E_fact": "false"},
            {"E_fact": "true"},
            f"Svart nei på FACT-team, men {_nb(fact)} årsverk er ført på oppsøkende team.",
        )
    grid_total = decimal_total(reported[ADULTS][unit])
    claimed = Decimal(math.ceil(float(grid_total) * 1.6) + 1)
    psych = sum(
        (v for c, v in reported[ADULTS][unit].items() if adult.column_kinds.get(c.split(".")[2]) == "psykolog"),
        Decimal(0),
    )
    return PlantedError(
        year,
        unit,
        plan.error_kind,
        ("B_psykolog_totalt",),
        {"B_psykolog_totalt": _fmt(claimed)},
        {"B_psykolog_totalt": _fmt(psych)},
        f"Psykologårsverk oppgitt til {_nb(claimed)}, flere enn alle årsverk for voksne ({_nb(grid_total)}).",
    )
