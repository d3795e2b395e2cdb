"""The questionnaire engine: pure functions over a Definition (no ORM), used by the form, the API, imports,
QA and statistics alike, so a value is parsed and validated the same way whichever channel it comes through.

- value_codes(defn): every storable variable code, in questionnaire order (grid cells as grid.row.col).
- parse_answer(defn, code, raw): text/number from a user → Python value, or AnswerError with a Norwegian message.
- dump_value / load_value: the text form stored in the database, and back.
- relevant_codes(defn, values): the questions shown under the skip logic.
- validate(defn, values, comments, context): required fields, ranges and rules → errors and warnings.
- grid_totals(defn, grid, values): row, column and grand totals (computed, never stored).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kartlegg.lib.numbers import NumberParseError, format_number, parse_decimal
from kartlegg.surveys import expressions as ex
from kartlegg.surveys.definition import (
    CELL_VARIABLE,
    NUMBER_LIMIT,
    NUMERIC_TYPES,
    QUESTION_TYPES,
    RESERVED_VARIABLES,
    TEXT_MAX_LENGTH,
    Definition,
    Question,
    Rule,
    Section,
    definition_from_dict,
    definition_to_dict,
)

__all__ = [
    "CELL_VARIABLE",
    "NUMERIC_TYPES",
    "QUESTION_TYPES",
    "RESERVED_VARIABLES",
    "TEXT_MAX_LENGTH",
    "AnswerError",
    "Definition",
    "Issue",
    "Question",
    "Rule",
    "Section",
    "ValidationResult",
    "definition_from_dict",
    "definition_to_dict",
    "dump_value",
    "grid_totals",
    "load_value",
    "parse_answer",
    "carry_value",
    "check_value",
    "predecessor_map",
    "predecessor_sources",
    "relevant_codes",
    "validate",
    "value_codes",
]

_YES = {"ja", "j", "yes", "y", "true", "1", "sant"}
_NO = {"nei", "n", "no", "false", "0", "usant"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_DATE_NB = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class AnswerError(ValueError):
    """A value that cannot be stored for this variable. `message` is Norwegian and safe to show to respondents."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def value_codes(defn: Definition) -> list[str]:
    codes: list[str] = []
    for question in defn.questions.values():
        codes.extend(question.cell_codes() if question.is_grid else [question.code])
    return codes


