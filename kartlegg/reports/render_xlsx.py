"""The report's tables as a workbook: one sheet per table (the profiles share one sheet), numbers stored as numbers
with display formats that Excel shows the Norwegian way in a Norwegian locale ("17 436", "2,1"), suppressed and
missing cells marked with their symbol, and a last sheet of notes and sources."""

from __future__ import annotations

import io
import re

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from kartlegg.lib.exports import DEMO_MARK, safe_cell
from kartlegg.reports.document import CHANGE, CHANGE_PERCENT, SYMBOLS, TEXT, Column, Report, Table

NOTES_SHEET = gettext_noop("Merknader og kilder")  # the sheet names, translated into the report's language
PROFILES_SHEET = gettext_noop("Kommuneprofiler")
_BAD = re.compile(r"[\[\]:*?/\\]")


def number_format(column: Column) -> str:
    decimals = "0" * column.decimals
    base = "#,##0" + (f".{decimals}" if decimals else "")
    if column.kind in (CHANGE, CHANGE_PERCENT):
        return f"+{base};-{base};{base}"
    return base


def sheet_name(title: str, taken: set[str]) -> str:
    name = _BAD.sub("-", title).strip("'")[:31] or "Tabell"
    candidate, counter = name, 2
    while candidate.lower() in taken:
        suffix = f" ({counter})"
        candidate, counter = name[: 31 - len(suffix)] + suffix, counter + 1
    taken.add(candidate.lower())
    return candidate


def header_row(table: Table) -> list[str]:
    return [table.stub or ""] + [c.label for c in table.columns]


def _write_table(sheet: object, table: Table, start: int, bold: object) -> int:
    """Write the title, header and rows from row `start`; return the next free row."""
    ws = sheet  # openpyxl Worksheet
    ws.cell(row=start, column=1, value=safe_cell(table.title)).font = bold  # type: ignore[attr-defined]
    row_index = start + 1
    for col, label in enumerate(header_row(table), start=1):
        ws.cell(row=row_index, column=col, value=safe_cell(label)).font = bold  # type: ignore[attr-defined]
    for row in table.rows:
        row_index += 1
        ws.cell(row=row_index, column=1, value=safe_cell(row.label))  # type: ignore[attr-defined]
        for col, (c, column) in enumerate(zip(row.cells, table.columns, strict=True), start=2):
            target = ws.cell(row=row_index, column=col)  # type: ignore[attr-defined]
            if c.value is None:
                target.value = SYMBOLS.get(c.status, "..")
            elif isinstance(c.value, str) or column.kind == TEXT:
                target.value = safe_cell(str(c.value))
            else:
                target.value = float(c.value)
                target.number_format = number_format(column)
            if row.total:
                target.font = bold
    return row_index + 2


def render_xlsx(report: Report) -> bytes:
    with translation.override(report.language or "nb"):
        return _render_xlsx(report)


def _render_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    notes_sheet, profiles_sheet = gettext(NOTES_SHEET), gettext(PROFILES_SHEET)
    taken: set[str] = {notes_sheet.lower(), profiles_sheet.lower()}
    notes: list[tuple[str, str]] = []
    profiles = None
    profiles_row = 1
    for chapter in report.chapters:
        for table in chapter.tables:
            if chapter.kind == "profiles":
                if profiles is None:
                    profiles = workbook.create_sheet(profiles_sheet)
                    profiles_row = _demo_row(profiles, report, bold)
                profiles_row = _write_table(profiles, table, profiles_row, bold)
                continue
            sheet = workbook.create_sheet(sheet_name(table.id, taken))
            first = _demo_row(sheet, report, bold)
            _write_table(sheet, table, first, bold)
            sheet.column_dimensions["A"].width = 42
            for text in table.notes + ([table.source] if table.source else []):
                notes.append((sheet.title, text))
    if profiles is not None:
        workbook.move_sheet(profiles, offset=len(workbook.sheetnames))
    sheet = workbook.create_sheet(notes_sheet)
    first = _demo_row(sheet, report, bold)
    sheet.cell(row=first, column=1, value=report.title).font = bold
    rows: list[tuple[str, str]] = [
        (gettext("Dataversjon"), report.data_version),
        (gettext("Strukturår"), str(report.structure)),
        (gettext("Imputering"), report.rule),
        (gettext("Skjemaversjoner"), ", ".join(f"{y}: {v}" for y, v in report.questionnaire_versions.items())),
        (
            gettext("Tegnforklaring"),
            gettext(".. = mangler, : = skjult (færre enn 5 enheter), i = imputert, e = anslått"),
        ),
    ]
    rows += [(gettext("Merknad"), f.text) for f in report.footnotes]
    rows += [(gettext("Kilde"), f"{s.name}: {s.detail}" if s.detail else s.name) for s in report.sources]
    rows += notes
    for index, (label, text) in enumerate(rows, start=first + 2):
        sheet.cell(row=index, column=1, value=safe_cell(label))
        sheet.cell(row=index, column=2, value=safe_cell(text))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 110
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _demo_row(sheet: object, report: Report, bold: object) -> int:
    """The demo mark in the first row of every sheet of a demo report; returns the first free row."""
    if not report.demo:
        return 1
    from openpyxl.styles import Font

    made_up = gettext("tallene for enkeltenheter er oppdiktet")
    cell = sheet.cell(row=1, column=1, value=f"{DEMO_MARK}: {made_up}")  # type: ignore[attr-defined]
    cell.font = Font(bold=True, color="B00000")
    return 3
