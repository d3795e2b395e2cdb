"""Exporting a round's responses: a long CSV (one row per value) and a wide XLSX (one row per unit).

Both go through kartlegg.lib.exports, so text that a spreadsheet would run as a formula is neutralised and demo data
is marked. The layouts are the ones importers.py reads, so an export can be corrected and imported again: numbers
in the CSV carry a decimal comma (Excel in a Norwegian locale reads them as numbers), yes/no is ja/nei, dates are
dd.mm.åååå and multichoice answers are comma-separated codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from kartlegg.lib.exports import csv_bytes, xlsx_bytes
from kartlegg.surveys import engine

from .models import Answer, Response, ResponseStatus, Round

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LONG_HEADER = ["unit_code", "unit_name", "variable", "value", "comment"]
STATUS_LABELS = dict(ResponseStatus.choices)  # lazy; str() them when writing


def text_value(value: Any, decimal_comma: bool = True) -> Any:
    """A stored python value as a spreadsheet cell that the importer reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, Decimal):
        text = engine.dump_value(value) or ""
        return text.replace(".", ",") if decimal_comma else value
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def _answers(round_obj: Round) -> Iterator[tuple[str, str, str, str | None, str]]:
    return (
        Answer.objects.filter(response__round=round_obj)
        .order_by("response__unit__code", "variable")
        .values_list("response__unit__code", "response__unit__name", "variable", "value_text", "comment")
        .iterator(chunk_size=5000)
    )


def long_rows(round_obj: Round) -> Iterator[list[Any]]:
    """unit_code, unit_name, variable, value, comment for every stored value of the round, in questionnaire order."""
    defn = round_obj.version.definition()
    order = _positions(defn)
    unit_rows: list[list[Any]] = []
    current = None
    for unit_code, unit_name, variable, text, comment in _answers(round_obj):
        if unit_code != current:
            yield from sorted(unit_rows, key=lambda r: order[r[2]])
            unit_rows, current = [], unit_code
        if variable not in order:
            continue  # a variable this questionnaire version does not have
        value = engine.load_value(defn, variable, text)
        if value is None and not comment:
            continue
        unit_rows.append([unit_code, unit_name, variable, text_value(value), comment])
    yield from sorted(unit_rows, key=lambda r: order[r[2]])


def _positions(defn: Any) -> dict[str, int]:
    """Questionnaire order for every code that may hold a value or a comment (a grid sorts before its cells)."""
    positions: dict[str, int] = {}
    for question in defn.questions.values():
        positions[question.code] = len(positions)
        for cell in question.cell_codes() if question.is_grid else []:
            positions[cell] = len(positions)
    return positions


def long_csv(round_obj: Round) -> bytes:
    return csv_bytes(LONG_HEADER, long_rows(round_obj))


def wide_table(round_obj: Round) -> tuple[list[str], list[list[Any]], list[list[Any]]]:
    """(header, one row per unit, comment rows) with every value code of the questionnaire as a column."""
    defn = round_obj.version.definition()
    codes = engine.value_codes(defn)
    index = {code: i for i, code in enumerate(codes)}
    header = ["unit_code", "unit_name", "status", *codes]
    responses = (
        Response.objects.filter(round=round_obj)
        .order_by("unit__code")
        .values_list("unit__code", "unit__name", "status")
    )
    rows: dict[str, list[Any]] = {
        code: [code, name, str(STATUS_LABELS.get(status, status)), *([None] * len(codes))]
        for code, name, status in responses
    }
    comments: list[list[Any]] = []
    for unit_code, unit_name, variable, text, comment in _answers(round_obj):
        row = rows.get(unit_code)
        if row is not None and variable in index:
            row[3 + index[variable]] = _sheet_value(engine.load_value(defn, variable, text))
        if comment:
            comments.append([unit_code, unit_name, variable, comment])
    return header, list(rows.values()), comments


def _sheet_value(value: Any) -> Any:
    # Numbers stay numbers in a workbook; the rest as the CSV writes them.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if value is None:
        return None
    return text_value(value)


def wide_xlsx(round_obj: Round) -> bytes:
    header, rows, comments = wide_table(round_obj)
    return xlsx_bytes(
        [
            ("Svar", header, rows),
            ("Kommentarer", ["unit_code", "unit_name", "variable", "comment"], comments),
        ]
    )


def export_filename(round_obj: Round, extension: str) -> str:
    return f"svar-runde-{round_obj.pk}-{round_obj.year}.{extension}"