def _short(raw: Any, limit: int = 40) -> str:
    text = str(raw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bound_text(value: Decimal) -> str:
    decimals = max(0, -int(value.normalize().as_tuple().exponent)) if value == value.to_integral_value() else 2
    return format_number(value, decimals if value != value.to_integral_value() else 0, space=" ")


def _parse_number(question: Question, code: str, raw: Any, kind: str) -> Decimal | None:
    if kind == "percent" and isinstance(raw, str):
        # A percent question may be typed with its sign; elsewhere `50 %` is a unit mistake and rejected.
        raw = raw.strip().removesuffix("%")
    max_decimals = question.effective_decimals()
    try:
        value = parse_decimal(raw, max_decimals=max_decimals)
    except NumberParseError as exc:
        message = str(exc)
        if kind == "integer" and "desimaler" in message:
            message = "Skriv et helt tall (uten desimaler)."
        raise AnswerError(code, message) from exc
    if value is None:
        return None
    if abs(value) >= NUMBER_LIMIT:
        raise AnswerError(code, "Tallet er urimelig stort.")
    low, high = question.effective_bounds()
    if low is not None and value < low:
        if low == 0:
            raise AnswerError(code, "Verdien kan ikke være negativ.")
        raise AnswerError(code, f"Verdien kan ikke være mindre enn {_bound_text(low)}.")
    if high is not None and value > high:
        raise AnswerError(code, f"Verdien kan ikke være større enn {_bound_text(high)}.")
    return value


def _parse_yesno(code: str, raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text == "":
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise AnswerError(code, "Svar ja eller nei.")


def _match_choice(question: Question, code: str, raw: Any) -> str:
    text = str(raw).strip()
    codes = [c for c, _ in question.choices]
    if text in codes:
        return text
    # Spreadsheet imports often carry the label rather than the code.
    for choice_code, label in question.choices:
        if text.casefold() in (choice_code.casefold(), label.casefold()):
            return choice_code
    raise AnswerError(code, f"«{_short(text)}» er ikke et av svaralternativene ({', '.join(codes)}).")


def _parse_multichoice(question: Question, code: str, raw: Any) -> list[str] | None:
    if isinstance(raw, str):
        items = [part for part in re.split(r"[,;\n]", raw) if part.strip()]
    elif isinstance(raw, list | tuple | set | frozenset):
        items = [item for item in raw if item is not None and str(item).strip()]
    else:
        raise AnswerError(code, "Velg ett eller flere svaralternativer.")
    chosen = {_match_choice(question, code, item) for item in items}
    ordered = [c for c, _ in question.choices if c in chosen]
    return ordered or None


def _parse_text(question: Question, code: str, raw: Any) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise AnswerError(code, "Svaret må være tekst.")
    text = unicodedata.normalize("NFC", str(raw)).replace("\r\n", "\n").replace("\r", "\n").strip()
    if text == "":
        return None
    if _CONTROL.search(text):
        raise AnswerError(code, "Teksten inneholder ugyldige kontrolltegn.")
    limit = question.max_length or TEXT_MAX_LENGTH
    if len(text) > limit:
        raise AnswerError(
            code,
            f"Teksten er for lang ({format_number(len(text), space=' ')} tegn); "
            f"høyst {format_number(limit, space=' ')} tegn er tillatt.",
        )
    return text


def _parse_date(code: str, raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    if text == "":
        return None
    try:
        if match := _DATE_NB.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise AnswerError(code, "Datoen finnes ikke.") from exc
    raise AnswerError(code, "Skriv datoen som dd.mm.åååå, for eksempel 15.03.2024.")


def parse_answer(defn: Definition, code: str, raw: Any) -> Any:
    """Parse one raw value (form text, JSON value or spreadsheet cell) for variable `code`. Blank is None."""
    question = defn.question_for(code)
    if question is None:
        raise AnswerError(code, f"Ukjent variabel «{_short(code)}».")
    if question.is_grid and code == question.code:
        raise AnswerError(code, "Et rutenett fylles ut celle for celle.")
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    kind = question.cell_type if question.is_grid else question.type
    if kind in NUMERIC_TYPES:
        return _parse_number(question, code, raw, kind)
    if kind == "yesno":
        return _parse_yesno(code, raw)
    if kind == "choice":
        return _match_choice(question, code, raw)
    if kind == "multichoice":
        return _parse_multichoice(question, code, raw)
    if kind == "date":
        return _parse_date(code, raw)
    return _parse_text(question, code, raw)


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (Decimal, int),
    "decimal": (Decimal, int),
    "percent": (Decimal, int),
    "yesno": (bool,),
    "choice": (str,),
    "multichoice": (list, tuple),
    "date": (dt.date,),
    "text": (str,),
}


def value_kind(question: Question) -> str:
    """The type of one stored value of the question (a grid's cells are integer or decimal)."""
    return question.cell_type if question.is_grid else question.type


def check_value(defn: Definition, code: str, value: Any) -> Any:
    """An already typed value (prefill, undo, a stored value carried over) checked against the question as it is
    now: its Python type, then the same rules as parse_answer (choices, ranges, decimals, length). Returns the value
    as parse_answer would give it; raises AnswerError. This is the write path's last guard, so "true" never lands
    in a choice question."""
    question = defn.question_for(code)
    if question is None:
        raise AnswerError(code, f"Ukjent variabel «{_short(code)}».")
    if value is None:
        return None
    kind = value_kind(question)
    expected = _PYTHON_TYPES.get(kind, (str,))
    wrong_bool = isinstance(value, bool) and bool not in expected
    if wrong_bool or not isinstance(value, expected) or (kind != "date" and isinstance(value, dt.datetime)):
        raise AnswerError(code, f"«{_short(dump_value(value))}» passer ikke til spørsmålet (type {kind}).")
    return parse_answer(defn, code, value)


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


def dump_value(value: Any) -> str | None:
    """The stored text form: numbers without exponent, booleans as true/false, lists comma-joined, ISO dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, int | float):
        return dump_value(Decimal(str(value)))
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) if value else None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def load_value(defn: Definition, code: str, text: str | None) -> Any:
    """Read a stored text back without re-checking ranges (the definition may have changed since it was saved)."""
    if text is None:
        return None
    question = defn.question_for(code)
    if question is None:
        return text
    kind = question.cell_type if question.is_grid else question.type
    try:
        if kind in NUMERIC_TYPES:
            return Decimal(text) if text != "" else None
        if kind == "yesno":
            return text.strip().lower() in _YES if text.strip() else None
        if kind == "multichoice":
            return [part for part in text.split(",") if part] or None
        if kind == "date":
            return dt.date.fromisoformat(text) if text else None
    except (InvalidOperation, ValueError):
        return None
    return text


def _coerce(defn: Definition, code: str, value: Any) -> Any:
    """Values from callers are normally parsed already; raw text is tolerated, and unparseable text is blank."""
    if value is None or isinstance(value, bool | Decimal | dt.date | list):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    try:
        return parse_answer(defn, code, value)
    except AnswerError:
        return None


def _lookup(defn: Definition, values: dict[str, Any], shown: set[str] | None, context: dict[str, Any]) -> Any:
    def lookup(name: str) -> Any:
        if name in RESERVED_VARIABLES or name == CELL_VARIABLE:
            if name == "_year" and context.get(name) is None:
                return defn.year or None
            return context.get(name)
        codes = defn.expand(name)
        question = defn.question_for(codes[0]) if codes else None
        # A hidden question's answer does not count: it is treated as blank.
        if question is not None and shown is not None and question.code not in shown:
            return [None] * len(codes) if question.is_grid and len(codes) > 1 else None
        if question is not None and question.is_grid and (len(codes) > 1 or "*" in name or name == question.code):
            return [_coerce(defn, c, values.get(c)) for c in codes]
        return _coerce(defn, name, values.get(name))

    return lookup


def relevant_codes(defn: Definition, values: dict[str, Any], context: dict[str, Any] | None = None) -> set[str]:
    """Question codes shown under the skip logic. Relevance may refer only to earlier questions (checked at
    import), so one pass in order is enough, and a question hidden earlier hides its dependants too."""
    shown: set[str] = set()
    lookup = _lookup(defn, values, shown, context or {})
    for question in defn.questions.values():
        if not question.relevance or ex.truthy(defn.compiled(question.relevance).evaluate(lookup)):
            shown.add(question.code)
    return shown


@dataclass(frozen=True)
class Issue:
    rule_code: str
    message: str
    variables: list[str]
    severity: str
    explained: bool = False


@dataclass
class ValidationResult:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    relevant: set[str] = field(default_factory=set)

    @property
    def unexplained_warnings(self) -> list[Issue]:
        return [w for w in self.warnings if not w.explained]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def can_submit(self) -> bool:
        return not self.errors and not self.unexplained_warnings

    def by_variable(self) -> dict[str, list[Issue]]:
        found: dict[str, list[Issue]] = {}
        for issue in self.errors + self.warnings:
            for variable in issue.variables:
                found.setdefault(variable, []).append(issue)
        return found


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _explained(defn: Definition, variables: list[str], comments: dict[str, str]) -> bool:
    """A comment on the variable itself, on its grid, or (for a whole grid) on any of its cells explains it."""
    for variable in variables:
        candidates = {variable}
        question = defn.question_for(variable)
        if question is not None and question.is_grid:
            candidates.add(question.code)
            if variable == question.code:
                candidates.update(question.cell_codes())
        if any((comments.get(c) or "").strip() for c in candidates):
            return True
    return False


def validate(
    defn: Definition,
    values: dict[str, Any],
    comments: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
) -> ValidationResult:
    """Check required fields, ranges and rules. `context` supplies the reserved variables (_population_total…);
    missing ones are blank, so rules written as `empty(_population_total) or …` simply pass."""
    comments = comments or {}
    context = dict(context or {})
    shown = relevant_codes(defn, values, context)
    result = ValidationResult(relevant=shown)
    lookup = _lookup(defn, values, shown, context)

    for question in defn.questions.values():
        if question.code not in shown:
            continue
        codes = question.cell_codes() if question.is_grid else [question.code]
        parsed = {code: _coerce(defn, code, values.get(code)) for code in codes}
        if question.required and all(_is_blank(v) for v in parsed.values()):
            what = "Fyll ut minst én celle i tabellen." if question.is_grid else "Feltet må fylles ut."
            result.errors.append(Issue(f"required.{question.code}", what, [question.code], "error"))
        for code, value in parsed.items():
            message = _range_problem(question, value)
            if message:
                result.errors.append(Issue(f"range.{code}", message, [code], "error"))

    for rule in defn.rules:
        for issue in _check_rule(defn, rule, lookup, shown, context, values):
            if issue.severity == "warning":
                explained = _explained(defn, issue.variables, comments)
                result.warnings.append(Issue(issue.rule_code, issue.message, issue.variables, "warning", explained))
            else:
                result.errors.append(issue)
    return result


def _range_problem(question: Question, value: Any) -> str:
    if not isinstance(value, Decimal):
        return ""
    low, high = question.effective_bounds()
    if low is not None and value < low:
        return f"Verdien kan ikke være mindre enn {_bound_text(low)}."
    if high is not None and value > high:
        return f"Verdien kan ikke være større enn {_bound_text(high)}."
    return ""


def _rule_questions(defn: Definition, names: frozenset[str]) -> set[str]:
    found = set()
    for name in names:
        question = defn.question_for(defn.expand(name)[0]) if name not in RESERVED_VARIABLES else None
        if question is not None:
            found.add(question.code)
    return found


def _check_rule(
    defn: Definition, rule: Rule, lookup: Any, shown: set[str], context: dict[str, Any], values: dict[str, Any]
) -> list[Issue]:
    extra = {CELL_VARIABLE: ex.NUMBER} if rule.each_cell else None
    compiled = defn.compiled(rule.expression, extra)
    referenced = _rule_questions(defn, compiled.names)
    if rule.each_cell:
        referenced.add(rule.each_cell)
    # A rule about questions that are all hidden says nothing about this response.
    if referenced and not referenced & shown:
        return []
    when = defn.compiled(rule.when, extra) if rule.when else None
    if when is not None and not ex.truthy(when.evaluate(lookup)):
        return []
    if not rule.each_cell:
        if ex.truthy(compiled.evaluate(lookup)):
            return []
        variables = list(rule.variables) or sorted(referenced)
        return [Issue(rule.code, rule.message, variables, rule.severity)]
    issues = []
    cell_context = dict(context)
    cell_lookup = _lookup(defn, values, shown, cell_context)  # reads cell_context as it is at each call
    # Within one validation only _cell varies from cell to cell, so the verdict depends on the cell's value alone:
    # blank cells and repeated values (zeros, mostly) are evaluated once.
    verdicts: dict[tuple[type, Any], bool] = {}
    for cell in defn.expand(rule.each_cell):
        value = _coerce(defn, cell, values.get(cell))
        key = None if isinstance(value, list) else (type(value), value)
        passed = verdicts.get(key) if key is not None else None
        if passed is None:
            cell_context[CELL_VARIABLE] = value
            passed = (when is not None and not ex.truthy(when.evaluate(cell_lookup))) or ex.truthy(
                compiled.evaluate(cell_lookup)
            )
            if key is not None:
                verdicts[key] = passed
        if not passed:
            issues.append(Issue(rule.code, rule.message, [cell], rule.severity))
    return issues


def grid_totals(defn: Definition, grid_code: str, values: dict[str, Any]) -> dict[str, Any]:
    """{"rows": {row: total}, "columns": {col: total}, "total": grand total}; blank cells count as 0, and
    "filled" says how many cells hold a value (so a blank grid can be told apart from a grid of zeros)."""
    question = defn.questions.get(grid_code)
    if question is None or not question.is_grid:
        raise KeyError(grid_code)
    rows = {r: Decimal(0) for r, _ in question.rows}
    columns = {c: Decimal(0) for c, _ in question.columns}
    total = Decimal(0)
    filled = 0
    for r, _ in question.rows:
        for c, _ in question.columns:
            value = _coerce(defn, f"{grid_code}.{r}.{c}", values.get(f"{grid_code}.{r}.{c}"))
            if isinstance(value, Decimal):
                rows[r] += value
                columns[c] += value
                total += value
                filled += 1
    return {"rows": rows, "columns": columns, "total": total, "filled": filled}


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
