"""The receipt: a PDF of every answer a unit gave, with the time it was submitted.

PdfDocument writes text, not markup, so whatever a respondent typed (including `<script>`) is printed literally.
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kartlegg.lib.pdf import PdfDocument
from kartlegg.surveys import engine

from . import services
from .form_fields import display_text
from .models import Response, ResponseStatus


def _when(value: object) -> str:
    return timezone.localtime(value).strftime(_("%d.%m.%Y kl. %H:%M")) if value else "–"  # type: ignore[arg-type]


def receipt_pdf(response: Response, language: str | None = None) -> bytes:
    """The receipt in `language` (the page's language by default): the questionnaire's texts and the receipt's own."""
    language = language or get_language()
    with translation.override(language):
        return _receipt(response, response.round.version.definition(language))


def _receipt(response: Response, defn: engine.Definition) -> bytes:
    values, comments = services.stored_values(response, defn)
    relevant = engine.relevant_codes(defn, values, services.validation_context(response))
    submitted = response.status == ResponseStatus.SUBMITTED
    title = _("Kvittering for innsendt skjema") if submitted else _("Utskrift av svar (ikke sendt inn)")
    doc = PdfDocument(title=f"{title} – {response.round.name}", subtitle=response.unit.name)
    doc.heading(title)
    doc.key_value(_("Enhet"), f"{response.unit.code} {response.unit.name}")
    doc.key_value(_("Runde"), response.round.name)
    doc.key_value(_("Skjema"), defn.title or str(response.round.version))
    doc.key_value(_("Status"), str(response.get_status_display()))
    if submitted:
        who = response.submitted_by.get_full_name() or response.submitted_by.username if response.submitted_by else ""
        doc.key_value(_("Sendt inn"), _when(response.submitted_at) + (_(" av %(who)s") % {"who": who} if who else ""))
    doc.key_value(_("Utskrift laget"), _when(timezone.now()))
    doc.key_value(_("Versjon"), str(response.version))
    for section in defn.sections:
        doc.ln(3)
        doc.heading(f"{section.code}. {section.title}", size=12)
        for question in section.questions:
            if question.code not in relevant:
                continue
            if question.is_grid:
                _grid(doc, defn, question, values)
            else:
                doc.key_value(question.label, display_text(question, values.get(question.code)))
            for code in [question.code, *question.cell_codes()]:
                if comments.get(code):
                    doc.key_value(_("Kommentar (%(code)s)") % {"code": code}, comments[code])
    return doc.to_bytes()


def _grid(doc: PdfDocument, defn: engine.Definition, question: engine.Question, values: dict) -> None:
    """Only the cells that hold a value, then the totals: a grid of 70 dashes helps nobody."""
    doc.paragraph(question.label, size=10, bold=True)
    totals = engine.grid_totals(defn, question.code, values)
    if not totals["filled"]:
        doc.key_value("", _("Ikke fylt ut"))
        return
    columns = dict(question.columns)
    for row_code, row_label in question.rows:
        for col_code in columns:
            value = values.get(f"{question.code}.{row_code}.{col_code}")
            if value is not None:
                doc.key_value(f"{row_label} – {columns[col_code]}", display_text(question, value))
    for row_code, row_label in question.rows:
        doc.key_value(_("Sum %(row)s") % {"row": row_label}, display_text(question, totals["rows"][row_code]))
    doc.key_value(_("Sum i alt"), display_text(question, totals["total"]))
