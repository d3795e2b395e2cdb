"""Reporting units grouped into the levels the report uses: the nation, county (fylke), RHF, HF, adult DPS area,
size group, KOSTRA group, municipality and each unit.

A unit is a `UnitRecord`, which mirrors geography.models.ReportingUnit (plus the optional KOSTRA group), so the
database half can build one per row and these functions never touch the ORM. Oslo reports through its bydeler;
at the municipality level 0301 is the sum of bydeler 030101–030115, because the level groups units by their
municipality_code.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from kartlegg.analytics.measures import AnalyticsError, numbers, population_count
from kartlegg.geography import logic
from kartlegg.geography.logic import PopulationBands

NATION, COUNTY, RHF, HF, DPS, SIZE_GROUP, KOSTRA_GROUP, MUNICIPALITY, UNIT = (
    "nation",
    "county",
    "rhf",
    "hf",
    "dps",
    "size_group",
    "kostra_group",
    "municipality",
    "unit",
)
LEVELS = (NATION, COUNTY, RHF, HF, DPS, SIZE_GROUP, KOSTRA_GROUP, MUNICIPALITY, UNIT)
LEVEL_LABELS = {
    NATION: gettext_noop("Hele landet"),
    COUNTY: gettext_noop("Fylke"),
    RHF: gettext_noop("Regionalt helseforetak"),
    HF: gettext_noop("Helseforetak"),
    DPS: gettext_noop("DPS-område"),
    SIZE_GROUP: gettext_noop("Kommunestørrelse"),
    KOSTRA_GROUP: gettext_noop("KOSTRA-gruppe"),
    MUNICIPALITY: gettext_noop("Kommune"),
    UNIT: gettext_noop("Enhet"),
}
NATION_CODE = "0"  # SSB's region code for "Hele landet" (StatBank table 07459)
NATION_LABEL = gettext_noop("Hele landet")
# Region codes of these levels are unique by length (0, 2, 4, 6 digits), as in SSB's tables; the other levels get a
# prefix so that one region dimension can hold several levels.
_PLAIN_CODES = (NATION, COUNTY, MUNICIPALITY, UNIT)


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """One reporting unit in one year, as plain data (the fields of geography.models.ReportingUnit)."""

    code: str
    name: str = ""
    kind: str = "kommune"
    municipality_code: str = ""
    county_code: str = ""
    rhf_code: str = ""
    rhf_name: str = ""
    hf_code: str = ""
    hf_name: str = ""
    dps_area: str = ""
    size_group: str = ""
    kostra_group: str = ""
    kostra_group_name: str = ""
    population_total: int = 0
    population_0_17: int = 0
    population_18_plus: int = 0
    year: int | None = None

    def __post_init__(self) -> None:
        # The code is checked by geography's rule (4 or 6 digits); blank municipality and county follow from it.
        county = logic.county_of(self.code)
        if not self.municipality_code:
            object.__setattr__(self, "municipality_code", logic.municipality_of(self.code))
        if not self.county_code:
            object.__setattr__(self, "county_code", county)
        for label, value in (
            ("folketallet", self.population_total),
            ("folketallet 0–17 år", self.population_0_17),
            ("folketallet 18 år og over", self.population_18_plus),
        ):
            population_count(value, f"{label} for {self.code}")

    @property
    def population(self) -> PopulationBands:
        return PopulationBands(self.population_total, self.population_0_17, self.population_18_plus)

    @classmethod
    def from_object(cls, obj: Any, kostra_group: str = "") -> UnitRecord:
        """Build from a ReportingUnit (or anything with the same attributes) without importing the model."""
        return cls(
            code=obj.code,
            name=obj.name,
            kind=obj.kind,
            municipality_code=obj.municipality_code,
            county_code=obj.county_code,
            rhf_code=obj.rhf_code,
            rhf_name=obj.rhf_name,
            hf_code=obj.hf_code,
            hf_name=obj.hf_name,
            dps_area=obj.dps_area,
            size_group=obj.size_group,
            kostra_group=kostra_group or getattr(obj, "kostra_group", ""),
            kostra_group_name=getattr(obj, "kostra_group_name", ""),
            population_total=obj.population_total,
            population_0_17=obj.population_0_17,
            population_18_plus=obj.population_18_plus,
            year=getattr(obj, "year", None),
        )


def with_fields(unit: UnitRecord, **changes: Any) -> UnitRecord:
    """A copy of a checked unit with some fields changed (regions, population), without checking it again: the
    computation makes one per unit, year and structure."""
    new = object.__new__(UnitRecord)
    for name in UnitRecord.__slots__:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(unit, name))
    return new


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise AnalyticsError(f"Ukjent nivå {level!r}; gyldige er {', '.join(LEVELS)}.")
    return level


def group_of(unit: UnitRecord, level: str) -> str | None:
    """The group a unit belongs to at a level, or None (a unit without a DPS area or KOSTRA group is left out)."""
    if level == NATION:
        return NATION_CODE
    if level == COUNTY:
        return unit.county_code or None
    if level == RHF:
        return unit.rhf_code or None
    if level == HF:
        return unit.hf_code or None
    if level == DPS:
        return unit.dps_area or None
    if level == SIZE_GROUP:
        return unit.size_group or None
    if level == KOSTRA_GROUP:
        return unit.kostra_group or None
    if level == MUNICIPALITY:
        return unit.municipality_code
    if level == UNIT:
        return unit.code
    check_level(level)
    return None  # pragma: no cover - check_level raised


def region_code(level: str, group: str) -> str:
    """A code for a group that is unique across levels: SSB's own codes where they are unique, else `level:group`."""
    check_level(level)
    return group if level in _PLAIN_CODES else f"{level}:{group}"


