"""Across questionnaire versions: which variable continues which (predecessor_map, predecessor_sources) and
carrying last version's value over (carry_value). Pure, no ORM.
"""

from __future__ import annotations

from typing import Any

from kartlegg.surveys.definition import (
    Definition,
)

from .values import AnswerError, check_value, dump_value, value_codes, value_kind


def carry_value(defn: Definition, code: str, previous: Definition, old_code: str, value: Any) -> Any:
    """Last version's value of `old_code` as a value of `code` in this version, or None when it cannot be carried.

    The same kind of answer is carried when it is still valid (a choice that still exists, a number within the new
    bounds and decimals); an integer may become a decimal. Across any other change of type only a declared mapping
    carries it: a choice line's `continues` names the old answer it takes over (`{code: ja, continues: "true"}`
    after a yes/no question). Nothing else is carried: a guess would be stored as the unit's answer."""
    question, old = defn.question_for(code), previous.question_for(old_code)
    if question is None or old is None or value is None:
        return None
    kind, old_kind = value_kind(question), value_kind(old)
    mapped = question.choice_continues
    try:
        if kind in ("choice", "multichoice") and mapped:
            items = value if isinstance(value, list) else [value]
            reverse = {old_value: new for new, old_value in mapped.items()}
            converted = [reverse.get(dump_value(item) or "", item if old_kind == kind else None) for item in items]
            if any(item is None for item in converted):
                return None
            return check_value(defn, code, converted if kind == "multichoice" else converted[0])
        if kind == old_kind or (kind == "decimal" and old_kind == "integer"):
            return check_value(defn, code, value)
    except AnswerError:
        return None
    return None


def predecessor_map(defn: Definition, previous: Definition | None = None) -> dict[str, str]:
    """{value code here: value code in the earlier version} for every variable with a predecessor — the same code
    or the one named by `continues` (grid rows/columns may be renamed too). With `previous`, only codes that
    exist there are kept."""
    mapping: dict[str, str] = {}
    for question in defn.questions.values():
        old_code = question.continues or question.code
        if question.is_grid:
            for r, _ in question.rows:
                for c, _ in question.columns:
                    old_row = question.row_continues.get(r, r)
                    old_col = question.column_continues.get(c, c)
                    mapping[f"{question.code}.{r}.{c}"] = f"{old_code}.{old_row}.{old_col}"
        else:
            mapping[question.code] = old_code
    if previous is not None:
        known = set(value_codes(previous))
        mapping = {new: old for new, old in mapping.items() if old in known}
    return mapping


def predecessor_sources(defn: Definition, previous: Definition) -> dict[str, tuple[str, ...]]:
    """{value code here: the earlier codes it takes over} — predecessor_map, plus the rows and columns a grid
    declares as merged into a line (`merges`): 2024's `B_arsverk.ledelse.ufaglart` takes over 2020's
    `…ledelse.ufaglart` and `…ledelse.erfaringskonsulent`. The first code is the one `continues` names (when it
    exists). Only codes that exist in `previous` are kept."""
    known = set(value_codes(previous))
    direct = predecessor_map(defn, previous)
    sources: dict[str, tuple[str, ...]] = {}
    for question in defn.questions.values():
        if not question.is_grid:
            if question.code in direct:
                sources[question.code] = (direct[question.code],)
            continue
        old_grid = question.continues or question.code
        for r, _ in question.rows:
            old_rows = (question.row_continues.get(r, r), *question.row_merges.get(r, ()))
            for c, _ in question.columns:
                old_cols = (question.column_continues.get(c, c), *question.column_merges.get(c, ()))
                code = f"{question.code}.{r}.{c}"
                found = [f"{old_grid}.{orow}.{ocol}" for orow in old_rows for ocol in old_cols]
                found = [old for old in dict.fromkeys(found) if old in known]
                if found:
                    sources[code] = tuple(found)
    return sources
