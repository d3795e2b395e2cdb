"""The questionnaire engine: pure functions over a Definition (no ORM), used by the form, the API, imports, QA and
statistics alike, so a value is parsed and validated the same way whichever channel it comes through. One module
per subject (`values`, `validation`, `lineage`); this package re-exports their public names, so callers write
`from kartlegg.surveys import engine` and `engine.validate(...)`.

- value_codes(defn): every storable variable code, in questionnaire order (grid cells as grid.row.col).
- parse_answer(defn, code, raw): text/number from a user → Python value, or AnswerError with a Norwegian message.
- dump_value / load_value: the text form stored in the database, and back.
- relevant_codes(defn, values): the questions shown under the skip logic.
- validate(defn, values, comments, context): required fields, ranges and rules → errors and warnings.
- grid_totals(defn, grid, values): row, column and grand totals (computed, never stored).
- predecessor_map / predecessor_sources / carry_value: which variable continues which across versions, and
  carrying last version's value over.
"""

from __future__ import annotations

from kartlegg.surveys.definition import (
    CELL_VARIABLE,
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

from .lineage import carry_value, predecessor_map, predecessor_sources
from .validation import Issue, ValidationResult, grid_totals, relevant_codes, validate
from .values import AnswerError, check_value, dump_value, load_value, parse_answer, value_codes, value_kind

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
    "value_kind",
    "value_codes",
]
