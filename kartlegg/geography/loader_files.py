"""Reading the reference folder's files into plain Python data (no database).

Every problem becomes a ReferenceDataError that names the file and, where it applies, the line, so the operator
can find and fix it. Nothing here writes anything.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kartlegg.geography.logic import UNKNOWN_MUNICIPALITY, Change

MUNICIPALITY_VERSIONS = "klass/131"
CHANGES = "klass/131/changes.json"
COUNTIES = "klass/104/fylker.csv"
POPULATION_MUNICIPALITY = "population/municipality_age.csv.gz"
POPULATION_BYDEL = "population/oslo_bydel_age.csv.gz"
HEALTH_REGIONS = "health_regions"
DPS_ADULT = "health_regions/dps_areas_adult_2025.csv"
KOSTRA_DIR = "klass/112"  # optional: kostragrupper-YYYY.json, KLASS's correspondence 131 → 112 (fetch_reference)
# (file, level, structure, format). The structure is the year of the code structure the file uses.
BOUNDARY_FILES: tuple[tuple[str, str, int, str], ...] = (
    ("geo/kommuner_2024.topojson", "kommune", 2024, "topojson"),
    ("geo/kommuner_2020.topojson", "kommune", 2020, "topojson"),
    ("geo/fylker_2024.topojson", "fylke", 2024, "topojson"),
    ("geo/fylker_2020.topojson", "fylke", 2020, "topojson"),
    ("geo/hf_areas_2025.geojson", "hf", 2025, "geojson"),
    ("geo/dps_areas_2025.geojson", "dps", 2025, "geojson"),
)
# Not municipalities: Svalbard, Jan Mayen, the continental shelf, foreigners, Norway as a whole, unknown.
PSEUDO_CODES = frozenset({"2100", "2211", "2311", "2321", "8888", "9000", "9900", "9999"})
# Known errors in the sources: (code, name) as written → the right code.
KNOWN_DPS_FIXES = {("1580", "Ålesund"): "1508"}


class ReferenceDataError(Exception):
    """A reference file is missing or damaged."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}, linje {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class MunicipalityVersion:
    version: int
    years: list[int]
    items: list[tuple[str, str]]  # (code, name), without 9999


@dataclass
class HealthRegionRow:
    structure: int
    municipality_code: str
    bydel_code: str
    bydel_name: str
    rhf_code: str
    rhf_name: str
    hf_code: str
    hf_name: str


@dataclass
class DpsRow:
    code: str
    name: str
    dps_area: str
    area_adjusted: bool


@dataclass
class NamedChange:
    change: Change
    old_name: str
    new_name: str


@dataclass
class ReferenceFiles:
    """Everything in a reference folder, parsed."""

    root: Path
    versions: list[MunicipalityVersion] = field(default_factory=list)
    changes: list[NamedChange] = field(default_factory=list)
    county_names: dict[int, dict[str, str]] = field(default_factory=dict)  # version → code → name
    population: dict[tuple[int, str], dict[int, int]] = field(default_factory=dict)  # (year, code) → age → n
    population_names: dict[tuple[int, str], str] = field(default_factory=dict)
    health_regions: list[HealthRegionRow] = field(default_factory=list)
    dps: list[DpsRow] = field(default_factory=list)
    boundaries: list[tuple[str, str, int, str, Any]] = field(default_factory=list)  # name, level, structure, fmt, data
    kostra: dict[int, dict[str, tuple[str, str]]] = field(default_factory=dict)  # year → municipality → (code, name)
    checksums: dict[str, str] = field(default_factory=dict)
    progress: Callable[[str], None] | None = None

    def record(self, relative: str) -> None:
        """A file was read and checked: keep its checksum and say so."""
        self.checksums[relative] = checksum(self.root / relative)
        if self.progress:
            self.progress(relative)


