"""Load a reference folder into the database: municipalities and reporting units per year, counties, population,
code changes, health regions, DPS areas and boundaries.

The folder replaces the tables' content wholesale, inside one transaction: a damaged file leaves the database
exactly as it was. Files are read and checked before anything is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import ProtectedError, RestrictedError

from kartlegg.geography import logic
from kartlegg.geography.loader_files import (
    COUNTIES,
    ReferenceDataError,
    ReferenceFiles,
    read_reference_folder,
)
from kartlegg.geography.models import (
    Boundary,
    CodeChange,
    County,
    DpsMembership,
    HealthRegionMembership,
    Municipality,
    Population,
    ReferenceLoad,
    ReportingUnit,
    UnitKind,
)

__all__ = ["LoadResult", "ReferenceDataError", "load_reference"]

BATCH = 5000
# Counties that no longer exist, so no current county file names them.
HISTORIC_COUNTY_NAMES = {"16": "Sør-Trøndelag", "17": "Nord-Trøndelag"}


@dataclass
class LoadResult:
    counts: dict[str, int] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Region:
    rhf_code: str = ""
    rhf_name: str = ""
    hf_code: str = ""
    hf_name: str = ""


class _Builder:
    """Turns the parsed files into model instances (nothing is saved here)."""

    def __init__(self, files: ReferenceFiles, size_bounds: Sequence[int]) -> None:
        self.files = files
        self.bounds = list(size_bounds)
        self.warnings: list[str] = []
        self.codes_by_year: dict[int, list[tuple[str, str]]] = {}
        for version in files.versions:
            for year in version.years:
                self.codes_by_year[year] = version.items
        self.valid_codes = {year: {code for code, _ in items} for year, items in self.codes_by_year.items()}
        self.index = logic.ChangeIndex((c.change for c in files.changes), self.valid_codes)
        self.regions: dict[int, dict[tuple[str, str], _Region]] = {}
        for row in files.health_regions:
            self.regions.setdefault(row.structure, {})[(row.municipality_code, row.bydel_code)] = _Region(
                row.rhf_code, row.rhf_name, row.hf_code, row.hf_name
            )
        self.dps = {row.code: row.dps_area for row in files.dps}
        # Bergen, Stavanger and Trondheim are listed only by city district, in several DPS areas. As one reporting
        # unit they cannot be divided, so they get the combined label (e.g. "Betanien / Bjørgvin / Kronstad / Solli").
        by_city: dict[str, set[str]] = {}
        for dps_row in files.dps:
            if logic.is_bydel_code(dps_row.code) and not dps_row.code.endswith("99"):
                by_city.setdefault(dps_row.code[:4], set()).add(dps_row.dps_area)
        for city, areas in by_city.items():
            self.dps.setdefault(city, " / ".join(sorted(areas)))
        # DPS codes are the newest municipality structure.
        self.dps_structure = max(self.codes_by_year)
        self._successor_cache: dict[tuple[str, int, int], str] = {}
        self._population_cache: dict[int, dict[str, int]] = {}

    # -- helpers ---------------------------------------------------------------------------------------------------

    def years(self) -> list[int]:
        return sorted(self.codes_by_year)

    def bands(self, year: int, code: str) -> logic.PopulationBands:
        by_age = self.files.population.get((year, code))
        if by_age is None:
            self.warnings.append(f"Folketall mangler for {code} i {year}.")
            return logic.PopulationBands(0, 0, 0)
        return logic.population_bands(by_age)

    def _population_of(self, year: int) -> dict[str, int]:
        if year not in self._population_cache:
            self._population_cache[year] = {
                code: sum(ages.values()) for (y, code), ages in self.files.population.items() if y == year
            }
        return self._population_cache[year]

    def successor(self, code: str, from_year: int, to_year: int) -> str:
        """The code in to_year's structure that holds the largest share of `code` (for placing it in a region)."""
        key = (code, from_year, to_year)
        if key not in self._successor_cache:
            population = self._population_of(to_year) if to_year in self.codes_by_year else {}
            self._successor_cache[key] = logic.main_successor(code, from_year, to_year, self.index, population)
        return self._successor_cache[key]

    def region(self, year: int, code: str) -> _Region:
        """RHF/HF of a municipality or Oslo bydel in a year, from the health-region table of the nearest structure."""
        if not self.regions:
            return _Region()
        structures = sorted(self.regions)
        earlier = [s for s in structures if s <= year]
        structure = earlier[-1] if earlier else structures[0]
        table = self.regions[structure]
        if logic.is_bydel_code(code):
            found = table.get((code[:4], code))
        else:
            mapped = code if structure == year else self.successor(code, year, structure)
            found = table.get((mapped, ""))
        if found is None:
            if code != logic.OSLO:
                self.warnings.append(f"Helseregion mangler for {code} i {year}.")
            return _Region()
        return found

    def dps_area(self, year: int, code: str) -> str:
        if logic.is_bydel_code(code):
            return self.dps.get(code, "")
        mapped = code if year == self.dps_structure else self.successor(code, year, self.dps_structure)
        area = self.dps.get(mapped, "")
        if not area and code != logic.OSLO:
            self.warnings.append(f"DPS-område mangler for {code} i {year}.")
        return area

    def kostra(self, year: int, code: str) -> tuple[str, str]:
        """The KOSTRA group (code, name) of the unit's municipality: from that year's file, else the newest earlier
        one; ("", "") when the folder has none."""
        known = [y for y in self.files.kostra if y <= year]
        if not known:
            return ("", "")
        return self.files.kostra[max(known)].get(logic.municipality_of(code), ("", ""))

    def bydel_name(self, year: int, code: str) -> str:
        for key in [(year, code), *sorted(k for k in self.files.population_names if k[1] == code)]:
            if key in self.files.population_names:
                return self.files.population_names[key]
        for row in self.files.dps:
            if row.code == code:
                return row.name
        return code

    # -- rows ------------------------------------------------------------------------------------------------------

    def counties(self) -> list[County]:
        names = self.files.county_names
        rows = []
        for year, items in sorted(self.codes_by_year.items()):
            versions = sorted(names)
            earlier = [v for v in versions if v <= year]
            preferred = [earlier[-1]] if earlier else versions[:1]
            order = preferred + sorted((v for v in versions if v not in preferred), reverse=True)
            for code in sorted({logic.county_of(c) for c, _ in items}):
                name = next((names[v][code] for v in order if code in names[v]), HISTORIC_COUNTY_NAMES.get(code))
                if name is None:
                    raise ReferenceDataError(COUNTIES, f"ingen navn for fylke {code} (brukt i {year})")
                rows.append(County(year=year, code=code, name=name))
        return rows

    def municipalities(self) -> list[Municipality]:
        rows = []
        for year, items in sorted(self.codes_by_year.items()):
            for code, name in items:
                bands = self.bands(year, code)
                region = _Region() if code == logic.OSLO else self.region(year, code)
                rows.append(
                    Municipality(
                        year=year,
                        code=code,
                        name=name,
                        county_code=logic.county_of(code),
                        rhf_code=region.rhf_code,
                        rhf_name=region.rhf_name,
                        hf_code=region.hf_code,
                        hf_name=region.hf_name,
                        size_group=logic.size_group_label(bands.total, self.bounds),
                        population_total=bands.total,
                        population_0_17=bands.age_0_17,
                        population_18_plus=bands.age_18_plus,
                    )
                )
        return rows

    def reporting_units(self) -> list[ReportingUnit]:
        rows = []
        for year, items in sorted(self.codes_by_year.items()):
            names = dict(items)
            for code in logic.reporting_unit_codes(names):
                bydel = logic.is_bydel_code(code)
                bands = self.bands(year, code)
                region = self.region(year, code)
                rows.append(
                    ReportingUnit(
                        year=year,
                        code=code,
                        name=self.bydel_name(year, code) if bydel else names[code],
                        kind=UnitKind.BYDEL if bydel else UnitKind.KOMMUNE,
                        municipality_code=logic.municipality_of(code),
                        county_code=logic.county_of(code),
                        rhf_code=region.rhf_code,
                        rhf_name=region.rhf_name,
                        hf_code=region.hf_code,
                        hf_name=region.hf_name,
                        dps_area=self.dps_area(year, code),
                        size_group=logic.size_group_label(bands.total, self.bounds),
                        kostra_group=self.kostra(year, code)[0],
                        kostra_group_name=self.kostra(year, code)[1],
                        population_total=bands.total,
                        population_0_17=bands.age_0_17,
                        population_18_plus=bands.age_18_plus,
                    )
                )
        return rows

    def population(self) -> list[tuple[int, str, int, int]]:
        """(year, code, age, population) tuples: far too many rows to build model instances for."""
        return [
            (year, code, age, count)
            for (year, code), by_age in self.files.population.items()
            for age, count in by_age.items()
        ]

    def changes(self) -> list[CodeChange]:
        unique = {}
        for row in self.files.changes:
            key = (row.change.old_code, row.change.new_code, row.change.occurred)
            unique[key] = CodeChange(
                old_code=row.change.old_code,
                old_name=row.old_name,
                new_code=row.change.new_code,
                new_name=row.new_name,
                occurred=row.change.occurred,
            )
        return list(unique.values())

    def health_regions(self) -> list[HealthRegionMembership]:
        return [
            HealthRegionMembership(
                structure=row.structure,
                municipality_code=row.municipality_code,
                bydel_code=row.bydel_code,
                rhf_code=row.rhf_code,
                rhf_name=row.rhf_name,
                hf_code=row.hf_code,
                hf_name=row.hf_name,
            )
            for row in self.files.health_regions
        ]

    def dps_rows(self) -> list[DpsMembership]:
        return [
            DpsMembership(code=row.code, name=row.name, dps_area=row.dps_area, area_adjusted=row.area_adjusted)
            for row in self.files.dps
        ]

    def boundaries(self) -> list[Boundary]:
        return [
            Boundary(name=name, level=level, structure=structure, format=kind, data=data)
            for name, level, structure, kind, data in self.files.boundaries
        ]


