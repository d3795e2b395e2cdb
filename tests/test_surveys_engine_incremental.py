"""Validation that re-checks only what changed (engine.validate's `previous`) gives exactly the verdicts of a full
validation: random edits on the shipped questionnaires, each validated both ways. Pure, no database."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import yaml

from kartlegg.surveys import engine
from kartlegg.surveys.engine import validation

ROOT = Path(__file__).resolve().parent.parent / "questionnaires"


def _definition(name: str) -> engine.Definition:
    if name == "per-cell":
        return _per_cell_definition()
    return engine.definition_from_dict(yaml.safe_load((ROOT / name).read_text(encoding="utf-8")))


def _per_cell_definition() -> engine.Definition:
    """Per-cell rules of every kind: on the cell alone, against another variable, against the grid's own total
    (a changed cell changes every cell's verdict), with a condition, and a grid the skip logic hides."""
    grid = {
        "type": "grid",
        "label": "Årsverk",
        "min": 0,
        "decimals": 2,
        "rows": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}],
        "columns": [{"code": "x", "label": "X"}, {"code": "y", "label": "Y"}, {"code": "z", "label": "Z"}],
    }
    questions = [
        {"code": "vis", "type": "yesno", "label": "Vis"},
        {"code": "tak", "type": "decimal", "label": "Tak", "min": 0, "decimals": 2},
        {"code": "G", **grid},
        {"code": "H", **grid, "relevance": "vis = true", "required": True},
    ]
    cell = "empty(_cell) or "
    rules = [
        {"code": "alene", "each_cell": "G", "expression": cell + "_cell <= 300", "message": "m"},
        {"code": "mot_tak", "each_cell": "G", "expression": cell + "empty(tak) or _cell <= tak", "message": "m"},
        {"code": "mot_sum", "each_cell": "G", "expression": cell + "_cell * 3 <= sum(G)", "message": "m"},
        {"code": "rad", "each_cell": "H", "expression": cell + "_cell <= sum(G.a)", "message": "m"},
        {"code": "naar", "each_cell": "H", "when": "tak > 100", "expression": cell + "_cell <= 50", "message": "m",
         "severity": "warning"},
        {"code": "total", "expression": "sum(G) <= 1000", "message": "m", "severity": "warning"},
    ]  # fmt: skip
    return engine.definition_from_dict(
        {
            "survey": {"code": "test", "name": "Test", "kind": "annual"},
            "year": 2024,
            "label": "t",
            "title": "Test",
            "sections": [{"code": "A", "title": "Alt", "questions": questions}],
            "rules": rules,
        }
    )


def _random_value(rng: random.Random, question: engine.Question) -> Any:
    """A value of the question's type, sometimes out of range, sometimes blank."""
    kind = engine.value_kind(question)
    if rng.random() < 0.15:
        return None
    if kind in engine.NUMERIC_TYPES:
        low, high = question.effective_bounds()
        top = high if high is not None else D(500)
        value = D(rng.randint(-20, int(top) + 50))
        return value if kind == "integer" else value + D(rng.randint(0, 99)) / 100
    if kind == "yesno":
        return rng.random() < 0.5
    if kind == "choice":
        return rng.choice(question.choices)[0]
    if kind == "multichoice":
        return sorted(rng.sample([c for c, _ in question.choices], rng.randint(0, len(question.choices))))
    if kind == "date":
        return dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 400))
    return rng.choice(["", "tekst", "x" * rng.randint(1, 30)])


def _same(left: engine.ValidationResult, right: engine.ValidationResult) -> None:
    assert left.errors == right.errors
    assert left.warnings == right.warnings
    assert left.relevant == right.relevant


