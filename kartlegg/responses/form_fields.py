"""What the respondent's form shows, built from the questionnaire definition, the stored answers, last year's answers
and the validation result. Plain dataclasses and no ORM, so the templates stay dumb and this is testable alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy

from kartlegg.lib.numbers import NBSP, format_number
from kartlegg.surveys import engine

EMPTY, PARTLY, COMPLETE, HAS_ERRORS = "empty", "partly", "complete", "error"
# Lazy: the label is translated when the page is rendered, in the page's language.
STATUS_LABELS = {
    EMPTY: gettext_lazy("Ikke påbegynt"),
    PARTLY: gettext_lazy("Delvis utfylt"),
    COMPLETE: gettext_lazy("Utfylt"),
    HAS_ERRORS: gettext_lazy("Har feil"),
}
# Text questions this short (names, e-mail, phone) get a one-line input instead of a text area.
SHORT_TEXT = 300
STATUS_COLORS = {EMPTY: "neutral", PARTLY: "info", COMPLETE: "success", HAS_ERRORS: "danger"}


def html_id(code: str) -> str:
    """An id usable in CSS selectors and URLs: dots in grid cell codes become double dashes."""
    return "f-" + code.replace(".", "--")


def decimals_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def input_text(question: engine.Question | None, value: Any) -> str:
    """A stored value as the respondent would type it: `1 234,5`, `ja`, `2024-03-15` (for date inputs)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, Decimal):
        return format_number(value, decimals_of(value), space=NBSP)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def display_text(question: engine.Question | None, value: Any) -> str:
    """A value for reading: numbers in Norwegian, ja/nei, choice labels, dates as dd.mm.åååå. Blank is an en dash."""
    if value is None or value == [] or value == "":
        return "–"
    if isinstance(value, bool):
        return "Ja" if value else "Nei"
    if isinstance(value, Decimal):
        text = format_number(value, decimals_of(value), space=NBSP)
        if question is not None and question.type == "percent":
            text += NBSP + "%"
        return text
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if question is not None and question.choices:
        if isinstance(value, list):
            return ", ".join(question.choice_label(v) for v in value)
        return question.choice_label(str(value))
    return str(value)


@dataclass
class Message:
    severity: str  # "error" or "warning"
    text: str
    explained: bool = False


@dataclass
class FieldView:
    code: str
    id: str
    label: str
    question: engine.Question
    value: str = ""
    values: list[str] = dataclasses.field(default_factory=list)
    display: str = "–"
    previous: str = ""
    comment: str = ""
    messages: list[Message] = dataclasses.field(default_factory=list)
    row: str = ""
    col: str = ""

    @property
    def has_error(self) -> bool:
        return any(m.severity == "error" for m in self.messages)

    @property
    def has_warning(self) -> bool:
        return any(m.severity == "warning" for m in self.messages)

    @property
    def describedby(self) -> str:
        ids = []
        if self.question.help and not self.code.count("."):
            ids.append(self.id + "-help")
        if self.previous:
            ids.append(self.id + "-prev")
        ids.append(self.id + "-msg")
        return " ".join(ids)


@dataclass
class GridRow:
    code: str
    label: str
    id: str
    cells: list[FieldView]
    total: str


@dataclass
class GridView:
    columns: list[tuple[str, str, str]]  # (code, label, total text)
    rows: list[GridRow]
    total: str
    decimals: int


@dataclass
class QuestionView:
    question: engine.Question
    id: str
    relevant: bool
    field: FieldView | None = None
    grid: GridView | None = None
    messages: list[Message] = dataclasses.field(default_factory=list)
    comment: str = ""
    # Comments on single grid cells (written on the submit page to explain a warning), as (cell label, text).
    cell_comments: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @property
    def widget(self) -> str:
        q = self.question
        if q.is_grid:
            return "grid"
        if q.type in engine.NUMERIC_TYPES:
            return "number"
        if q.type == "choice" and len(q.choices) > 6:
            return "select"
        if q.type == "text" and q.max_length is not None and q.max_length <= SHORT_TEXT:
            return "line"
        return q.type


@dataclass
class SectionView:
    code: str
    title: str
    help: str
    status: str
    questions: list[QuestionView] = dataclasses.field(default_factory=list)

    def all_fields(self) -> list[FieldView]:
        out: list[FieldView] = []
        for qv in self.questions:
            if qv.field is not None:
                out.append(qv.field)
            elif qv.grid is not None:
                out.extend(cell for row in qv.grid.rows for cell in row.cells)
        return out

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def status_color(self) -> str:
        return STATUS_COLORS[self.status]


def _messages(issues: list[engine.Issue]) -> list[Message]:
    seen: set[tuple[str, str]] = set()
    out = []
    for issue in issues:
        key = (issue.severity, issue.message)
        if key not in seen:
            seen.add(key)
            out.append(Message(issue.severity, issue.message, issue.explained))
    return out


def _shown(issues: list[engine.Issue], show_required: bool) -> list[engine.Issue]:
    """ "Must be filled in" is left to the submit page: beside every untouched field it would only be noise."""
    if show_required:
        return issues
    return [i for i in issues if not i.rule_code.startswith("required.")]


