"""The printable blank questionnaire: every section, question and help text, grids as tables with empty cells,
skip logic and rules in words. Municipalities print it to gather answers before they fill in the web form. An HTML
template laid out by WeasyPrint (lib/pdf.py); a section that starts with a grid gets landscape pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kartlegg.lib.pdf import printable, render_pdf
from kartlegg.surveys.definition import TEXT_MAX_LENGTH, Definition, Question
from kartlegg.surveys.presentation import TYPE_LABELS, range_in_words, relevance_in_words, rule_in_words

LONG_TEXT = 500
INSTRUCTIONS = (
    "Slik fyller du ut: Felt merket * må fylles ut. Skriv tall med desimalkomma (2,5). Et årsverk er en hel "
    "stilling; en 50 % stilling er 0,5 årsverk. La feltet stå tomt når du ikke vet svaret – tomt er ikke det "
    "samme som 0. Summer i tabellene regnes ut i nettskjemaet."
)


@dataclass
class QuestionView:
    number: str
    label: str
    required: bool
    help: list[str]
    kind: str  # grid, choice, yesno, long, short
    unit: str = ""
    choices: list[str] = field(default_factory=list)
    hint: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _view(defn: Definition, question: Question, number: str) -> QuestionView:
    helps = [question.help] if question.help else []
    relevance = relevance_in_words(defn, question)
    if relevance:
        helps.append(f"→ {relevance}")
    details = [TYPE_LABELS.get(question.type, question.type)]
    if question.unit:
        details.append(question.unit)
    limits = range_in_words(question)
    if limits:
        details.append(limits)
    helps.append(f"Svar: {', '.join(details)}. Kode: {question.code}")
    view = QuestionView(number, printable(question.label), question.required, [printable(h) for h in helps], "short",
                        printable(question.unit or ""))  # fmt: skip
    if question.is_grid:
        view.kind = "grid"
        view.columns = [printable(label) for _, label in question.columns]
        view.rows = [printable(label) for _, label in question.rows]
        view.notes = [printable(f"{label}: {question.row_help[code]}") for code, label in question.rows
                      if code in question.row_help]  # fmt: skip
        view.notes += [printable(f"{label}: {question.column_help[code]}") for code, label in question.columns
                       if code in question.column_help]  # fmt: skip
    elif question.type in ("choice", "multichoice"):
        view.kind = "choice"
        view.hint = "Velg ett alternativ." if question.type == "choice" else "Kryss av for alle som passer."
        view.choices = [printable(label) for _, label in question.choices]
    elif question.type == "yesno":
        view.kind = "yesno"
    elif question.type == "text" and (question.max_length or TEXT_MAX_LENGTH) > LONG_TEXT:
        view.kind = "long"
    return view


def blank_context(defn: Definition) -> dict[str, Any]:
    sections = []
    for section in defn.sections:
        questions = [_view(defn, q, f"{section.code}{n}") for n, q in enumerate(section.questions, start=1)]
        wide = any(q.kind == "grid" for q in questions)
        sections.append({"heading": printable(f"{section.code}. {section.title}"),
                         "help": printable(section.help or ""), "questions": questions, "wide": wide})  # fmt: skip
    rules = [
        {"kind": "Feil" if rule.severity == "error" else "Advarsel", "message": printable(rule.message),
         "words": printable(rule_in_words(defn, rule))}
        for rule in defn.rules
    ]  # fmt: skip
    return {
        "title": printable(defn.title),
        "subtitle": printable(f"{defn.survey_name} · {defn.year} · versjon {defn.label}"),
        "intro": printable(defn.intro or ""),
        "instructions": INSTRUCTIONS,
        "sections": sections,
        "rules": rules,
    }


def blank_questionnaire_pdf(defn: Definition) -> bytes:
    context = blank_context(defn)
    return render_pdf("surveys/blank_pdf.html", context, context["title"], context["subtitle"])
