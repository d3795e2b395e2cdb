"""Every download of a statistics table, rendered from one Cube so that the formats cannot disagree: CSV (a clean
table), its notes, XLSX, PC-Axis and JSON-stat. The explorer, the unit profiles and the API all call `render`.

CSV is one header row, then data rows only: region code and name side by side, the measure, the year, the value and
its symbol. Notes (the sources, the non-response sentence, what the symbols mean) never go into the rows; they are
in the `notes` download, in the XLSX sheet "Merknader", in PX's NOTE and in JSON-stat's `note`. The default CSV is
for Excel in a Norwegian locale (UTF-8 with BOM, semicolons, decimal comma); `plain` gives commas and decimal points
for scripts, as SSB's statistics bank offers both. A share's N is a second category of the measure dimension
("<code>.n", antall enheter som svarte), so it is in every format as ordinary data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from kartlegg.analytics import jsonstat
from kartlegg.analytics.cube import GEO, METRIC, TIME, Cube, round_half_up
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, STATUS_SYMBOLS
from kartlegg.analytics.px import to_px
from kartlegg.lib.exports import DEMO_MARK, csv_bytes, xlsx_bytes

FORMATS = ("csv", "xlsx", "px", "jsonstat", "notes")
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "px": "PC-Axis (PX)", "jsonstat": "JSON-stat", "notes": None}
CSV_VARIANTS = ("excel", "plain")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "px": "application/octet-stream",
    "jsonstat": "application/json; charset=utf-8",
    "notes": "text/plain; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "px": "px", "jsonstat": "json", "notes": "txt"}
SUBJECT_CODE = "kartlegg"
SUBJECT_AREA = "Psykisk helse og rus i kommunene"


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str


def render(
    cube: Cube, kind: str, *, plain: bool = False, extension: Mapping[str, Any] | None = None, attachment: bool = True
) -> Download:
    """The cube as `kind` (one of FORMATS). `extension` goes into JSON-stat's root extension."""
    if kind == "csv":
        content = csv_table(cube, plain=plain)
    elif kind == "notes":
        content = notes_text(cube).encode("utf-8")
    elif kind == "xlsx":
        content = xlsx_table(cube)
    elif kind == "px":
        content = px_file(cube)
    elif kind == "jsonstat":
        content = jsonstat_text(cube, extension).encode("utf-8")
    else:
        raise ValueError(f"Ukjent format {kind!r}; gyldige er {', '.join(FORMATS)}.")
    suffix = "_merknader" if kind == "notes" else ""
    return Download(content, CONTENT_TYPES[kind], f"{cube.id}{suffix}.{EXTENSIONS[kind]}" if attachment else "")


def _cells(cube: Cube) -> list[list[tuple[str, str]]]:
    """Each cell's (code, label) per dimension, in the cube's row-major order."""
    sizes = cube.sizes
    categories = [d.categories for d in cube.dimensions]
    result = []
    for index in range(len(cube.values)):
        rest, row = index, []
        for dim_at in range(len(sizes) - 1, -1, -1):
            rest, position = divmod(rest, sizes[dim_at])
            row.append(categories[dim_at][position])
        row.reverse()
        result.append(row)
    return result


def csv_header(cube: Cube) -> list[str]:
    header: list[str] = []
    for dim in cube.dimensions:
        header += [f"{dim.label}kode", dim.label] if dim.role == GEO else [dim.label]
    return [*header, "verdi", "merknad"]


def csv_rows(cube: Cube, plain: bool = False) -> list[list[str]]:
    """Long format, one row per cell. A missing or suppressed cell shows its symbol in `verdi`, as SSB's CSV does."""
    roles = [d.role for d in cube.dimensions]
    decimals = cube.decimals()
    rows = []
    for index, categories in enumerate(_cells(cube)):
        row: list[str] = []
        for role, (code, label) in zip(roles, categories, strict=True):
            row += [code, label] if role == GEO else [label if role == METRIC else code]
        value, symbol = cube.values[index], cube.symbol(index)
        if value is None:
            row.append(symbol)
        else:
            places = decimals[index]
            text = f"{round_half_up(value, places):.{places}f}" if places is not None else repr(value)
            row.append(text if plain else text.replace(".", ","))
        row.append(symbol)
        rows.append(row)
    return rows


