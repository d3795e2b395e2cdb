"""Reading uploaded files safely: what kind of file is it, and the rows of a CSV or an XLSX sheet as plain values.

Shared by the response import and the helper workbook. A file is recognised by its bytes, never by its name, so a
PNG or a Word document renamed to .xlsx is told apart from a workbook and refused with a message that says what it
is. Workbooks are checked before openpyxl opens them: a small ZIP can unpack to gigabytes of XML.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Unpacked size allowed for a workbook; a real one with a few thousand rows is a few MB.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Cells a workbook may hold before openpyxl parses it. The size of the file says little (a 0,22 MB file can hold
# 4 million empty cells in one row, and openpyxl parses a whole row at a time whatever max_col says), so the work is
# bounded by counting cells in the sheets' XML first, which stops as soon as the limit is passed.
MAX_CELLS = 2_000_000
_CELL_MARKS = (b"<c", b":c ", b":c>", b":c/", b":c\n", b":c\r", b":c\t")
_STRING_MARKS = (b"<si", b":si")


class FileFormatError(ValueError):
    """The file is not a CSV or XLSX we can read. The message (bokmål) says what it seems to be instead."""


_MAGIC = [
    (b"\x89PNG", "et bilde (PNG)"),
    (b"\xff\xd8\xff", "et bilde (JPEG)"),
    (b"GIF8", "et bilde (GIF)"),
    (b"%PDF", "en PDF-fil"),
    (b"\x1f\x8b", "en komprimert fil (gzip)"),
    (b"Rar!", "en komprimert fil (RAR)"),
    (b"{\\rtf", "et RTF-dokument"),
]


def detect_format(data: bytes) -> str:
    """ "xlsx" or "csv", or FileFormatError naming what the file looks like."""
    if not data or not data.strip():
        raise FileFormatError("Filen er tom.")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise FileFormatError(f"Filen er {what}, ikke CSV eller Excel (XLSX).")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileFormatError(
            "Filen er i et gammelt Office-format (.xls eller .doc). Lagre den som Excel-arbeidsbok (.xlsx)."
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        _check_workbook_zip(data)
        return "xlsx"
    if b"\x00" in data[:8192]:
        raise FileFormatError("Filen er ikke en tekstfil (CSV) eller et Excel-ark (XLSX).")
    return "csv"


def _check_workbook_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileFormatError("Filen ser ut som en ZIP- eller Excel-fil, men er skadet.") from None
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise FileFormatError("Filen er et Word-dokument (.docx), ikke et Excel-ark (.xlsx).")
        if any(name.startswith("ppt/") for name in names):
            raise FileFormatError("Filen er en PowerPoint-presentasjon, ikke et Excel-ark (.xlsx).")
        if "content.xml" in names:
            raise FileFormatError("Filen er et OpenDocument-dokument. Lagre den som Excel-arbeidsbok (.xlsx).")
        raise FileFormatError("Filen er en ZIP-fil, ikke et Excel-ark (.xlsx).")
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileFormatError("Excel-filen er for stor når den pakkes ut.")


def decode_text(data: bytes) -> str:
    """UTF-8 with or without BOM. Anything else is refused with advice, since guessing mangles æøå silently."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError(
            "Filen er ikke UTF-8-kodet tekst. Lagre den som «CSV UTF-8 (kommadelt)» i Excel og prøv igjen."
        ) from None


@dataclass
class Row:
    number: int  # 1-based line (CSV) or row (sheet) number, as the user sees it
    cells: list[Any]


def csv_rows(text: str) -> Iterator[Row]:
    """Rows of a CSV text with comma or semicolon delimiter (whichever the header line uses more of)."""
    lines = (line for line in text.split("\n", 20)[:20] if line.strip() and not line.startswith("#"))
    first_line = next(lines, "")
    delimiter = ";" if first_line.count(";") >= first_line.count(",") and ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield Row(start, cells)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileFormatError(f"Linje {start}: CSV-filen kan ikke leses ({exc}).") from None


def count_cells(data: bytes, limit: int) -> int:
    """Cells (and shared strings) in a workbook's XML, counted without parsing it; stops once past `limit`.

    It counts every element that starts with `<c` (cells, and a few column and formatting elements, so it never
    counts low) in streamed, decompressed chunks: the cost is bounded by `limit`, not by what the file unpacks to."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        names += [n for n in archive.namelist() if n == "xl/sharedStrings.xml"]
        total = 0
        for name in names:
            marks = _STRING_MARKS if name.endswith("sharedStrings.xml") else _CELL_MARKS
            tail = b""
            with archive.open(name) as stream:
                while chunk := stream.read(256 * 1024):
                    buffer = tail + chunk
                    total += sum(buffer.count(mark) for mark in marks)
                    if total > limit:
                        return total
                    tail = buffer[-3:]  # a mark split between chunks is counted (one may count twice: never low)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
        raise FileFormatError("Filen ser ut som en ZIP- eller Excel-fil, men er skadet.") from None
    return total


def open_workbook(data: bytes, max_cells: int = MAX_CELLS) -> Any:
    """The workbook, read-only, after checking that it holds at most `max_cells` cells."""
    from openpyxl import load_workbook

    from kartlegg.lib.numbers import format_number

    if count_cells(data, max_cells) > max_cells:
        raise FileFormatError(
            f"Excel-filen har for mange celler (mer enn {format_number(max_cells, space=' ')}). "
            "Fjern tomme rader og kolonner, eller del filen."
        )
    try:
        # data_only: the cached results of formulas, not the formula text.
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, XML errors) for broken files
        raise FileFormatError("Excel-filen kan ikke leses. Er den skadet?") from exc


def sheet_rows(sheet: Any, max_col: int | None = None, max_rows: int = 200_000) -> Iterator[Row]:
    for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=max_col), start=1):
        if number > max_rows:
            raise FileFormatError(f"Arket har mer enn {max_rows} rader.")
        yield Row(number, [cell_value(c) for c in cells])


def cell_value(value: Any) -> Any:
    """A spreadsheet cell as the engine expects raw input: whole floats as int, floats as exact short decimals."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        # Excel stores 0.1 as the nearest double; its shortest repr is what the user typed.
        return Decimal(repr(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def normalise_unit_code(value: Any) -> str:
    """Unit codes lose their leading zero in spreadsheets (0301 → 301, 030101 → 30101); put it back."""
    if isinstance(value, bool):
        return str(value)
    numeric = isinstance(value, int | Decimal) and value == int(value)
    text = str(int(value)) if numeric else str(value or "").strip()
    if text.isdigit():
        if len(text) == 3:
            return text.zfill(4)
        if len(text) == 5:
            return text.zfill(6)
    return text


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
