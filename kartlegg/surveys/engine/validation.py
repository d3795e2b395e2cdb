"""The skip logic (relevant_codes), validation of a whole response against required fields, ranges and rules
(validate), and a grid's totals. Pure, no ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from kartlegg.surveys import expressions as ex
from kartlegg.surveys.definition import (
    CELL_VARIABLE,
    RESERVED_VARIABLES,
    Definition,
    Question,
    Rule,
)

from .values import _bound_text, _coerce


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


@dataclass(frozen=True)
class _Memo:
    """What a validation found, kept so that the next validation of the same response re-checks only what its
    changed values touch (validate's `previous`): the values it saw, each shown question's issues (required and
    range) and each rule's issues (before warnings are marked explained, which depends on comments only)."""

    defn: Definition
    values: dict[str, Any]
    context: dict[str, Any]
    shown: frozenset[str]
    by_question: dict[str, list[Issue]]
    by_rule: list[list[Issue]]


@dataclass
class ValidationResult:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    relevant: set[str] = field(default_factory=set)
    memo: _Memo | None = field(default=None, repr=False, compare=False)

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
    previous: ValidationResult | None = None,
) -> ValidationResult:
    """Check required fields, ranges and rules. `context` supplies the reserved variables (_population_total…);
    missing ones are blank, so rules written as `empty(_population_total) or …` simply pass.

    `previous`, a result of this function for the same definition and context (as a rule: the same response a
    moment ago), lets it re-check only the questions and rules whose variables changed since, or whose questions
    were shown or hidden since; the others keep their issues. The result is the same as without it (the skip logic
    is always evaluated in full, and whether a warning is explained is always judged from `comments`)."""
    comments = comments or {}
    context = dict(context or {})
    shown = relevant_codes(defn, values, context)
    seen = {code: _frozen(value) for code, value in values.items() if value is not None}
    changes = _changes(defn, previous.memo if previous is not None else None, seen, context, shown)
    memo = previous.memo if previous is not None and changes is not None else None
    lookup = _lookup(defn, values, shown, context)

    by_question: dict[str, list[Issue]] = {}
    for question in defn.questions.values():
        if question.code not in shown:
            continue
        if (
            memo is not None
            and changes is not None
            and question.code not in changes.keys
            and question.code in memo.by_question
        ):
            by_question[question.code] = memo.by_question[question.code]
        else:
            by_question[question.code] = _question_issues(defn, question, values)

    inputs, cell_wise = _rule_inputs(defn) if memo is not None else ([], [])
    by_rule: list[list[Issue]] = []
    for index, rule in enumerate(defn.rules):
        reuse = None
        if memo is not None and changes is not None:
            touched = inputs[index] & changes.keys
            if not touched:
                by_rule.append(memo.by_rule[index])
                continue
            if cell_wise[index] and touched == {rule.each_cell} and rule.each_cell not in changes.shown:
                # Only cells of the rule's own grid changed, and the rule reads no other cell of it: the other
                # cells keep their verdicts.
                reuse = (changes.codes, memo.by_rule[index])
        by_rule.append(_check_rule(defn, rule, lookup, shown, context, values, reuse))

    result = ValidationResult(relevant=shown)
    for issues in by_question.values():
        result.errors.extend(issues)
    for issues in by_rule:
        for issue in issues:
            if issue.severity == "warning":
                explained = _explained(defn, issue.variables, comments)
                result.warnings.append(Issue(issue.rule_code, issue.message, issue.variables, "warning", explained))
            else:
                result.errors.append(issue)
    result.memo = _Memo(defn, seen, context, frozenset(shown), by_question, by_rule)
    return result


def _frozen(value: Any) -> Any:
    """A value as validation compares it with the previous one: its type too (True == 1 in Python), lists as
    tuples."""
    return (type(value), tuple(value) if isinstance(value, list) else value)


def _input_key(defn: Definition, code: str) -> str:
    """What a changed value code touches: its question (a grid for a cell), or the code itself."""
    question = defn.question_for(code)
    return question.code if question is not None else code


class _Changes(NamedTuple):
    codes: set[str]  # value codes whose value changed
    keys: set[str]  # what they touch (_input_key), and the questions shown or hidden since
    shown: set[str]  # the questions shown or hidden since


def _changes(
    defn: Definition, memo: _Memo | None, seen: dict[str, Any], context: dict[str, Any], shown: set[str]
) -> _Changes | None:
    """What changed since `memo`; None when it cannot be used (another definition or context)."""
    if memo is None or memo.defn is not defn or memo.context != context:
        return None
    codes = {code for code in seen.keys() | memo.values.keys() if seen.get(code) != memo.values.get(code)}
    toggled = set(shown) ^ memo.shown
    return _Changes(codes, {_input_key(defn, code) for code in codes} | toggled, toggled)