# Tables keyed by (year, code) that other apps point to (responses → ReportingUnit): updated in place, so their ids
# stay the same, and rows that are no longer in the data are deleted only if nothing refers to them.
_KEYED_FIELDS = {
    County: ["name"],
    Municipality: [
        "name",
        "county_code",
        "rhf_code",
        "rhf_name",
        "hf_code",
        "hf_name",
        "size_group",
        "population_total",
        "population_0_17",
        "population_18_plus",
    ],
    ReportingUnit: [
        "name",
        "kind",
        "municipality_code",
        "county_code",
        "rhf_code",
        "rhf_name",
        "hf_code",
        "hf_name",
        "dps_area",
        "size_group",
        "kostra_group",
        "kostra_group_name",
        "population_total",
        "population_0_17",
        "population_18_plus",
    ],
}
# Plain reference tables that nothing points to: emptied and filled again.
_REPLACED: tuple[type[Any], ...] = (CodeChange, HealthRegionMembership, DpsMembership, Boundary)


def _upsert(model: type[Any], rows: list[Any], root: Path) -> None:
    keep = {(row.year, row.code) for row in rows}
    stale = [pk for pk, year, code in model.objects.values_list("pk", "year", "code") if (year, code) not in keep]
    for start in range(0, len(stale), 500):
        try:
            model.objects.filter(pk__in=stale[start : start + 500]).delete()
        except (ProtectedError, RestrictedError) as error:
            example = next(
                iter(error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects)
            )
            raise ReferenceDataError(
                root,
                f"{model._meta.verbose_name} mangler i de nye dataene, men er i bruk ({example}); den kan ikke slettes",
            ) from error
    model.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["year", "code"],
        update_fields=_KEYED_FIELDS[model],
    )