def _index(units: Iterable[UnitRecord]) -> dict[str, UnitRecord]:
    index: dict[str, UnitRecord] = {}
    for unit in units:
        if not isinstance(unit, UnitRecord):
            raise AnalyticsError(f"Enhetene må være UnitRecord, ikke {type(unit).__name__}.")
        if unit.code in index:
            raise AnalyticsError(f"Enheten {unit.code} står to ganger.")
        index[unit.code] = unit
    return index


def groups(units: Iterable[UnitRecord], level: str) -> dict[str, list[str]]:
    """{group: [unit codes]} at a level, groups and units sorted."""
    check_level(level)
    result: dict[str, list[str]] = defaultdict(list)
    for unit in _index(units).values():
        group = group_of(unit, level)
        if group is not None:
            result[group].append(unit.code)
    return {group: sorted(codes) for group, codes in sorted(result.items())}


def group_labels(
    units: Iterable[UnitRecord], level: str, county_names: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A readable name per group. County names are not on the units, so they come from `county_names`."""
    check_level(level)
    labels: dict[str, str] = {}
    for unit in _index(units).values():
        group = group_of(unit, level)
        if group is None or (group in labels and level != MUNICIPALITY):
            continue
        if level == NATION:
            labels[group] = NATION_LABEL
        elif level == COUNTY:
            labels[group] = (county_names or {}).get(group, f"Fylke {group}")
        elif level == RHF:
            labels[group] = unit.rhf_name or group
        elif level == HF:
            labels[group] = unit.hf_name or group
        elif level == KOSTRA_GROUP:
            labels[group] = unit.kostra_group_name or group
        elif level == MUNICIPALITY:
            # A municipality is named by its own unit; Oslo, which reports only through bydeler, by its name.
            if unit.code == group:
                labels[group] = unit.name or group
            elif group == logic.OSLO:
                labels[group] = "Oslo"
            else:
                labels.setdefault(group, group)
        elif level == UNIT:
            labels[group] = unit.name or group
        else:
            labels[group] = group
    return dict(sorted(labels.items()))


def group_population(units: Iterable[UnitRecord], level: str) -> dict[str, PopulationBands]:
    """Population per group (Oslo as a municipality is the sum of its bydeler)."""
    index = _index(units)
    result: dict[str, PopulationBands] = {}
    for group, codes in groups(index.values(), level).items():
        result[group] = add_bands(index[c].population for c in codes)
    return result


def add_bands(bands: Iterable[PopulationBands]) -> PopulationBands:
    total = young = adults = 0
    for band in bands:
        total += band.total
        young += band.age_0_17
        adults += band.age_18_plus
    return PopulationBands(total, young, adults)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A group's sum: the sum of its reported units (None when none reported), how many units it has and how many
    reported, and the population of the reported units (so a rate is not diluted by units without a figure)."""

    value: float | None
    n_units: int
    n_reported: int
    population: PopulationBands


@dataclass(frozen=True)
class Grouping:
    """Units indexed by code and their groups at one level, computed once and reused for many variables."""

    level: str
    units: dict[str, UnitRecord]
    members: dict[str, list[str]]


def grouping(units: Iterable[UnitRecord], level: str) -> Grouping:
    index = _index(units)
    return Grouping(level, index, groups(index.values(), level))


def aggregate(
    values: Mapping[str, Any], units: Iterable[UnitRecord] | Grouping, level: str | None = None
) -> dict[str, Aggregate]:
    """Sum per-unit values into the groups of a level. A value for a unit that is not among `units` is an error
    (it usually means the values and the units come from different years). `units` may be a precomputed Grouping."""
    if isinstance(units, Grouping):
        if level is not None and level != units.level:
            raise AnalyticsError(f"Grupperingen gjelder nivået {units.level}, ikke {level}.")
        grouped = units
    else:
        if level is None:
            raise AnalyticsError("Oppgi nivået.")
        grouped = grouping(units, level)
    index = grouped.units
    unknown = [code for code in values if code not in index]
    if unknown:
        shown = ", ".join(sorted(unknown)[:5])
        raise AnalyticsError(f"Verdier for enheter som ikke finnes i enhetslisten: {shown} (i alt {len(unknown)}).")
    label = LEVEL_LABELS[grouped.level].lower()
    result: dict[str, Aggregate] = {}
    for group, codes in grouped.members.items():
        reported = [code for code in codes if values.get(code) is not None]
        clean = numbers([values[code] for code in reported], f"verdiene for {label} {group}")
        result[group] = Aggregate(
            value=math.fsum(clean) if clean else None,
            n_units=len(codes),
            n_reported=len(reported),
            population=add_bands(index[code].population for code in reported),
        )
    return result


def unique_labels(regions: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(code, label) pairs with every label unique in the table: a label that two regions share gets its code
    ("Akershus (02)", "Akershus (32)"), as happens on each year's own structure across a county reform."""
    counts: dict[str, int] = {}
    for _code, label in regions:
        counts[label] = counts.get(label, 0) + 1
    return [(code, f"{label} ({code})" if counts[label] > 1 and label != code else label) for code, label in regions]
