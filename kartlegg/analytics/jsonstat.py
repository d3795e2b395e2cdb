"""A Cube as JSON-stat 2.0, the way SSB's statistics bank (PxWebApi, format json-stat2) publishes a table, and as CSV.

JSON-stat 2.0 (json-stat.org/format): class "dataset", version "2.0", id and size in the same order, one dimension
object per id with category.index ({code: position}) and category.label, the values as one array in row-major
order (last dimension fastest), role for the time, geo and metric dimensions, and status for flagged cells. As SSB:
status is an object {"cell index": symbol}; the metric dimension carries category.unit {code: {base, decimals}};
root extension.px repeats the PX keywords (contents, decimals, stub/heading, tableid…). Missing and suppressed cells
are null with status ".." or ":", never 0; estimated ("e") and imputed ("i") cells keep their value.
"""

from __future__ import annotations

import json
from typing import Any

from kartlegg.analytics.cube import METRIC, TIME, Cube, format_plain
from kartlegg.analytics.measures import AnalyticsError
from kartlegg.lib.exports import csv_bytes


def default_layout(cube: Cube) -> tuple[list[str], list[str]]:
    """(stub, heading) as SSB lays a table out by default: the measure and the time in the heading, the rest in the
    stub. A cube of only heading dimensions puts the first in the stub."""
    heading = [d.id for d in cube.dimensions if d.role in (METRIC, TIME)]
    stub = [d.id for d in cube.dimensions if d.id not in heading]
    if not stub:
        stub, heading = heading[:1], heading[1:]
    return stub, heading


def to_jsonstat(cube: Cube, matrix: str = "", subject_code: str = "", subject_area: str = "") -> dict[str, Any]:
    dimension: dict[str, Any] = {}
    for dim in cube.dimensions:
        category: dict[str, Any] = {
            "index": {code: i for i, code in enumerate(dim.codes)},
            "label": dict(dim.categories),
        }
        if dim.units:
            # SSB writes the unit as "base"; JSON-stat's own name is "label". Both are given.
            category["unit"] = {
                code: {"base": unit.label, "label": unit.label, "decimals": unit.decimals}
                for code, unit in dim.units.items()
            }
        dimension[dim.id] = {"label": dim.label, "category": category, "extension": {"show": "value"}}
    role: dict[str, list[str]] = {}
    for dim in cube.dimensions:
        if dim.role:
            role.setdefault(dim.role, []).append(dim.id)
    stub, heading = default_layout(cube)
    decimals = [d for d in cube.decimals() if d is not None]
    px: dict[str, Any] = {
        "infofile": "None",
        "decimals": max(decimals) if decimals else 0,
        "official-statistics": False,
        "aggregallowed": False,  # rates and totals side by side: summing the cells is meaningless
        "language": cube.language,
        "contents": cube.label,
        "heading": heading,
        "stub": stub,
    }
    if cube.table_id:
        px["tableid"] = cube.table_id
    for key, value in (("matrix", matrix), ("subject-code", subject_code), ("subject-area", subject_area)):
        if value:
            px[key] = value
    extension: dict[str, Any] = {"px": px}
    if cube.contact:
        extension["contact"] = [{"raw": cube.contact}]
    result: dict[str, Any] = {"version": "2.0", "class": "dataset", "label": cube.title}
    if cube.source:
        result["source"] = cube.source
    if cube.updated:
        result["updated"] = cube.updated
    notes = cube.notes_with_symbols()
    if notes:
        result["note"] = notes
    result.update(
        {
            "role": role,
            "id": [d.id for d in cube.dimensions],
            "size": cube.sizes,
            "dimension": dimension,
            "extension": extension,
            "value": cube.rounded_values(),
        }
    )
    status = {str(i): cube.symbol(i) for i in cube.status}
    if status:
        result["status"] = status
    return result


def dumps(cube: Cube, **kwargs: str) -> str:
    """JSON-stat 2.0 text (UTF-8 safe: æøå are written as they are)."""
    return json.dumps(to_jsonstat(cube, **kwargs), ensure_ascii=False, separators=(",", ":"))


NAMINGS = ("labels", "codes", "codes_and_labels")


def csv_rows(cube: Cube, decimal_comma: bool = True, naming: str = "labels") -> tuple[list[str], list[list[str]]]:
    """One row per cell (long format, what a pivot table wants): the category of each dimension, the value, and the
    status symbol. A missing or suppressed cell shows its symbol in the value column too, as SSB's CSV does."""
    if naming not in NAMINGS:
        raise AnalyticsError(f"Ukjent navngiving {naming!r}; gyldige er {', '.join(NAMINGS)}.")
    header = [d.label for d in cube.dimensions] + ["verdi", "merknad"]
    names = []
    for dim in cube.dimensions:
        if naming == "codes":
            names.append(dim.codes)
        elif naming == "labels":
            names.append([label for _, label in dim.categories])
        else:
            names.append([f"{code} {label}" if code != label else code for code, label in dim.categories])
    decimals = cube.decimals()
    rows: list[list[str]] = []
    sizes = cube.sizes
    for index, value in enumerate(cube.values):
        row: list[str] = []
        rest = index
        for dim_at in range(len(sizes) - 1, -1, -1):
            rest, position = divmod(rest, sizes[dim_at])
            row.append(names[dim_at][position])
        row.reverse()
        symbol = cube.symbol(index)
        if value is None:
            row.append(symbol)
        else:
            places = decimals[index]
            row.append(
                format_plain(value, places, decimal_comma)
                if places is not None
                else (repr(value).replace(".", ",") if decimal_comma else repr(value))
            )
        row.append(symbol)
        rows.append(row)
    return header, rows


def to_csv(cube: Cube, decimal_comma: bool = True, naming: str = "labels", demo_mark: bool | None = None) -> bytes:
    """Norwegian-friendly CSV via lib.exports: UTF-8 with BOM, semicolons, decimal comma by default."""
    header, rows = csv_rows(cube, decimal_comma, naming)
    return csv_bytes(header, rows, demo_mark=demo_mark)