@pytest.mark.parametrize("name", ["annual-2024.yaml", "annual-2020.yaml", "pulse-2020.yaml", "per-cell"])
def test_incremental_validation_matches_full_on_random_edits(name: str) -> None:
    defn = _definition(name)
    rng = random.Random(name)
    codes = engine.value_codes(defn)
    context = {"_population_total": D(5000), "_population_0_17": D(1000), "_population_18_plus": D(4000)}
    values: dict[str, Any] = {}
    comments: dict[str, str] = {}
    previous = engine.validate(defn, values, comments, context)
    for step in range(150):
        # A save: a few values (often a run of grid cells, as the form's sections), now and then comments or a new
        # context (reference data loaded again), which the memo must not survive.
        start = rng.randrange(len(codes))
        for code in codes[start : start + rng.choice([1, 1, 3, 30])]:
            question = defn.question_for(code)
            assert question is not None
            values[code] = _random_value(rng, question)
        if rng.random() < 0.2:
            code = rng.choice(codes)
            comments[code] = rng.choice(["", "forklart"])
        if step % 40 == 39:
            context = {**context, "_population_total": D(rng.randint(0, 10_000))}
        incremental = engine.validate(defn, values, comments, context, previous=previous)
        full = engine.validate(defn, values, comments, context)
        _same(incremental, full)
        # Sometimes the memo is an older one (another process saved in between): still the same verdicts.
        previous = incremental if rng.random() < 0.8 else previous


def test_a_memo_of_other_values_or_definition_gives_the_full_verdicts() -> None:
    defn = _definition("annual-2024.yaml")
    other = _definition("annual-2024.yaml")
    rng = random.Random(7)
    first = {code: _random_value(rng, q) for code in engine.value_codes(defn) if (q := defn.question_for(code))}
    second = {code: _random_value(rng, q) for code in engine.value_codes(defn) if (q := defn.question_for(code))}
    memo = engine.validate(other, first, {}, {})
    _same(engine.validate(defn, second, {}, {}, previous=memo), engine.validate(defn, second, {}, {}))
    memo = engine.validate(defn, first, {}, {"_population_total": D(1)})
    _same(engine.validate(defn, first, {}, {}, previous=memo), engine.validate(defn, first, {}, {}))


def test_a_save_of_one_value_re_checks_only_the_rules_that_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    defn = _definition("annual-2024.yaml")
    grid = next(q for q in defn.questions.values() if q.is_grid)
    reading_grid = [r for r in defn.rules if grid.code in validation._rule_inputs(defn)[0][defn.rules.index(r)]]
    assert reading_grid and len(reading_grid) < len(defn.rules)
    values: dict[str, Any] = {}
    previous = engine.validate(defn, values, {}, {})
    checked: list[str] = []
    original = validation._check_rule

    def counting(defn_: Any, rule: engine.Rule, *args: Any) -> Any:
        checked.append(rule.code)
        return original(defn_, rule, *args)

    monkeypatch.setattr(validation, "_check_rule", counting)
    values[grid.cell_codes()[0]] = D(3)
    result = engine.validate(defn, values, {}, {}, previous=previous)
    assert sorted(checked) == sorted(r.code for r in reading_grid)
    checked.clear()
    _same(result, engine.validate(defn, values, {}, {}))
    assert len(checked) == len(defn.rules)


def test_rules_on_the_cell_alone_judge_each_cell_by_its_value() -> None:
    """The per-cell rules that read nothing but the cell are judged for all new values at once
    (expressions.passes_for_values) and kept by value; each cell's verdict must still be its own value's, from a
    fresh definition (nothing kept), after a save (only the changed cells judged) and for values seen before."""
    from kartlegg.surveys import expressions as ex

    rng = random.Random(11)
    defn = _definition("per-cell")
    rule = next(r for r in defn.rules if r.code == "alene")
    tree = defn.compiled(rule.expression, {"_cell": ex.NUMBER}).tree
    cells = defn.expand("G")

    def failing(values: dict[str, Any]) -> set[str]:
        result = engine.validate(defn, values, {}, {}, previous=previous)
        return {i.variables[0] for i in result.errors + result.warnings if i.rule_code == "alene"}

    def oracle(values: dict[str, Any]) -> set[str]:
        return {c for c in cells if not ex.truthy(ex.evaluate(tree, {"_cell": values.get(c)}.get))}

    previous = None
    values: dict[str, Any] = {}
    failures = 0
    for _step in range(40):
        for cell in rng.sample(cells, rng.randint(1, len(cells))):
            values[cell] = rng.choice([None, D(0), D(300), D("300.01"), D(rng.randint(0, 600)) / 2])
        expected = oracle(values)
        assert failing(values) == expected
        failures += len(expected)
        previous = engine.validate(defn, values, {}, {}, previous=previous)
    assert 0 < failures < 40 * len(cells)  # the rule both passed and failed cells