# Per definition (held, so its id is not reused while the entry lives): each rule's inputs as _input_key names, and
# whether a per-cell rule's verdict for a cell depends on that cell alone among its grid's cells.
_RULE_INPUTS: dict[int, tuple[Definition, tuple[list[frozenset[str]], list[bool]]]] = {}


def _rule_inputs(defn: Definition) -> tuple[list[frozenset[str]], list[bool]]:
    entry = _RULE_INPUTS.get(id(defn))
    if entry is not None and entry[0] is defn:
        return entry[1]
    inputs: list[frozenset[str]] = []
    cell_wise: list[bool] = []
    for rule in defn.rules:
        extra = {CELL_VARIABLE: ex.NUMBER} if rule.each_cell else None
        names = set(defn.compiled(rule.expression, extra).names)
        if rule.when:
            names |= defn.compiled(rule.when, extra).names
        keys = set()
        for name in names - set(RESERVED_VARIABLES) - {CELL_VARIABLE}:
            keys.add(name)  # a name that expands to nothing is looked up as itself
            keys.update(_input_key(defn, code) for code in defn.expand(name))
        cell_wise.append(bool(rule.each_cell) and rule.each_cell not in keys)
        if rule.each_cell:
            keys.add(rule.each_cell)
        inputs.append(frozenset(keys))
    if len(_RULE_INPUTS) > 64:
        _RULE_INPUTS.clear()
    _RULE_INPUTS[id(defn)] = (defn, (inputs, cell_wise))
    return inputs, cell_wise


def _question_issues(defn: Definition, question: Question, values: dict[str, Any]) -> list[Issue]:
    """A shown question's errors: required, then the range of each value (each cell of a grid)."""
    issues = []
    codes = defn.expand(question.code) if question.is_grid else [question.code]
    parsed = {code: _coerce(defn, code, values.get(code)) for code in codes}
    if question.required and all(_is_blank(v) for v in parsed.values()):
        what = "Fyll ut minst én celle i tabellen." if question.is_grid else "Feltet må fylles ut."
        issues.append(Issue(f"required.{question.code}", what, [question.code], "error"))
    for code, value in parsed.items():
        message = _range_problem(question, value)
        if message:
            issues.append(Issue(f"range.{code}", message, [code], "error"))
    return issues


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
    defn: Definition,
    rule: Rule,
    lookup: Any,
    shown: set[str],
    context: dict[str, Any],
    values: dict[str, Any],
    reuse: tuple[set[str], list[Issue]] | None = None,
) -> list[Issue]:
    """The rule's issues. `reuse` (changed value codes, the rule's issues before) for a per-cell rule whose cells'
    verdicts depend on nothing else that changed: only the changed cells are evaluated."""
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
    # blank cells and repeated values (zeros, mostly) are evaluated once. A rule that reads nothing but the cell
    # (`empty(_cell) or _cell <= 500`) gives the same verdict for the same value in every response, so its verdicts
    # are kept with the definition: a save re-evaluates only values not seen before, in practice the changed cells.
    value_only = compiled.names <= {CELL_VARIABLE} and (when is None or when.names <= {CELL_VARIABLE})
    verdicts: dict[Any, bool] = defn.cell_verdicts(rule.code) if value_only else {}
    changed, before = reuse if reuse is not None else (None, [])
    failed_before = {issue.variables[0]: issue for issue in before}
    if value_only:
        _judge_new_values(defn, rule, compiled, when, values, verdicts, changed)
    for cell in defn.expand(rule.each_cell):
        if changed is not None and cell not in changed:
            if cell in failed_before:
                issues.append(failed_before[cell])
            continue
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


def _judge_new_values(
    defn: Definition,
    rule: Rule,
    compiled: ex.Compiled,
    when: ex.Compiled | None,
    values: dict[str, Any],
    verdicts: dict[Any, bool],
    changed: set[str] | None,
) -> None:
    """Fill `verdicts` for the values of the rule's cells (only `changed` ones when given) it has not judged yet,
    all in one pass (ex.passes_for_values): for a rule that reads nothing but the cell, the verdict is the value's."""
    new: dict[Any, Any] = {}
    for cell in defn.expand(rule.each_cell or ""):
        if changed is not None and cell not in changed:
            continue
        value = _coerce(defn, cell, values.get(cell))
        if isinstance(value, list):
            continue
        key = (type(value), value)
        if key not in verdicts:
            new.setdefault(key, value)
    if new:
        passed = ex.passes_for_values(compiled.tree, when.tree if when else None, list(new.values()), CELL_VARIABLE)
        verdicts.update(zip(new, passed, strict=True))


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
