"""A Cube as a PC-Axis file (.px), following the PX file format specification (AXIS-VERSION 2013, Statistics
Sweden / PxTools) the way PxWeb-based statistics banks such as SSB's write it today.

Encoding: the file is UTF-8 and says so with CODEPAGE="utf-8". CHARSET="ANSI" is still written first: in PX it
only means "texts are not in DOS format", and PxWeb 2 / PxWebApi 2 files carry it next to CODEPAGE="utf-8".
Keywords come in the specification's recommended order; lines stay within 256 characters (lists are broken after a
comma, long texts into several quoted strings); line ends are CRLF.

Missing cells: the specification allows only a dash or one to six dots (quoted) in DATA, and DATASYMBOLn says how a
stored dot code is shown. So a missing figure is stored as ".." (shown "..") and a suppressed one as "..." with
DATASYMBOL3=":", which PX readers show as ":". `literal_symbols=True` writes ":" itself into DATA instead, for
readers that expect SSB's symbol verbatim. Estimated and imputed cells keep their value and get DATANOTECELL "e"/"i".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kartlegg.analytics.cube import METRIC, TIME, Cube, format_plain
from kartlegg.analytics.jsonstat import default_layout
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, MISSING, SUPPRESSED, AnalyticsError

MAX_LINE = 256
NEWLINE = "\r\n"
# The dot code stored in DATA for each empty status, and how DATASYMBOLn tells readers to show it.
STORED = {MISSING: '".."', SUPPRESSED: '"..."'}
SHOWN = {MISSING: ("DATASYMBOL2", ".."), SUPPRESSED: ("DATASYMBOL3", ":")}
LITERAL = {MISSING: '".."', SUPPRESSED: '":"'}
NOTE_SYMBOLS = {ESTIMATED: "e", IMPUTED: "i"}


def _text(value: str) -> str:
    # A PX value is delimited by quotation marks and cannot contain one; line breaks would end the record.
    return value.replace('"', "'").replace("\r", " ").replace("\n", " ")


def _quoted_list(values: Iterable[str]) -> list[str]:
    return [f'"{_text(v)}"' for v in values]


def _keyword(name: str, items: Sequence[str], sub: Sequence[str] = ()) -> str:
    """KEYWORD("sub","keys")=item,item,…; with lines no longer than 256 characters, broken after a comma."""
    head = name + (f"({','.join(_quoted_list(sub))})" if sub else "") + "="
    lines: list[str] = []
    line = head
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else ";")
        if len(line) + len(piece) > MAX_LINE and line != head:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return NEWLINE.join(lines)


def _long_text(name: str, text: str, sub: Sequence[str] = ()) -> str:
    """A text keyword; a long text is written as several quoted strings, one per line (PX "multiline")."""
    clean = _text(text)
    width = MAX_LINE - 40
    chunks = [clean[i : i + width] for i in range(0, len(clean), width)] or [""]
    head = name + (f"({','.join(_quoted_list(sub))})" if sub else "") + "="
    body = NEWLINE.join(f'"{chunk}"' for chunk in chunks)
    return f"{head}{body};"


def _plain(name: str, value: str | int) -> str:
    return f"{name}={value};"


def to_px(
    cube: Cube,
    matrix: str,
    subject_code: str,
    subject_area: str,
    stub: Sequence[str] | None = None,
    heading: Sequence[str] | None = None,
    creation_date: str = "",
    literal_symbols: bool = False,
) -> bytes:
    """The PX file as bytes. stub/heading are dimension ids (default: measure and time in the heading, as SSB).
    creation_date is "CCYYMMDD hh:mm" (the caller's clock; this function does not read one)."""
    if not matrix or len(matrix) > 20:
        raise AnalyticsError("MATRIX må ha 1–20 tegn.")
    if not subject_code or len(subject_code) > 20:
        raise AnalyticsError("SUBJECT-CODE må ha 1–20 tegn.")
    default_stub, default_heading = default_layout(cube)
    stub_ids = list(stub) if stub is not None else default_stub
    heading_ids = list(heading) if heading is not None else default_heading
    order = [*stub_ids, *heading_ids]
    indices = list(cube.order(order))  # also checks that every dimension is placed once
    dims = {d.id: d for d in cube.dimensions}
    var = {d.id: _text(d.label) for d in cube.dimensions}
    if len(set(var.values())) != len(var):
        raise AnalyticsError("Dimensjonene må ha ulike navn (label) i en PX-fil.")
    metric = next((d for d in cube.dimensions if d.role == METRIC), None)
    decimals = cube.decimals()
    known = [d for d in decimals if d is not None]
    stored_decimals = max(known) if known else 0
    shown_decimals = min(known) if known else 0

    out: list[str] = [
        _plain("CHARSET", '"ANSI"'),
        _plain("AXIS-VERSION", '"2013"'),
        _plain("CODEPAGE", '"utf-8"'),
        _plain("LANGUAGE", f'"{cube.language}"'),
    ]
    if creation_date:
        out.append(_plain("CREATION-DATE", f'"{_text(creation_date)}"'))
    if cube.table_id:
        out.append(_plain("TABLEID", f'"{_text(cube.table_id)}"'))
    out += [
        _plain("DECIMALS", stored_decimals),
        _plain("SHOWDECIMALS", shown_decimals),
        _plain("ROUNDING", 1),  # .5 is rounded up, as cube.round_half_up does
        _plain("MATRIX", f'"{_text(matrix)}"'),
        _plain("AGGREGALLOWED", "NO"),
        _plain("SUBJECT-CODE", f'"{_text(subject_code)}"'),
        _plain("SUBJECT-AREA", f'"{_text(subject_area)}"'),
        _long_text("TITLE", _title(cube.label, [var[i] for i in order])),  # names in stub/heading order
        _long_text("CONTENTS", cube.label),
    ]
    if metric is None or not metric.units:
        out.append(_long_text("UNITS", "antall"))
    out.append(_keyword("STUB", _quoted_list(var[i] for i in stub_ids)) if stub_ids else "")
    out.append(_keyword("HEADING", _quoted_list(var[i] for i in heading_ids)) if heading_ids else "")
    if metric is not None:
        out.append(_keyword("CONTVARIABLE", _quoted_list([var[metric.id]])))
    for dim_id in order:
        out.append(_keyword("VALUES", _quoted_list(label for _, label in dims[dim_id].categories), [var[dim_id]]))
        if dims[dim_id].role == TIME and all(c.isdigit() and len(c) == 4 for c in dims[dim_id].codes):
            out.append(_keyword("TIMEVAL", ["TLIST(A1)", *_quoted_list(dims[dim_id].codes)], [var[dim_id]]))
    for dim_id in order:
        out.append(_keyword("CODES", _quoted_list(dims[dim_id].codes), [var[dim_id]]))
    if metric is not None:
        for code, label in metric.categories:
            unit = metric.units.get(code)
            if unit is not None and unit.decimals > shown_decimals:
                out.append(_plain(f'PRECISION("{var[metric.id]}","{_text(label)}")', unit.decimals))
        updated = _px_time(cube.updated)
        if updated:
            for _, label in metric.categories:
                out.append(_plain(f'LAST-UPDATED("{_text(label)}")', f'"{updated}"'))
        for code, label in metric.categories:
            unit = metric.units.get(code)
            out.append(_long_text("UNITS", unit.label if unit else "antall", [_text(label)]))
    if cube.contact:
        out.append(_long_text("CONTACT", cube.contact))
    if cube.source:
        out.append(_long_text("SOURCE", cube.source))
    for note in cube.notes_with_symbols():
        out.append(_long_text("NOTE", note))
    used = set(cube.status.values())
    if not literal_symbols:
        for status in (MISSING, SUPPRESSED):
            if status in used:
                keyword, shown = SHOWN[status]
                out.append(_plain(keyword, f'"{shown}"'))
    out += _cell_notes(cube, order)
    out.append(_data(cube, indices, decimals, _row_length(cube, heading_ids), literal_symbols))
    text = NEWLINE.join(line for line in out if line) + NEWLINE
    return text.encode("utf-8")


def _px_time(iso: str) -> str:
    """ISO 8601 (2024-12-01T08:00:00Z) as PX's "CCYYMMDD hh:mm"; "" when there is none or it cannot be read."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?", iso or "")
    if not match:
        return ""
    year, month, day, hour, minute = match.groups()
    return f"{year}{month}{day} {hour or '00'}:{minute or '00'}"


def _title(label: str, variables: list[str]) -> str:
    if len(variables) == 1:
        return f"{label}, etter {variables[0]}"
    return f"{label}, etter {', '.join(variables[:-1])} og {variables[-1]}"


def _row_length(cube: Cube, heading_ids: Sequence[str]) -> int:
    length = 1
    for dim in cube.dimensions:
        if dim.id in heading_ids:
            length *= dim.size
    return length


def _cell_notes(cube: Cube, order: Sequence[str]) -> list[str]:
    """DATANOTECELL for each estimated or imputed cell: its codes in stub-then-heading order, and the symbol."""
    flagged = {i: NOTE_SYMBOLS[s] for i, s in cube.status.items() if s in NOTE_SYMBOLS}
    if not flagged:
        return []
    sizes = cube.sizes
    at = {d.id: i for i, d in enumerate(cube.dimensions)}
    code_lists = [d.codes for d in cube.dimensions]
    lines = []
    for index, symbol in flagged.items():
        positions = []
        rest = index
        for dim_at in range(len(sizes) - 1, -1, -1):
            rest, position = divmod(rest, sizes[dim_at])
            positions.append(position)
        positions.reverse()
        codes = [code_lists[at[d]][positions[at[d]]] for d in order]
        lines.append(_plain(f"DATANOTECELL({','.join(_quoted_list(codes))})", f'"{symbol}"'))
    return lines


def _data(cube: Cube, indices: list[int], decimals: list[int | None], width: int, literal_symbols: bool) -> str:
    """DATA=, then one line per stub row with the heading's cells separated by spaces (the recommended delimiter)."""
    codes = LITERAL if literal_symbols else STORED
    cells = []
    for index in indices:
        value = cube.values[index]
        if value is None:
            cells.append(codes[cube.status.get(index, MISSING)])
        else:
            places = decimals[index]
            cells.append(format_plain(value, places) if places is not None else repr(value))
    lines = [" ".join(cells[i : i + width]) for i in range(0, len(cells), width)] or [""]
    return "DATA=" + NEWLINE + (" " + NEWLINE).join(lines) + ";"
