"""Questionnaire text for people: skip logic and rules in Norwegian words, for the version page and the PDF."""

from __future__ import annotations

from kartlegg.lib.numbers import format_number
from kartlegg.surveys import expressions as ex
from kartlegg.surveys.definition import (
    CELL_VARIABLE,
    RESERVED_VARIABLES,
    TEXT_MAX_LENGTH,
    Definition,
    Question,
    Rule,
)

TYPE_LABELS = {
    "integer": "heltall",
    "decimal": "desimaltall",
    "percent": "prosent",
    "yesno": "ja/nei",
    "choice": "ett valg",
    "multichoice": "flere valg",
    "text": "tekst",
    "date": "dato",
    "grid": "tabell",
}


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def variable_name(defn: Definition, code: str) -> str:
    """«Label» (code) for a question; grid parts named by their row/column labels."""
    if code == CELL_VARIABLE:
        return "verdien i cellen"
    if code in RESERVED_VARIABLES:
        return RESERVED_VARIABLES[code]
    question = defn.questions.get(code)
    if question is not None:
        return f"«{_short(question.label)}» ({code})"
    parts = code.split(".")
    grid = defn.questions.get(parts[0])
    if grid is None or not grid.is_grid:
        return code
    rows, cols = dict(grid.rows), dict(grid.columns)
    if len(parts) == 2:
        return f"raden «{rows.get(parts[1], parts[1])}» i {parts[0]}"
    if parts[1] == "*":
        return f"kolonnen «{cols.get(parts[2], parts[2])}» i {parts[0]}"
    if parts[2] == "*":
        return f"raden «{rows.get(parts[1], parts[1])}» i {parts[0]}"
    return f"cellen «{rows.get(parts[1], parts[1])}» × «{cols.get(parts[2], parts[2])}» i {parts[0]}"


def expression_in_words(defn: Definition, text: str) -> str:
    try:
        tree = ex.parse(text)
    except ex.ExpressionError:
        return text
    return ex.describe(tree, lambda code: variable_name(defn, code))


def relevance_in_words(defn: Definition, question: Question) -> str:
    if not question.relevance:
        return ""
    return f"Besvares bare når {expression_in_words(defn, question.relevance)}."


def rule_in_words(defn: Definition, rule: Rule) -> str:
    parts = []
    if rule.each_cell:
        parts.append(f"For hver celle i {rule.each_cell}:")
    if rule.when:
        parts.append(f"Når {expression_in_words(defn, rule.when)}:")
    parts.append(f"{expression_in_words(defn, rule.expression)}.")
    return " ".join(parts)


def range_in_words(question: Question) -> str:
    low, high = question.effective_bounds()
    decimals = question.effective_decimals() if (question.is_numeric or question.is_grid) else None
    bits = []
    if low is not None and high is not None:
        bits.append(f"fra {format_number(low, 0 if low == low.to_integral_value() else 2)} "
                    f"til {format_number(high, 0 if high == high.to_integral_value() else 2)}")  # fmt: skip
    elif low is not None:
        bits.append(f"minst {format_number(low, 0 if low == low.to_integral_value() else 2)}")
    elif high is not None:
        bits.append(f"høyst {format_number(high, 0 if high == high.to_integral_value() else 2)}")
    if decimals is not None and (question.is_numeric or question.is_grid):
        bits.append("heltall" if decimals == 0 else f"inntil {decimals} desimaler")
    if question.type == "text":
        bits.append(f"høyst {format_number(question.max_length or TEXT_MAX_LENGTH)} tegn")
    return ", ".join(bits)


def _cells_table(question: Question) -> dict[str, object]:
    return {
        "columns": [
            {"code": c, "label": label, "help": question.column_help.get(c, "")} for c, label in question.columns
        ],
        "rows": [
            {
                "code": r,
                "label": label,
                "help": question.row_help.get(r, ""),
                "cells": [f"{question.code}.{r}.{c}" for c, _ in question.columns],
            }
            for r, label in question.rows
        ],
    }


def outline(defn: Definition) -> list[dict[str, object]]:
    """Sections and questions with everything a reader needs, in words, for the version page."""
    sections = []
    for section in defn.sections:
        questions = []
        for number, question in enumerate(section.questions, start=1):
            questions.append(
                {
                    "q": question,
                    "number": f"{section.code}{number}",
                    "type_label": TYPE_LABELS.get(question.type, question.type),
                    "range": range_in_words(question),
                    "relevance_words": relevance_in_words(defn, question),
                    "grid": _cells_table(question) if question.is_grid else None,
                }
            )
        sections.append({"section": section, "questions": questions})
    return sections


def rule_rows(defn: Definition) -> list[dict[str, object]]:
    return [
        {
            "rule": rule,
            "words": rule_in_words(defn, rule),
            "severity_label": "Feil (stopper innsending)"
            if rule.severity == "error"
            else "Advarsel (krever kommentar)",
        }
        for rule in defn.rules
    ]