def csv_table(cube: Cube, plain: bool = False) -> bytes:
    return csv_bytes(csv_header(cube), csv_rows(cube, plain), mark_column=True, plain=plain)


def notes_lines(cube: Cube) -> list[str]:
    lines = [cube.title, *cube.notes_with_symbols()]
    if cube.source:
        lines.append(f"Kilde: {cube.source}" if not cube.source.startswith("Kilde") else cube.source)
    if cube.updated:
        lines.append(f"Beregnet: {cube.updated}")
    if settings.KARTLEGG_DEMO_MODE and not any(DEMO_MARK in line for line in lines):
        lines.insert(0, f"{DEMO_MARK}: tallene for enkeltenheter er oppdiktet.")
    return lines


def notes_text(cube: Cube) -> str:
    return "\r\n".join(notes_lines(cube)) + "\r\n"


def xlsx_table(cube: Cube) -> bytes:
    """Sheet "Tabell": one row per region (code and name), one column per year (and measure, when there are
    several), numbers as numbers; sheet "Merknader"; and "Merkede celler" listing the estimated and imputed cells."""
    stub_ids, heading_ids = jsonstat.default_layout(cube)
    dims = {d.id: d for d in cube.dimensions}
    stub, heading = [dims[i] for i in stub_ids], [dims[i] for i in heading_ids]
    columns = _combinations([d.categories for d in heading])
    titles = [_column_title(heading, combo) for combo in columns]
    header = [title for d in stub for title in ("Kode", d.label.capitalize())] + titles
    decimals = cube.decimals()
    body: list[list[Any]] = []
    flagged: list[list[Any]] = []
    for row in _combinations([d.categories for d in stub]):
        line: list[Any] = [part for pair in row for part in pair]
        codes_of_row = {d.id: code for d, (code, _label) in zip(stub, row, strict=True)}
        for combo, title in zip(columns, titles, strict=True):
            codes = {**codes_of_row, **{d.id: code for d, (code, _label) in zip(heading, combo, strict=True)}}
            index = cube.index_of(*[codes[d.id] for d in cube.dimensions])
            value, places = cube.values[index], decimals[index]
            if value is None:
                line.append(cube.symbol(index))
            else:
                line.append(round_half_up(value, places) if places is not None else value)
            status = cube.status.get(index, "")
            if status in (ESTIMATED, IMPUTED):
                flagged.append([part for pair in row for part in pair] + [title, STATUS_SYMBOLS[status]])
        body.append(line)
    sheets: list[tuple[str, Sequence[str], Any]] = [
        ("Tabell", header, body),
        ("Merknader", ["Merknad"], [[n] for n in notes_lines(cube)]),
    ]
    if flagged:
        sheets.append(("Merkede celler", [*header[: 2 * len(stub)], "Celle", "Merknad"], flagged))
    return xlsx_bytes(sheets)


def _column_title(heading: Sequence[Any], combo: Sequence[tuple[str, str]]) -> str:
    """A year alone; the measure's name too when the table has several (a share and its N)."""
    parts = []
    for dim, (code, label) in zip(heading, combo, strict=True):
        if dim.role == METRIC:
            if dim.size > 1:
                parts.append(label)
        else:
            parts.append(code if dim.role == TIME else label)
    return " ".join(parts) or combo[0][1]


def _combinations(lists: Sequence[Sequence[tuple[str, str]]]) -> list[tuple[tuple[str, str], ...]]:
    result: list[tuple[tuple[str, str], ...]] = [()]
    for items in lists:
        result = [(*prefix, item) for prefix in result for item in items]
    return result


def px_file(cube: Cube) -> bytes:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d %H:%M")
    return to_px(cube, cube.id[:20], SUBJECT_CODE, SUBJECT_AREA, creation_date=stamp)


def jsonstat_text(cube: Cube, extension: Mapping[str, Any] | None = None) -> str:
    data = jsonstat.to_jsonstat(cube)
    if extension:
        data["extension"].update(extension)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
