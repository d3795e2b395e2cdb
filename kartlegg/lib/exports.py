"""Spreadsheet-safe exports. Every CSV and XLSX the project writes goes through these helpers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
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


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    demo_mark: bool | None = None,
    *,
    mark_column: bool = False,
    plain: bool = False,
) -> bytes:
    """UTF-8 with BOM and semicolons, so Excel in a Norwegian locale opens it as columns with æøå intact.

    plain=True: commas and no BOM, for scripts (the caller writes decimal points). mark_column=True keeps a demo
    file a clean table (one header row, then data): the mark is a last column on every row instead of a first row.
    """
    mark = settings.KARTLEGG_DEMO_MODE if demo_mark is None else demo_mark
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="," if plain else ";", lineterminator="\r\n")
    if mark and not mark_column:
        writer.writerow([f"# {DEMO_MARK}: tallene for enkeltenheter er oppdiktet"])
    extra = ["datagrunnlag"] if mark and mark_column else []
    writer.writerow([safe_cell(h) for h in [*header, *extra]])
    tail = [DEMO_MARK] if extra else []
    for row in rows:
        writer.writerow([safe_cell(v) for v in [*row, *tail]])
    return (("" if plain else "\ufeff") + buffer.getvalue()).encode("utf-8")


def csv_stream(
    header: Sequence[str], rows: Iterable[Sequence[Any]], demo_mark: bool | None = None, batch: int = 500
) -> Iterator[bytes]:
    """The same CSV as csv_bytes, as chunks of `batch` rows for a StreamingHttpResponse: memory stays flat however
    many rows there are."""
    mark = settings.KARTLEGG_DEMO_MODE if demo_mark is None else demo_mark
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    if mark:
        writer.writerow([f"# {DEMO_MARK}: tallene for enkeltenheter er oppdiktet"])
    writer.writerow([safe_cell(h) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if count % batch == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate(0)
    yield buffer.getvalue().encode("utf-8")


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
