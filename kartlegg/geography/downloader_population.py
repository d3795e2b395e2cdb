"""SSB StatBank population by single year of age (tables 07459 and 10826) into the tidy, gzipped CSV
`year,code,name,age,population`.

One query per year and batch of regions: the regions of a year are the codes valid that year, and a batch is as
large as SSB's cell limit allows. The answers are JSON-stat 2.0 datasets.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kartlegg.geography import downloader_sources as sources
from kartlegg.geography.downloader_http import DownloadError, HttpClient

COLUMNS = ("year", "code", "name", "age", "population")
REGION, AGE, TIME = "Region", "Alder", "Tid"
# Dimensions PxWeb may return with several values that are summed; any other extra dimension must have one value.
SUMMED = frozenset({"Kjonn"})


@dataclass(frozen=True)
class Cell:
    year: int
    code: str
    name: str
    age: int
    population: int


def age_code(age: int) -> str:
    return f"{sources.MAX_AGE}+" if age == sources.MAX_AGE else f"{age:03d}"


def parse_age(code: str) -> int:
    """An SSB age code as a number: "000" is 0, "105+" is 105 (105 means 105 or older)."""
    text = code.rstrip("+")
    if not text.isdigit() or int(text) > sources.MAX_AGE:
        raise ValueError(f"ukjent alderskode {code!r}")
    return int(text)


def build_query(table: sources.PopulationTable, year: int, regions: Sequence[str], ages: Sequence[int]) -> Any:
    """A PxWebApi v0 query for one year, some regions and some ages, answered as JSON-stat 2.0."""
    return {
        "query": [
            {
                "code": REGION,
                "selection": {"filter": table.region_filter, "values": [f"{r}{table.region_suffix}" for r in regions]},
            },
            {"code": AGE, "selection": {"filter": table.age_filter, "values": [age_code(a) for a in ages]}},
            {"code": TIME, "selection": {"filter": "item", "values": [str(year)]}},
        ],
        "response": {"format": "json-stat2"},
    }


def region_batches(regions: Sequence[str], cells_per_region: int, max_cells: int) -> list[list[str]]:
    """Split the regions so that no query asks for more than `max_cells` cells."""
    if cells_per_region < 1 or max_cells < cells_per_region:
        raise ValueError(f"en region gir {cells_per_region} celler, grensen er {max_cells}")
    size = max_cells // cells_per_region
    return [list(regions[i : i + size]) for i in range(0, len(regions), size)]


def parse_jsonstat(document: Any, url: str) -> list[Cell]:
    """Population cells from a JSON-stat 2.0 dataset with Region, Alder and Tid. Null values count as 0."""

    def bad(reason: str) -> DownloadError:
        return DownloadError(f"Uventet svar fra {url}: {reason}")

    if not isinstance(document, dict) or document.get("class") != "dataset":
        raise bad("ikke et JSON-stat 2.0-datasett (class er ikke 'dataset')")
    ids, sizes, dimensions = document.get("id"), document.get("size"), document.get("dimension")
    if not isinstance(ids, list) or not isinstance(sizes, list) or not isinstance(dimensions, dict):
        raise bad("mangler id, size eller dimension")
    if len(ids) != len(sizes):
        raise bad(f"id har {len(ids)} dimensjoner, size har {len(sizes)}")
    for needed in (REGION, AGE, TIME):
        if needed not in ids:
            raise bad(f"mangler dimensjonen {needed}")
    categories = []
    for dim_id, size in zip(ids, sizes, strict=True):
        codes, labels = _category(dimensions.get(dim_id), dim_id, bad)
        if len(codes) != size:
            raise bad(f"dimensjonen {dim_id} har {len(codes)} kategorier, size sier {size}")
        if dim_id not in (REGION, AGE, TIME) and dim_id not in SUMMED and size != 1:
            raise bad(f"dimensjonen {dim_id} har {size} verdier, ventet 1")
        categories.append((codes, labels))
    values = _values(document.get("value"), math.prod(sizes), bad)

    where = {dim_id: n for n, dim_id in enumerate(ids)}
    try:
        years = [int(code) for code in categories[where[TIME]][0]]
        ages = [parse_age(code) for code in categories[where[AGE]][0]]
    except ValueError as error:
        raise bad(str(error)) from None
    region_codes, region_labels = categories[where[REGION]]
    regions = [(_region_code(raw), _region_name(region_labels.get(raw, raw), raw)) for raw in region_codes]

    # Sum over the flat value array; extra dimensions (sex, if PxWeb sends it) fold into the same cell.
    strides = [math.prod(sizes[n + 1 :]) for n in range(len(sizes))]
    totals: dict[tuple[int, int, int], int] = {}
    for flat, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
            raise bad(f"verdi nr. {flat} er ikke et ikke-negativt heltall: {value!r}")
        index = [(flat // strides[n]) % sizes[n] for n in range(len(sizes))]
        key = (index[where[TIME]], index[where[REGION]], index[where[AGE]])
        totals[key] = totals.get(key, 0) + int(value)
    return [
        Cell(year, code, name, age, totals.get((t, r, a), 0))
        for t, year in enumerate(years)
        for r, (code, name) in enumerate(regions)
        for a, age in enumerate(ages)
    ]


def _category(dimension: Any, dim_id: str, bad: Any) -> tuple[list[str], dict[str, str]]:
    category = dimension.get("category") if isinstance(dimension, dict) else None
    index = category.get("index") if isinstance(category, dict) else None
    if isinstance(index, dict):
        ordered = sorted(index.items(), key=lambda item: item[1])
        codes = [str(code) for code, _ in ordered]
        if [n for _, n in ordered] != list(range(len(codes))):
            raise bad(f"dimensjonen {dim_id} har en ugyldig index")
    elif isinstance(index, list):
        codes = [str(code) for code in index]
    else:
        raise bad(f"dimensjonen {dim_id} mangler category.index")
    labels = category.get("label") if isinstance(category, dict) else None
    return codes, {str(k): str(v) for k, v in (labels or {}).items()}


def _values(value: Any, expected: int, bad: Any) -> list[Any]:
    if isinstance(value, list):
        if len(value) != expected:
            raise bad(f"value har {len(value)} tall, ventet {expected}")
        return value
    if isinstance(value, dict):  # the sparse form: {"flat index": value}
        dense: list[Any] = [None] * expected
        for key, number in value.items():
            if not str(key).isdigit() or int(key) >= expected:
                raise bad(f"value har ugyldig indeks {key!r}")
            dense[int(key)] = number
        return dense
    raise bad("mangler value")


def _region_code(raw: str) -> str:
    # 10826 writes Oslo's bydeler as "030101a"; the reference files use the plain six digits.
    return raw.rstrip("abcdefghijklmnopqrstuvwxyz")


def _region_name(label: str, raw: str) -> str:
    for prefix in (f"{raw} ", f"{_region_code(raw)} "):
        if label.startswith(prefix):
            return label[len(prefix) :].strip()
    return label.strip()


def fetch_population(
    client: HttpClient,
    table: sources.PopulationTable,
    regions_by_year: dict[int, list[str]],
    ages: Sequence[int],
    max_cells: int,
) -> list[Cell]:
    """All cells for the given years and regions, checked to be exactly the regions and ages asked for."""
    cells: list[Cell] = []
    for year in sorted(regions_by_year):
        for batch in region_batches(regions_by_year[year], len(ages), max_cells):
            answer = parse_jsonstat(client.post_json(table.url, build_query(table, year, batch, ages)), table.url)
            got = {(c.year, c.code, c.age) for c in answer}
            wanted = {(year, code, age) for code in batch for age in ages}
            if got != wanted:
                extra, missing = sorted(got - wanted)[:3], sorted(wanted - got)[:3]
                raise DownloadError(
                    f"Uventet svar fra {table.url} for {year}: andre celler enn spurt om "
                    f"(mangler {missing or 'ingen'}, i tillegg {extra or 'ingen'})"
                )
            cells.extend(answer)
    return cells


def write_population_csv(path: Path, cells: Iterable[Cell]) -> None:
    """Sorted by year, code and age; gzip with no time stamp, so the same data gives the same bytes."""
    rows = sorted(cells, key=lambda c: (c.year, c.code, c.age))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows((c.year, c.code, c.name, c.age, c.population) for c in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
        zipped.write(buffer.getvalue().encode("utf-8"))


def fetch_population_files(
    client: HttpClient, stage: Path, municipalities_by_year: dict[int, list[str]], ages: Sequence[int], max_cells: int
) -> list[str]:
    written = []
    for table, regions in (
        (sources.POPULATION_MUNICIPALITY, municipalities_by_year),
        (sources.POPULATION_BYDEL, {year: list(sources.OSLO_BYDELER) for year in municipalities_by_year}),
    ):
        cells = fetch_population(client, table, regions, ages, max_cells)
        write_population_csv(stage / table.path, cells)
        written.append(table.path)
    return written