def section_status(
    section: engine.Section,
    values: dict[str, Any],
    validation: engine.ValidationResult | None,
    by_variable: dict[str, list[engine.Issue]] | None = None,
) -> str:
    """empty / partly / complete / error, over the questions currently shown. Optional free text does not keep a
    section from being complete."""
    by_variable = by_variable if by_variable is not None else (validation.by_variable() if validation else {})
    relevant = validation.relevant if validation else {q.code for q in section.questions}
    answered = counted = 0
    for question in section.questions:
        if question.code not in relevant:
            continue
        codes = question.cell_codes() if question.is_grid else [question.code]
        issues = [i for c in [question.code, *codes] for i in by_variable.get(c, [])]
        if any(i.severity == "error" and not i.rule_code.startswith("required.") for i in issues):
            return HAS_ERRORS
        has_value = any(values.get(c) not in (None, "", []) for c in codes)
        if question.type == "text" and not question.required:
            answered += has_value
            continue
        counted += 1
        answered += has_value
    if answered == 0:
        return EMPTY
    return COMPLETE if answered >= counted else PARTLY


def build_sections(
    defn: engine.Definition,
    values: dict[str, Any],
    comments: dict[str, str],
    validation: engine.ValidationResult | None,
) -> list[SectionView]:
    """The progress list: every section with its status (questions are filled in by build_section)."""
    by_variable = validation.by_variable() if validation else {}
    return [
        SectionView(s.code, s.title, s.help, section_status(s, values, validation, by_variable)) for s in defn.sections
    ]


def build_section(
    defn: engine.Definition,
    section: engine.Section,
    values: dict[str, Any],
    comments: dict[str, str],
    validation: engine.ValidationResult | None,
    previous: dict[str, Any],
    raw_overrides: dict[str, Any] | None = None,
    show_required: bool = False,
) -> SectionView:
    """One section with every question ready to render. raw_overrides keeps what the user typed (even when it could
    not be parsed) so a rejected save shows their text, not the stored value."""
    by_variable = validation.by_variable() if validation else {}
    if not show_required:
        by_variable = {code: _shown(issues, False) for code, issues in by_variable.items()}
    relevant = validation.relevant if validation else {q.code for q in section.questions}
    raw_overrides = raw_overrides or {}
    view = SectionView(
        section.code, section.title, section.help, section_status(section, values, validation, by_variable)
    )
    for question in section.questions:
        qv = QuestionView(question=question, id=html_id(question.code), relevant=question.code in relevant)
        if question.is_grid:
            qv.messages = _messages(_shown(by_variable.get(question.code, []), show_required))
        qv.comment = comments.get(question.code, "")
        if question.is_grid:
            qv.grid = _grid(defn, question, values, comments, by_variable, previous, raw_overrides)
            qv.cell_comments = [(c.label, c.comment) for row in qv.grid.rows for c in row.cells if c.comment]
        else:
            qv.field = _field(question, question.code, question.label, values, comments, by_variable, previous)
            if question.code in raw_overrides:
                raw = raw_overrides[question.code]
                qv.field.value = raw if isinstance(raw, str) else qv.field.value
            qv.comment = qv.field.comment
        view.questions.append(qv)
    return view


def _field(
    question: engine.Question,
    code: str,
    label: str,
    values: dict[str, Any],
    comments: dict[str, str],
    by_variable: dict[str, list[engine.Issue]],
    previous: dict[str, Any],
) -> FieldView:
    value = values.get(code)
    fv = FieldView(
        code=code,
        id=html_id(code),
        label=label,
        question=question,
        value=input_text(question, value),
        values=[str(v) for v in value] if isinstance(value, list) else ([input_text(question, value)] if value else []),
        display=display_text(question, value),
        comment=comments.get(code, ""),
        messages=_messages(by_variable.get(code, [])),
    )
    if code in previous:
        fv.previous = display_text(question, previous[code])
    return fv


def _grid(
    defn: engine.Definition,
    question: engine.Question,
    values: dict[str, Any],
    comments: dict[str, str],
    by_variable: dict[str, list[engine.Issue]],
    previous: dict[str, Any],
    raw_overrides: dict[str, Any],
) -> GridView:
    totals = engine.grid_totals(defn, question.code, values)
    decimals = question.effective_decimals() if question.decimals is not None else 2

    # A row or column with no filled cell sums to "–", not 0: nothing has been answered there yet.
    filled_rows, filled_cols = set(), set()
    for row_code, _label in question.rows:
        for col_code, _col_label in question.columns:
            if values.get(f"{question.code}.{row_code}.{col_code}") is not None:
                filled_rows.add(row_code)
                filled_cols.add(col_code)

    def total_text(value: Decimal, filled: bool = True) -> str:
        return format_number(value, decimals_of(value), space=NBSP) if totals["filled"] and filled else "–"

    rows = []
    for row_code, row_label in question.rows:
        cells = []
        for col_code, col_label in question.columns:
            code = f"{question.code}.{row_code}.{col_code}"
            cell = _field(question, code, f"{row_label} – {col_label}", values, comments, by_variable, previous)
            cell.row, cell.col = row_code, col_code
            if code in raw_overrides and isinstance(raw_overrides[code], str):
                cell.value = raw_overrides[code]
            cells.append(cell)
        rows.append(
            GridRow(
                row_code,
                row_label,
                html_id(f"{question.code}.{row_code}"),
                cells,
                total_text(totals["rows"][row_code], row_code in filled_rows),
            )
        )
    columns = [(c, label, total_text(totals["columns"][c], c in filled_cols)) for c, label in question.columns]
    return GridView(columns=columns, rows=rows, total=total_text(totals["total"]), decimals=decimals)


def field_messages(
    defn: engine.Definition, codes: list[str], validation: engine.ValidationResult
) -> dict[str, list[Message]]:
    """Messages for the given value codes (and their questions), for out-of-band updates after a save."""
    by_variable = validation.by_variable()
    out: dict[str, list[Message]] = {}
    for code in codes:
        out[code] = _messages(by_variable.get(code, []))
    return out