def _path(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise ReferenceDataError(relative, "filen finnes ikke")
    return path


def read_json(root: Path, relative: str) -> Any:
    path = _path(root, relative)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ReferenceDataError(relative, f"ugyldig JSON: {error.msg}", error.lineno) from error
    except (UnicodeDecodeError, OSError) as error:
        raise ReferenceDataError(relative, f"kan ikke leses: {error}") from error


def read_csv_rows(root: Path, relative: str, required: tuple[str, ...]) -> Iterator[tuple[int, list[str], list[str]]]:
    """Yield (line number, header, values) for each data row; checks that the required columns are there."""
    path = _path(root, relative)
    try:
        with path.open("rb") as raw:
            binary: Any = gzip.GzipFile(fileobj=raw) if relative.endswith(".gz") else raw
            stream = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
            reader = csv.reader(stream)
            header = next(reader, None)
            if header is None:
                raise ReferenceDataError(relative, "filen er tom")
            header = [h.strip() for h in header]
            missing = [c for c in required if c not in header]
            if missing:
                raise ReferenceDataError(relative, f"mangler kolonne: {', '.join(missing)}", 1)
            width = len(header)
            for values in reader:
                if len(values) != width:
                    if not values or all(not v.strip() for v in values):
                        continue
                    raise ReferenceDataError(relative, f"{len(values)} felt, ventet {width}", reader.line_num)
                yield reader.line_num, header, values
    except ReferenceDataError:
        raise
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, zlib.error) as error:
        raise ReferenceDataError(relative, f"kan ikke leses: {error}") from error


