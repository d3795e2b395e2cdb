"""Spreadsheet-safe exports. Every CSV and XLSX the project writes goes through these helpers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings

DEMO_MARK = "Syntetiske demodata"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # A number such as "-2,5" stays a number; only text is prefixed.
        stripped = value.replace(",", ".").replace(" ", "")
        try:
            float(stripped)
            return value
        except ValueError:
            return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], demo_mark: bool | None = None) -> bytes:
    """UTF-8 with BOM and semicolons, so Excel in a Norwegian locale opens it as columns with æøå intact."""
    mark = settings.KARTLEGG_DEMO_MODE if demo_mark is None else demo_mark
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    if mark:
        writer.writerow([f"# {DEMO_MARK}: tallene for enkeltenheter er oppdiktet"])
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]], demo_mark: bool | None = None
) -> bytes:
    """One workbook, one sheet per (title, header, rows). A demo workbook says so in its first row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    mark = settings.KARTLEGG_DEMO_MODE if demo_mark is None else demo_mark
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        if mark:
            sheet.append([f"{DEMO_MARK}: tallene for enkeltenheter er oppdiktet"])
            sheet.cell(row=1, column=1).font = Font(bold=True, color="B00000")
        sheet.append([safe_cell(h) for h in header])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
