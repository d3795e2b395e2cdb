"""The printable blank questionnaire: every section, question and help text, grids as tables with empty cells,
skip logic and rules in words. Municipalities print it to gather answers before they fill in the web form."""

from __future__ import annotations

from fpdf.enums import PageOrientation, TableCellFillMode
from fpdf.fonts import FontFace

from kartlegg.lib.pdf import PdfDocument, printable
from kartlegg.surveys.definition import TEXT_MAX_LENGTH, Definition, Question
from kartlegg.surveys.presentation import TYPE_LABELS, range_in_words, relevance_in_words, rule_in_words

BOX = "\u2610"  # ☐ ballot box
GREY = (90, 90, 90)
LONG_TEXT = 500


def blank_questionnaire_pdf(defn: Definition) -> bytes:
    subtitle = f"{defn.survey_name} · {defn.year} · versjon {defn.label}"
    pdf = PdfDocument(defn.title, subtitle)
    pdf.heading(defn.title, size=16)
    pdf.paragraph(subtitle, size=9)
    if defn.intro:
        pdf.paragraph(defn.intro)
    pdf.paragraph(
        "Slik fyller du ut: Felt merket * må fylles ut. Skriv tall med desimalkomma (2,5). Et årsverk er en hel "
        "stilling; en 50 % stilling er 0,5 årsverk. La feltet stå tomt når du ikke vet svaret – tomt er ikke det "
        "samme som 0. Summer i tabellene regnes ut i nettskjemaet.",
        size=9,
    )
    for section in defn.sections:
        if section.questions and section.questions[0].is_grid:
            pdf.add_page(orientation="L")
        else:
            _portrait(pdf)
        pdf.ln(2)
        pdf.heading(f"{section.code}. {section.title}", size=13)
        if section.help:
            _help(pdf, section.help)
        for number, question in enumerate(section.questions, start=1):
            _question(pdf, defn, question, f"{section.code}{number}")
    if defn.rules:
        pdf.add_page(orientation="P")
        pdf.heading("Kontroller når skjemaet sendes inn", size=13)
        pdf.paragraph(
            "Feil må rettes før skjemaet kan sendes inn. Advarsler kan stå hvis du forklarer dem i en kommentar.",
            size=9,
        )
        for rule in defn.rules:
            kind = "Feil" if rule.severity == "error" else "Advarsel"
            pdf.paragraph(f"{kind}: {rule.message}", size=9, bold=True)
            _help(pdf, f"Kontrollen: {rule_in_words(defn, rule)}")
    return pdf.to_bytes()


def _help(pdf: PdfDocument, text: str) -> None:
    pdf.set_text_color(*GREY)
    pdf.paragraph(text, size=9)
    pdf.set_text_color(0, 0, 0)


def _portrait(pdf: PdfDocument) -> None:
    if pdf.cur_orientation is PageOrientation.LANDSCAPE:
        pdf.add_page(orientation="P")


def _question(pdf: PdfDocument, defn: Definition, question: Question, number: str) -> None:
    if question.is_grid:
        # A grid gets a landscape page, so the education columns stay readable (shared with its section heading).
        if pdf.cur_orientation is not PageOrientation.LANDSCAPE or pdf.get_y() > pdf.t_margin + 60:
            pdf.add_page(orientation="L")
    else:
        _portrait(pdf)
    # Keep a question's heading and the start of its answer area together.
    long_text = question.type == "text" and (question.max_length or TEXT_MAX_LENGTH) > LONG_TEXT
    if pdf.will_page_break(52 if long_text else 24):
        pdf.add_page()
    pdf.ln(1.5)
    marker = " *" if question.required else ""
    pdf.paragraph(f"{number}. {question.label}{marker}", size=10, bold=True)
    if question.help:
        _help(pdf, question.help)
    relevance = relevance_in_words(defn, question)
    if relevance:
        _help(pdf, f"→ {relevance}")
    details = [TYPE_LABELS.get(question.type, question.type)]
    if question.unit:
        details.append(question.unit)
    limits = range_in_words(question)
    if limits:
        details.append(limits)
    _help(pdf, f"Svar: {', '.join(details)}. Kode: {question.code}")
    if question.is_grid:
        _grid(pdf, question)
    elif question.type in ("choice", "multichoice"):
        hint = "Velg ett alternativ." if question.type == "choice" else "Kryss av for alle som passer."
        _help(pdf, hint)
        for _code, label in question.choices:
            pdf.paragraph(f"{BOX} {label}", size=10)
    elif question.type == "yesno":
        pdf.paragraph(f"{BOX} Ja      {BOX} Nei", size=10)
    elif long_text:
        _box(pdf, width=0, height=28)
    else:
        _box(pdf, width=60, height=8, after=question.unit)


def _box(pdf: PdfDocument, width: float, height: float, after: str = "") -> None:
    if pdf.will_page_break(height + 2):
        pdf.add_page()
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(width, height, "", border=1, new_x="RIGHT" if after else "LMARGIN", new_y="TOP" if after else "NEXT")
    if after:
        pdf.cell(0, height, printable(f"  {after}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _grid(pdf: PdfDocument, question: Question) -> None:
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    label_width = 62.0
    columns = len(question.columns) + 1  # + row sum
    cell_width = (usable - label_width) / columns
    pdf.set_font("DejaVu", "", 7)
    headings = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=(label_width, *([cell_width] * columns)),
        width=usable,
        line_height=3.8,
        headings_style=headings,
        cell_fill_mode=TableCellFillMode.NONE,
        text_align="LEFT",
    ) as table:
        header = table.row()
        header.cell(printable(question.unit or ""))
        for _code, label in question.columns:
            header.cell(printable(label))
        header.cell("Sum")
        for _code, label in question.rows:
            row = table.row()
            row.cell(printable(label))
            for _ in range(columns):
                row.cell("\n")
        total = table.row()
        total.cell("Sum")
        for _ in range(columns):
            total.cell("")
    notes = [f"{label}: {question.row_help[code]}" for code, label in question.rows if code in question.row_help]
    notes += [
        f"{label}: {question.column_help[code]}" for code, label in question.columns if code in question.column_help
    ]
    for note in notes:
        _help(pdf, note)
    pdf.ln(2)