def read_csv(root: Path, relative: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row as a dict of stripped values) for each data row."""
    for line, header, values in read_csv_rows(root, relative, required):
        yield line, dict(zip(header, (v.strip() for v in values), strict=True))


def parse_int(value: str, relative: str, line: int, column: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ReferenceDataError(relative, f"{column} er ikke et heltall: {value!r}", line) from None
    if number < minimum:
        raise ReferenceDataError(relative, f"{column} er mindre enn {minimum}: {value!r}", line)
    return number


def parse_code(value: str, relative: str, line: int | None, lengths: tuple[int, ...] = (4,)) -> str:
    if not value.isdigit() or len(value) not in lengths:
        raise ReferenceDataError(relative, f"ugyldig kode {value!r}", line)
    return value


def text(value: Any, relative: str, line: int | None, column: str, max_length: int = 100) -> str:
    """A name as the database can hold it. A long remark in brackets (SKDE writes notes into names) is dropped."""
    result = str(value).strip()
    if len(result) > max_length and " (" in result:
        result = result.split(" (", 1)[0].strip()
    if len(result) > max_length:
        raise ReferenceDataError(relative, f"{column} er lenger enn {max_length} tegn: {result[:40]!r}…", line)
    return result


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_versions(files: ReferenceFiles) -> None:
    folder = files.root / MUNICIPALITY_VERSIONS
    paths = sorted(folder.glob("kommuneinndeling-*.json")) if folder.is_dir() else []
    if not paths:
        raise ReferenceDataError(f"{MUNICIPALITY_VERSIONS}/kommuneinndeling-YYYY.json", "ingen filer funnet")
    for path in paths:
        relative = f"{MUNICIPALITY_VERSIONS}/{path.name}"
        stem_year = path.stem.rsplit("-", 1)[-1]
        if not stem_year.isdigit():
            raise ReferenceDataError(relative, "filnavnet må slutte med et årstall")
        document = read_json(files.root, relative)
        if not isinstance(document, dict) or not isinstance(document.get("classificationItems"), list):
            raise ReferenceDataError(relative, "mangler classificationItems")
        version = int(stem_year)
        valid_from = _year_of(document.get("validFrom"), relative) or version
        valid_to = _year_of(document.get("validTo"), relative)
        # validTo is exclusive (1 January of the next version); the newest version has none.
        years = list(range(valid_from, valid_to)) if valid_to and valid_to > valid_from else [valid_from]
        items = []
        for number, item in enumerate(document["classificationItems"], start=1):
            if not isinstance(item, dict) or "code" not in item or "name" not in item:
                raise ReferenceDataError(relative, f"element nr. {number} mangler code eller name")
            code = str(item["code"])
            if code == UNKNOWN_MUNICIPALITY:
                continue
            items.append((parse_code(code, relative, None), text(item["name"], relative, None, f"name ({code})")))
        if not items:
            raise ReferenceDataError(relative, "ingen kommuner")
        files.versions.append(MunicipalityVersion(version=version, years=years, items=items))
        files.record(relative)
    seen: dict[int, int] = {}
    for parsed in files.versions:
        for year in parsed.years:
            if year in seen:
                raise ReferenceDataError(
                    f"{MUNICIPALITY_VERSIONS}/kommuneinndeling-{parsed.version}.json",
                    f"året {year} dekkes også av versjon {seen[year]}",
                )
            seen[year] = parsed.version


def _year_of(value: Any, relative: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10]).year
    except ValueError:
        raise ReferenceDataError(relative, f"ugyldig dato {value!r}") from None


def read_changes(files: ReferenceFiles) -> None:
    document = read_json(files.root, CHANGES)
    rows = document.get("codeChanges") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise ReferenceDataError(CHANGES, "mangler codeChanges")
    for number, row in enumerate(rows, start=1):
        try:
            occurred = date.fromisoformat(str(row["changeOccurred"])[:10])
            old_code, new_code = str(row["oldCode"]), str(row["newCode"])
            old_name = text(row.get("oldName", ""), CHANGES, None, f"oldName i endring nr. {number}")
            new_name = text(row.get("newName", ""), CHANGES, None, f"newName i endring nr. {number}")
        except (KeyError, TypeError, ValueError) as error:
            raise ReferenceDataError(CHANGES, f"endring nr. {number} er ufullstendig eller ugyldig: {error}") from None
        for code in (old_code, new_code):
            if not code.isdigit() or len(code) != 4:
                raise ReferenceDataError(CHANGES, f"endring nr. {number} har ugyldig kode {code!r}")
        files.changes.append(NamedChange(Change(old_code, new_code, occurred), old_name, new_name))
    files.record(CHANGES)


def read_counties(files: ReferenceFiles) -> None:
    for line, row in read_csv(files.root, COUNTIES, ("version", "fylkesnummer", "fylkesnavn")):
        version = parse_int(row["version"], COUNTIES, line, "version", minimum=1800)
        code = parse_code(row["fylkesnummer"].zfill(2), COUNTIES, line, (2,))
        if not row["fylkesnavn"]:
            raise ReferenceDataError(COUNTIES, "fylkesnavn mangler", line)
        files.county_names.setdefault(version, {})[code] = text(row["fylkesnavn"], COUNTIES, line, "fylkesnavn")
    files.record(COUNTIES)


def read_population(files: ReferenceFiles, relative: str, code_length: int) -> None:
    """Population by single year of age. The hot loop of the load (about 340 000 rows), so it avoids dicts per row."""
    columns = ("year", "code", "name", "age", "population")
    population = files.population
    names = files.population_names
    indexes: list[int] | None = None
    i_year = i_code = i_name = i_age = i_count = 0
    for line, header, values in read_csv_rows(files.root, relative, columns):
        if indexes is None:
            indexes = [header.index(c) for c in columns]
            i_year, i_code, i_name, i_age, i_count = indexes
        code = values[i_code].strip()
        try:  # int() accepts surrounding spaces
            year, age, count = int(values[i_year]), int(values[i_age]), int(values[i_count])
        except ValueError:
            for column, index in (("year", i_year), ("age", i_age), ("population", i_count)):
                parse_int(values[index].strip(), relative, line, column)
            raise
        if year < 1800 or age < 0 or count < 0:
            parse_int(values[i_year].strip(), relative, line, "year", minimum=1800)
            parse_int(values[i_age].strip(), relative, line, "age")
            parse_int(values[i_count].strip(), relative, line, "population")
        if len(code) != code_length or not code.isdigit():
            parse_code(code, relative, line, (code_length,))
        key = (year, code)
        by_age = population.get(key)
        if by_age is None:
            by_age = population[key] = {}
            names[key] = text(values[i_name], relative, line, "name")
        if age in by_age:
            raise ReferenceDataError(relative, f"alder {age} for {code} i {year} står to ganger", line)
        by_age[age] = count
    files.record(relative)


def read_health_regions(files: ReferenceFiles) -> None:
    folder = files.root / HEALTH_REGIONS
    paths = sorted(folder.glob("municipality_hf_*.csv")) if folder.is_dir() else []
    if not paths:
        raise ReferenceDataError(f"{HEALTH_REGIONS}/municipality_hf_YYYY.csv", "ingen filer funnet")
    columns = ("komnr", "bydel", "bydel_navn", "borhf", "borhf_navn", "bohf", "bohf_navn")
    for path in paths:
        relative = f"{HEALTH_REGIONS}/{path.name}"
        structure_text = path.stem.rsplit("_", 1)[-1]
        if not structure_text.isdigit():
            raise ReferenceDataError(relative, "filnavnet må slutte med et årstall")
        structure = int(structure_text)
        seen: set[tuple[str, str]] = set()
        for line, row in read_csv(files.root, relative, columns):
            code = row["komnr"].zfill(4)
            if code in PSEUDO_CODES:
                continue
            parse_code(code, relative, line)
            bydel = row["bydel"]
            if bydel:
                parse_code(bydel, relative, line, (6,))
            if (code, bydel) in seen:
                raise ReferenceDataError(relative, f"{code} {bydel} står to ganger", line)
            seen.add((code, bydel))
            for column in ("borhf", "borhf_navn", "bohf", "bohf_navn"):
                if not row[column]:
                    raise ReferenceDataError(relative, f"{column} mangler", line)
            bydel_name = row["bydel_navn"]
            # "01 Gamle Oslo" → "Gamle Oslo"
            prefix, _, rest = bydel_name.partition(" ")
            if prefix.isdigit() and rest:
                bydel_name = rest
            files.health_regions.append(
                HealthRegionRow(
                    structure=structure,
                    municipality_code=code,
                    bydel_code=bydel,
                    bydel_name=bydel_name,
                    rhf_code=text(row["borhf"], relative, line, "borhf", 10),
                    rhf_name=text(row["borhf_navn"], relative, line, "borhf_navn"),
                    hf_code=text(row["bohf"], relative, line, "bohf", 10),
                    hf_name=text(row["bohf_navn"], relative, line, "bohf_navn"),
                )
            )
        files.record(relative)


def read_dps(files: ReferenceFiles) -> None:
    seen: dict[str, str] = {}
    for line, row in read_csv(files.root, DPS_ADULT, ("dps_area", "area_adjusted_flag", "code", "name")):
        code = parse_code(row["code"], DPS_ADULT, line, (4, 6))
        code = KNOWN_DPS_FIXES.get((code, row["name"]), code)
        name = text(row["name"], DPS_ADULT, line, "name")
        area = text(row["dps_area"], DPS_ADULT, line, "dps_area")
        if not area:
            raise ReferenceDataError(DPS_ADULT, "dps_area mangler", line)
        flag = row["area_adjusted_flag"].lower()
        if flag not in ("true", "false", "1", "0", ""):
            raise ReferenceDataError(DPS_ADULT, f"area_adjusted_flag er ikke sann/usann: {flag!r}", line)
        if code in seen:
            if seen[code] != area:
                raise ReferenceDataError(DPS_ADULT, f"{code} står i to DPS-områder", line)
            continue
        seen[code] = area
        files.dps.append(DpsRow(code, name, area, flag in ("true", "1")))
    files.record(DPS_ADULT)


def read_boundaries(files: ReferenceFiles) -> None:
    for relative, level, structure, kind in BOUNDARY_FILES:
        data = read_json(files.root, relative)
        expected = "Topology" if kind == "topojson" else "FeatureCollection"
        if not isinstance(data, dict) or data.get("type") != expected:
            raise ReferenceDataError(relative, f"ventet type {expected}")
        name = Path(relative).name.split(".")[0]
        files.boundaries.append((name, level, structure, kind, data))
        files.record(relative)


def read_kostra(files: ReferenceFiles) -> None:
    """The KOSTRA groups per year, when the folder has them (they are optional: without them the level is not
    offered). Each file is KLASS's correspondsAt answer: {correspondenceItems: [{sourceCode, targetCode, ...}]}."""
    folder = files.root / KOSTRA_DIR
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("kostragrupper-*.json")):
        relative = f"{KOSTRA_DIR}/{path.name}"
        year_text = path.stem.rsplit("-", 1)[-1]
        if not (year_text.isdigit() and len(year_text) == 4):
            raise ReferenceDataError(relative, "filnavnet må slutte på et årstall (kostragrupper-2024.json)")
        items = read_json(files.root, relative)
        items = items.get("correspondenceItems") if isinstance(items, dict) else None
        if not isinstance(items, list):
            raise ReferenceDataError(relative, "mangler correspondenceItems")
        groups: dict[str, tuple[str, str]] = {}
        for number, item in enumerate(items, start=1):
            code = str(item.get("sourceCode", "")) if isinstance(item, dict) else ""
            group = str(item.get("targetCode", "")).strip() if isinstance(item, dict) else ""
            if not (code.isdigit() and len(code) == 4) or not group:
                raise ReferenceDataError(relative, f"element nr. {number} mangler kommunenummer eller gruppe")
            name = text(item.get("targetName") or group, relative, None, "targetName")
            groups[code] = (text(group, relative, None, "targetCode", 20), name)
        files.kostra[int(year_text)] = groups
        files.record(relative)


def read_reference_folder(root: Path, progress: Callable[[str], None] | None = None) -> ReferenceFiles:
    """Read and check every file. `progress(relative_path)` is called after each file."""
    if not root.is_dir():
        raise ReferenceDataError(root, "mappen finnes ikke")
    files = ReferenceFiles(root=root, progress=progress)
    read_versions(files)
    read_changes(files)
    read_counties(files)
    read_population(files, POPULATION_MUNICIPALITY, 4)
    read_population(files, POPULATION_BYDEL, 6)
    read_health_regions(files)
    read_dps(files)
    read_boundaries(files)
    read_kostra(files)
    return files