def _insert_population(rows: list[tuple[int, str, int, int]]) -> None:
    table = connection.ops.quote_name(Population._meta.db_table)
    columns = "year, code, age, population"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than INSERT for a third of a million rows, and building the unique index
            # once afterwards is several times faster than keeping it up to date row by row.
            with connection.schema_editor() as editor:
                for constraint in Population._meta.constraints:
                    editor.remove_constraint(Population, constraint)
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            with connection.schema_editor() as editor:
                for constraint in Population._meta.constraints:
                    editor.add_constraint(Population, constraint)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608 - fixed names
            for start in range(0, len(rows), 50000):
                cursor.executemany(sql, rows[start : start + 50000])


def load_reference(directory: Path | str, progress: Callable[[str], None] | None = None) -> LoadResult:
    """Read every file in `directory`, then replace the reference tables with its content in one transaction.

    Raises ReferenceDataError (naming the file and line) before anything is written if a file is missing or damaged.
    """
    started = time.monotonic()
    root = Path(directory)
    say = progress or (lambda _message: None)
    files = read_reference_folder(root, progress=lambda label: say(f"lest {label}"))
    try:
        builder = _Builder(files, getattr(settings, "KARTLEGG_SIZE_GROUPS", logic.DEFAULT_SIZE_BOUNDS))
        keyed: list[tuple[type[Any], list[Any]]] = [
            (County, builder.counties()),
            (Municipality, builder.municipalities()),
            (ReportingUnit, builder.reporting_units()),
        ]
        replaced: list[tuple[type[Any], list[Any]]] = [
            (CodeChange, builder.changes()),
            (HealthRegionMembership, builder.health_regions()),
            (DpsMembership, builder.dps_rows()),
            (Boundary, builder.boundaries()),
        ]
        population = builder.population()
    except logic.GeographyError as error:
        # Settings (size groups) or data the rules cannot place: report it like a file error, nothing written.
        raise ReferenceDataError(root, str(error)) from error
    result = LoadResult(years=builder.years(), warnings=sorted(set(builder.warnings)))
    with transaction.atomic():
        for model, rows in keyed:
            _upsert(model, rows, root)
            result.counts[model.__name__] = len(rows)
            say(f"lagret {model.__name__}: {len(rows)} rader")
        for model, rows in replaced:
            model.objects.all().delete()
            model.objects.bulk_create(rows, batch_size=BATCH if model is not Boundary else 1)
            result.counts[model.__name__] = len(rows)
            say(f"lagret {model.__name__}: {len(rows)} rader")
        Population.objects.all().delete()
        _insert_population(population)
        result.counts["Population"] = len(population)
        say(f"lagret Population: {len(population)} rader")
        result.seconds = round(time.monotonic() - started, 2)
        ReferenceLoad.objects.create(
            source=str(root.resolve())[:500],
            checksums=files.checksums,
            summary={"counts": result.counts, "years": result.years, "warnings": result.warnings[:50]},
        )
    return result
