"""The receipt: a PDF of every answer a unit gave, with the time it was submitted. An HTML template laid out by
WeasyPrint (lib/pdf.py): answers in a two-column table, each grid as a real table with its sums, so labels never
overlap and a form fits on a few pages. The template escapes what the respondent typed (`<script>` is printed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kartlegg.lib.pdf import printable, render_pdf
from kartlegg.surveys import engine

from . import services
from .form_fields import display_text
from .models import Response, ResponseStatus


def _when(value: object) -> str:
    return timezone.localtime(value).strftime(_("%d.%m.%Y kl. %H:%M")) if value else "–"  # type: ignore[arg-type]


@dataclass
class GridView:
    label: str
    columns: list[str]
    rows: list[tuple[str, list[str], str]]  # label, cells, row sum
    column_sums: list[str]
    total: str
    filled: bool


@dataclass
class Item:
    label: str
    answer: str = ""
    grid: GridView | None = None
    comments: list[tuple[str, str]] = field(default_factory=list)


def _grid(defn: engine.Definition, question: engine.Question, values: dict[str, Any]) -> GridView:
    totals = engine.grid_totals(defn, question.code, values)
    rows = []
    for row_code, row_label in question.rows:
        cells = [values.get(f"{question.code}.{row_code}.{col}") for col, _ in question.columns]
        shown = ["" if v is None else printable(display_text(question, v)) for v in cells]
        rows.append((printable(row_label), shown, display_text(question, totals["rows"][row_code])))
    return GridView(
        label=printable(question.label),
        columns=[printable(label) for _, label in question.columns],
        rows=rows,
        column_sums=[display_text(question, totals["columns"][c]) for c, _ in question.columns],
        total=display_text(question, totals["total"]),
        filled=bool(totals["filled"]),
    )


def receipt_context(response: Response, defn: engine.Definition) -> dict[str, Any]:
    values, comments = services.stored_values(response, defn)
    relevant = engine.relevant_codes(defn, values, services.validation_context(response))
    submitted = response.status == ResponseStatus.SUBMITTED
    title = _("Kvittering for innsendt skjema") if submitted else _("Utskrift av svar (ikke sendt inn)")
    meta = [
        (_("Enhet"), f"{response.unit.code} {response.unit.name}"),
        (_("Runde"), response.round.name),
        (_("Skjema"), defn.title or str(response.round.version)),
        (_("Status"), str(response.get_status_display())),
    ]
    if submitted:
        who = response.submitted_by.get_full_name() or response.submitted_by.username if response.submitted_by else ""
        meta.append((_("Sendt inn"), _when(response.submitted_at) + (_(" av %(who)s") % {"who": who} if who else "")))
    meta += [(_("Utskrift laget"), _when(timezone.now())), (_("Versjon"), str(response.version))]
    meta = [(label, printable(value)) for label, value in meta]
    sections = []
    for section in defn.sections:
        items = []
        for question in section.questions:
            if question.code not in relevant:
                continue
            item = Item(printable(question.label))
            if question.is_grid:
                item.grid = _grid(defn, question, values)
            else:
                item.answer = printable(display_text(question, values.get(question.code)))
            item.comments = [(code, printable(comments[code])) for code in [question.code, *question.cell_codes()]
                             if comments.get(code)]  # fmt: skip
            items.append(item)
        sections.append((f"{section.code}. {section.title}", items, any(i.grid is None for i in items)))
    return {"title": title, "meta": meta, "sections": sections, "round": response.round, "unit": response.unit}


def receipt_pdf(response: Response, language: str | None = None) -> bytes:
    """The receipt in `language` (the page's language by default): the questionnaire's texts and the receipt's own."""
    language = language or get_language()
    with translation.override(language):
        context = receipt_context(response, response.round.version.definition(language))
        context["labels"] = {"comment": _("Kommentar"), "empty": _("Ikke fylt ut"), "sum": _("Sum i alt")}
        title = printable(f"{context['title']} – {response.round.name}")
        return render_pdf("responses/receipt_pdf.html", context, title, printable(response.unit.name))
