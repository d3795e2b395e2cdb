"""A small, safe expression language for skip logic and validation rules.

Text is tokenized and parsed by hand into a tree of plain dataclasses, type-checked against the questionnaire's
variables, and then evaluated by walking the tree. Nothing is ever handed to eval/exec, and there is no attribute
access, indexing or call of anything but the fixed functions in FUNCTIONS, so questionnaire authors cannot reach
Python. Length, token count and nesting depth are capped so hostile text cannot exhaust the server.

Semantics (documented for authors in docs/questionnaire-format.md):
- A blank answer is null. Comparisons involving null are false; arithmetic with null gives null; division by
  zero gives null; in a yes/no position (and/or/not) null counts as false.
- sum() counts null as 0; count() counts filled values; empty() is true when every value is blank.
- `G` (a grid code) stands for all its cells, `G.row` for one row, `G.*.col` for one column, `G.row.col` for one
  cell. Multi-cell references are allowed only inside aggregate functions.
"""

from kartlegg.surveys.expressions.semantics import (
    FUNCTIONS,
    Compiled,
    EvaluationError,
    Function,
    check,
    compile_expression,
    evaluate,
    evaluate_text,
    passes_for_values,
    truthy,
)
from kartlegg.surveys.expressions.syntax import (
    BOOL,
    CELLS,
    DATE,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TOKENS,
    NULL,
    NUMBER,
    STRING,
    STRINGS,
    Binary,
    Call,
    ExpressionError,
    InList,
    Literal,
    Node,
    Token,
    Unary,
    Var,
    parse,
    tokenize,
    variables,
)
from kartlegg.surveys.expressions.words import describe

__all__ = [
    "BOOL", "CELLS", "DATE", "FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "MAX_TOKENS", "NULL", "NUMBER", "STRING",
    "STRINGS", "Binary", "Call", "Compiled", "EvaluationError", "ExpressionError", "Function", "InList", "Literal",
    "Node", "Token", "Unary", "Var", "check", "compile_expression", "describe", "evaluate", "evaluate_text", "parse",
    "passes_for_values", "tokenize", "truthy", "variables",
]  # fmt: skip
