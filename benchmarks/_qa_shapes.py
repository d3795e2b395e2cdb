"""The error shapes outside testers found the checks missing (issue 17), for benchmarks/qa_detection.py, each planted
at several unit sizes (by last year's årsverk for adults): a single cell ×4 or raised by a few årsverk, a small value
typed as a percentage (0,01–0,04 → 1–4), persons counted as årsverk, a section blanked while its grid keeps an older
comment, and a copy of last year's answers across the 2024 questionnaire change (erfaringskonsulent merged into
ufaglært: copied as the sum, or with the merged column left out).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

# Last year's adults' årsverk: small below 10, medium 10–40, large 40 or more.
SIZES = (("liten", 0.0, 10.0), ("middels", 10.0, 40.0), ("stor", 40.0, math.inf))

# Two passes, each on a fresh copy of the round, so that every (shape, size) gets its own units.
GROUPS: tuple[tuple[tuple[str, str, tuple[str, ...]], ...], ...] = (
    (
        ("cell_x4", "cell_outlier", ("middels", "stor")),
        ("cell_raise", "cell_outlier|unit_error", ("middels", "stor")),
        ("percent_small", "unit_error", ("liten", "middels", "stor")),
    ),
    (
        ("persons", "unit_error", ("liten", "middels", "stor")),
        ("empty_with_comment", "missing", ("liten", "middels", "stor")),
        ("copy_merged_sum", "stale_copy", ("liten", "middels", "stor")),
        ("copy_merged_left_out", "stale_copy", ("liten", "middels", "stor")),
    ),
)


def size_of(unit: Any, grid_code: str) -> str:
    total = unit.previous.grid_totals.get(grid_code, 0.0) if unit.previous is not None else 0.0
    return next(name for name, low, high in SIZES if low <= total < high)


def shape_actions(planter: Any, old_codes: dict[str, str]) -> dict[str, tuple[Callable[[Any], bool], Callable]]:
    """shape → (can it be planted in this unit, plant it and say what was done)."""
    adult = planter.adult()
    children = planter.layout.grid_for("@barn_og_unge")
    rng = planter.rng

    def cells(u: Any, grid: Any = adult) -> dict[str, float]:
        return {c: u.numbers[c] for c in grid.cell_codes if u.numbers.get(c)}

    def with_history(u: Any) -> list[str]:
        return [c for c in cells(u) if float(u.previous.values.get(c) or 0) >= 0.1]

    def x4_cell(u: Any) -> list[str]:
        return [c for c in with_history(u) if cells(u)[c] >= 0.5]

    def x4(u: Any) -> str:
        cell = rng.choice(sorted(x4_cell(u)))
        value = Decimal(str(round(u.numbers[cell] * 4, 2)))
        planter.write(u.code, {cell: value})
        return f"{cell}: {u.numbers[cell]} × 4"

    def raise_cells(u: Any, delta: float) -> list[str]:
        # "A few årsverk" that are a large change for the cell: the cell is at most twice the raise.
        return [c for c in with_history(u) if 0.5 <= cells(u)[c] <= 2 * delta]

    def raise_(u: Any) -> str:
        delta = round(rng.uniform(2, 5), 2)
        found = raise_cells(u, delta) or raise_cells(u, 5.0)
        cell = rng.choice(sorted(found))
        planter.write(u.code, {cell: Decimal(str(round(u.numbers[cell] + delta, 2)))})
        return f"{cell}: {u.numbers[cell]} + {delta}"

    def continuing(u: Any) -> list[str]:
        # Not a cell that merges last year's cells: its true value is the sum, not the one planted.
        return [c for c in cells(u) if c in old_codes and c in u.previous.values and c not in u.previous.primary]

    def percent_small(u: Any) -> str:
        cell = rng.choice(sorted(continuing(u)))
        true = Decimal(rng.choice(["0.01", "0.02", "0.03", "0.04"]))
        planter.write_last(u.previous.sources[0], {old_codes[cell]: true})
        planter.write(u.code, {cell: true * 100})
        return f"{cell}: {true} typed as {true * 100}"

    def persons(u: Any) -> str:
        changes = {c: Decimal(math.ceil(v / rng.uniform(0.45, 0.75))) for c, v in cells(u).items()}
        planter.write(u.code, changes)
        return f"{len(changes)} celler som personer"

    def empty_with_comment(u: Any) -> str:
        grid = adult if rng.random() < 0.5 or not cells(u, children) else children
        section = next(s for s in planter.layout.sections if grid.code in s.grids)
        planter.write(u.code, dict.fromkeys(section.value_codes))
        planter.comment(u.code, grid.code, "Økningen skyldes en ny stilling fra mars.")
        return f"del {section.code} tømt, kommentar på {grid.code} står igjen"

    def merged(u: Any) -> bool:
        return any(float(v or 0) != float(u.previous.values.get(c) or 0) for c, v in u.previous.primary.items())

    def copy(use_primary: bool) -> Callable[[Any], str]:
        def act(u: Any) -> str:
            changes: dict[str, Any] = {}
            for grid in (adult, children):
                for cell in grid.cell_codes:
                    before = u.previous.values.get(cell) if grid.previous_code else None
                    if use_primary and cell in u.previous.primary:
                        before = u.previous.primary[cell] or None
                    changes[cell] = before if isinstance(before, Decimal) else None
            planter.write(u.code, changes)
            return "fjorårets svar kopiert" + (" uten erfaringskonsulenter" if use_primary else " med summen")

        return act

    def copyable(u: Any) -> bool:
        return merged(u) and len(cells(u)) >= 3

    return {
        "cell_x4": (lambda u: bool(x4_cell(u)), x4),
        "cell_raise": (lambda u: bool(raise_cells(u, 5.0)), raise_),
        "percent_small": (lambda u: bool(continuing(u)), percent_small),
        "persons": (lambda u: len(cells(u)) >= 1, persons),
        "empty_with_comment": (lambda u: len(cells(u)) >= 1, empty_with_comment),
        "copy_merged_sum": (copyable, copy(False)),
        "copy_merged_left_out": (copyable, copy(True)),
    }
