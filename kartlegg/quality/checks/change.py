"""Change from last year (docs/quality.md): implausible changes without a comment, and stale copies of last year's grid.

Implausible change compares totals (each årsverk grid, and the questions listed in `questions`), not single cells:
when a questionnaire moves work between rows or columns (Rask psykisk helsehjelp got its own row in 2024), the cells
move but the total does not. Last year's grid total is taken over every cell that grid had, so a column that was
merged into another still counts. Both thresholds must be passed (±30 % and more than 2 årsverk), as the brief says;
a comment on the grid, any of its cells or the question explains the change. Other årsverk questions (vacancies, new
positions from the escalation plan) are not part of the totals and swing freely from year to year, so none is
compared by default. When last year's figure is a population share of a split municipality, it is only an estimate,
and the relative threshold is wider (`estimated_relative`).
"""

from __future__ import annotations

import math

from django.utils.translation import gettext_noop

from .base import (
    WARNING,
    CheckContext,
    FlagCandidate,
    UnitData,
    commented,
    figure,
    fmt,
    is_blank,
    num,
    previous_note,
    register,
)


def _change_flag(
    unit: UnitData, variable: str, label: str, now: float, before: float, codes: tuple[str, ...], ctx: CheckContext
) -> FlagCandidate | None:
    config = ctx.config
    assert unit.previous is not None
    relative_limit = float(config["estimated_relative"] if unit.previous.estimated else config["relative"])
    change = now - before
    relative = change / before if before > 0 else math.inf
    if abs(change) <= float(config["absolute"]) or abs(relative) <= relative_limit:
        return None
    percent = "" if math.isinf(relative) else f" ({'+' if change > 0 else '−'}{fmt(abs(relative) * 100, 0)} %)"
    return FlagCandidate(
        unit=unit.code,
        variable=variable,
        check="implausible_change",
        rule="increase" if change > 0 else "decrease",
        severity=WARNING,
        values={
            "verdi": figure(now),
            "fjor": figure(before),
            "endring": figure(change),
            "endring_prosent": None if math.isinf(relative) else figure(relative * 100, 1),
        },
        explanation=(
            f"{label[:1].upper() + label[1:]} har endret seg fra {fmt(before)} i fjor til {fmt(now)} i år, "
            f"{'en økning' if change > 0 else 'en nedgang'} på {fmt(abs(change))} årsverk{percent}, uten kommentar."
            + previous_note(unit)
        ),
        impact=figure(abs(change)) or 0.0,
        variables=codes,
    )


@register(
    "implausible_change",
    gettext_noop("Usannsynlig endring"),
    {"relative": 0.30, "absolute": 2.0, "estimated_relative": 0.5, "questions": []},
    "Endring fra i fjor på mer enn ±30 % og mer enn 2 årsverk uten kommentar, i summen av hver årsverkstabell (og i "
    "spørsmålene i «questions»).",
)
def implausible_change(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    previous = unit.previous
    if previous is None or not unit.submitted:
        return []
    flags: list[FlagCandidate] = []
    for grid in ctx.layout.grids:
        cells = grid.cells()
        now, filled = unit.total(cells)
        before = previous.grid_totals.get(grid.code)
        if not filled or before is None or commented(unit, cells, grid.code):
            continue
        flag = _change_flag(unit, grid.code, f"summen av {grid.label}", now, before, tuple(cells), ctx)
        if flag is not None:
            flags.append(flag)
    for code in ctx.config["questions"]:
        if code in ctx.layout.definition.questions:
            now_value, before_value = unit.numbers.get(code), num(previous.values.get(code))
            if now_value is None or before_value is None or commented(unit, [code]):
                continue
            flag = _change_flag(unit, code, f"«{ctx.layout.label(code)}»", now_value, before_value, (code,), ctx)
            if flag is not None:
                flags.append(flag)
    return flags


@register(
    "stale_copy",
    gettext_noop("Kopi av fjorårets svar"),
    {"min_filled": 3, "tolerance": 0.005, "assumed_change": 0.05},
    "Alle celler i årsverkstabellene er identiske med fjorårets svar (og minst min_filled av dem er ikke 0).",
)
def stale_copy(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    """Every cell that has a predecessor equals last year's value, compared through `continues` and the columns the
    questionnaire merged (see above). A split unit's last-year figures are population shares, which nobody could copy,
    so it is not checked; a merged unit's sums can be (the form prefills them)."""
    previous = unit.previous
    if previous is None or previous.estimated or not unit.submitted:
        return []
    tolerance = float(ctx.config["tolerance"])
    compared: list[str] = []
    same_nonzero = 0
    total = 0.0
    for grid in ctx.layout.grids:
        if not grid.previous_code:
            continue
        for code in grid.cells():
            now, before = unit.values.get(code), previous.values.get(code)
            if is_blank(now) and is_blank(before):
                continue
            now_n = num(now)
            # A cell that merges last year's cells (erfaringskonsulent into ufaglært in 2024) is a copy when it holds
            # their sum, or the value of the cell it continues alone (the copier left the merged one out).
            matches = [num(before), num(previous.primary.get(code)) if code in previous.primary else None]
            if is_blank(now) and code in previous.primary and not num(previous.primary[code]):
                continue
            if now_n is None or not any(m is not None and abs(now_n - m) <= tolerance for m in matches):
                return []
            compared.append(code)
            total += now_n
            if now_n != 0:
                same_nonzero += 1
    if same_nonzero < int(ctx.config["min_filled"]):
        return []
    share = float(ctx.config["assumed_change"])
    return [
        FlagCandidate(
            unit=unit.code,
            variable="",
            check="stale_copy",
            rule="identical",
            severity=WARNING,
            values={"celler": len(compared), "sum": figure(total)},
            explanation=(
                f"Alle {len(compared)} utfylte celler i årsverkstabellene er identiske med fjorårets svar "
                f"({fmt(total)} årsverk til sammen). Svaret kan være kopiert fra i fjor uten å være oppdatert."
                + previous_note(unit)
            ),
            # The true values are unknown; a typical year's change of a unit's total is the expected error.
            impact=figure(total * share) or 0.0,
            variables=tuple(compared),
        )
    ]
