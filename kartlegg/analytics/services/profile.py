"""A profile: a unit's (or a county's, RHF's, HF's or DPS area's) headline figures over time beside the areas it
belongs to and the nation, where it stands among its peers (rank and percentile: units of its size group, or the
other areas of the same level), and its competence (the shares of årsverk by education).

The figures are the stored aggregates, harmonised to the structure year when the unit exists in it (so its series
is comparable across reforms); a unit that no longer exists is shown as reported, in its own structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kartlegg.analytics import headline
from kartlegg.analytics import levels as lv
from kartlegg.analytics.catalogue import HEADLINE_TARGET
from kartlegg.analytics.cube import GEO, METRIC, TIME, Cube, Dimension, MetricUnit
from kartlegg.analytics.measures import MISSING, OK, STATUS_SYMBOLS, Value, quartiles
from kartlegg.analytics.models import AS_REPORTED, LIVE, version_filter
from kartlegg.analytics.services import store
from kartlegg.analytics.services.read import DEMO_NOTE, SOURCE, SOURCE_DETAIL, geography
from kartlegg.geography.models import ReportingUnit

# The headline measures' names, for the catalogues: pages show them in their language (gettext at display).
HEADLINE_NAMES = (
    gettext_noop("Årsverk for voksne"),
    gettext_noop("Årsverk for barn og unge"),
    gettext_noop("Årsverk i alt"),
    gettext_noop("Årsverk for voksne per 10 000 innbyggere 18 år og over"),
    gettext_noop("Årsverk for barn og unge per 10 000 innbyggere 0–17 år"),
    gettext_noop("Årsverk i alt per 1 000 innbyggere"),
)
RATE_CODES = {m.base: m.code for m in headline.MEASURES.values() if m.target is not None}
_STATUS = {symbol: name for name, symbol in STATUS_SYMBOLS.items()}


@dataclass(frozen=True)
class Place:
    role: str  # unit, county, size_group, hf, nation
    level: str
    region: str
    label: str


@dataclass
class PeerRank:
    measure: str
    label: str
    value: float | None
    rank: int | None
    count: int
    percentile: float | None
    q1: float | None
    median: float | None
    q3: float | None


PROFILE_LEVELS = (lv.UNIT, lv.COUNTY, lv.RHF, lv.HF, lv.DPS)
# Competence: the education columns of the årsverk grids (the grids with these tags), summed over both grids.
COMPETENCE_TAGS = ("arsverk_voksne", "arsverk_barn_og_unge")
_UNIT_CODE = re.compile(r"[0-9]{4}(?:[0-9]{2})?")
_COUNTY_CODE = re.compile(r"[0-9]{2}")


@dataclass(frozen=True)
class Area:
    """A county, RHF, HF or DPS area shown as a profile; the attributes the page reads match a ReportingUnit's."""

    level: str
    region: str
    name: str
    year: int
    population_total: int
    size_group: str = ""

    @property
    def code(self) -> str:
        return lv.region_code(self.level, self.region)


@dataclass(frozen=True)
class Competence:
    """Shares of the årsverk by education in one year, for the profile's subject and for the nation."""

    year: int
    rows: list[tuple[str, float | None, float | None]]  # (education, share here %, share nationally %)


@dataclass
class Profile:
    unit: ReportingUnit | Area
    structure: int
    years: list[int]
    places: list[Place]
    # (place role, measure code, year) → Value; measure codes: the three sums and three rates of the headline
    cells: dict[tuple[str, str, int], Value]
    peers: list[PeerRank] = field(default_factory=list)
    peer_year: int | None = None
    notes: list[str] = field(default_factory=list)
    competence: Competence | None = None

    @property
    def is_area(self) -> bool:
        return isinstance(self.unit, Area)

    @property
    def peer_level(self) -> str:
        return self.unit.level if isinstance(self.unit, Area) else lv.UNIT

    @property
    def region_labels(self) -> list[str]:
        """The unit's county, size group and HF area, as named on the page."""
        return [p.label for p in self.places if p.role not in ("unit", "nation")]

    def value(self, role: str, code: str, year: int) -> Value:
        return self.cells.get((role, code, year), Value(None, MISSING))

    def cube(self) -> Cube:
        codes = list(HEADLINE_TARGET) + list(RATE_CODES.values())
        dims = [
            Dimension("Region", "region", [(lv.region_code(p.level, p.region), p.label) for p in self.places], GEO),
            Dimension(
                "ContentsCode",
                "statistikkvariabel",
                [(c, headline.MEASURES[c].label) for c in codes],
                role=METRIC,
                units={c: MetricUnit(headline.MEASURES[c].unit, headline.MEASURES[c].decimals) for c in codes},
            ),
            Dimension("Tid", "år", [(str(y), str(y)) for y in self.years], role=TIME),
        ]
        cells: dict[tuple[str, ...], Value | float | int | None] = {}
        for place in self.places:
            for code in codes:
                for year in self.years:
                    cells[(lv.region_code(place.level, place.region), code, str(year))] = self.value(
                        place.role, code, year
                    )
        return Cube.from_cells(
            id=f"profil_{self.unit.code}",
            label=f"Årsverk i psykisk helse- og rusarbeid, {self.unit.name}",
            dimensions=dims,
            cells=cells,
            source=f"{SOURCE}. {SOURCE_DETAIL}",
            notes=self.notes,
        )


def profile_unit(code: str, structure: int, data_years: Sequence[int]) -> tuple[ReportingUnit, int]:
    """The unit in the structure year when it exists there (harmonised figures), else in the newest data year it
    existed (as reported)."""
    found = ReportingUnit.objects.filter(code=code, year=structure).first()
    if found is not None:
        return found, structure
    found = ReportingUnit.objects.filter(code=code, year__in=list(data_years)).order_by("-year").first()
    if found is None:
        found = ReportingUnit.objects.filter(code=code).order_by("-year").first()
    if found is None:
        raise ReportingUnit.DoesNotExist(code)
    return found, AS_REPORTED


def profile_area(code: str, structure: int, data_years: Sequence[int]) -> tuple[Area, int]:
    """A county ("46"), RHF ("rhf:1"), HF ("hf:10") or DPS area ("dps:Asker") in the structure year (harmonised), or
    in the newest data year it existed (as reported). Raises ReportingUnit.DoesNotExist for anything else."""
    if _COUNTY_CODE.fullmatch(code):
        level, region = lv.COUNTY, code
    else:
        level, _sep, region = code.partition(":")
        if level not in (lv.RHF, lv.HF, lv.DPS) or not region:
            raise ReportingUnit.DoesNotExist(code)
    geo = geography()
    for year, used in [(structure, structure)] + [(y, AS_REPORTED) for y in sorted(data_years, reverse=True)]:
        units = geo.units.get(year, [])
        members = [u for u in units if lv.group_of(u, level) == region]
        if members:
            label = lv.group_labels(members, level, geo.county_names.get(year, {})).get(region, region)
            population = sum(u.population_total for u in members)
            return Area(level, region, label, year, population), used
    raise ReportingUnit.DoesNotExist(code)


def profile_subject(code: str, structure: int, data_years: Sequence[int]) -> tuple[ReportingUnit | Area, int]:
    if _UNIT_CODE.fullmatch(code):
        return profile_unit(code, structure, data_years)
    return profile_area(code, structure, data_years)


def _area_places(area: Area) -> list[Place]:
    places = [Place("unit", area.level, area.region, area.name)]
    geo = geography()
    member = next((u for u in geo.units.get(area.year, []) if lv.group_of(u, area.level) == area.region), None)
    if member is not None and area.level in (lv.HF, lv.DPS) and member.rhf_code:
        places.append(Place("county", lv.RHF, member.rhf_code, f"{member.rhf_name} (RHF-område)"))
    if member is not None and area.level == lv.DPS and member.hf_code:
        places.append(Place("hf", lv.HF, member.hf_code, f"{member.hf_name} (HF-område)"))
    places.append(Place("nation", lv.NATION, lv.NATION_CODE, lv.NATION_LABEL))
    return places


def places_of(unit: ReportingUnit | Area, structure: int) -> list[Place]:
    if isinstance(unit, Area):
        return _area_places(unit)
    geo = geography()
    year = unit.year
    counties = geo.county_names.get(year, {})
    places = [Place("unit", lv.UNIT, unit.code, unit.name)]
    if unit.county_code:
        places.append(Place("county", lv.COUNTY, unit.county_code, counties.get(unit.county_code, unit.county_code)))
    if unit.size_group:
        places.append(Place("size_group", lv.SIZE_GROUP, unit.size_group, f"Kommuner {unit.size_group} innbyggere"))
    if unit.hf_code:
        places.append(Place("hf", lv.HF, unit.hf_code, f"{unit.hf_name} (HF-område)"))
    places.append(Place("nation", lv.NATION, lv.NATION_CODE, lv.NATION_LABEL))
    return places


def build_profile(
    unit: ReportingUnit | Area,
    structure: int,
    years: Sequence[int],
    rule: str,
    catalogue: Any = None,
    grids: Sequence[str] = (),
    keys: Mapping[int, str] | None = None,
) -> Profile:
    """`keys`: the version of each year to show (access.version_keys); default the live figures."""
    keys = {y: (keys or {}).get(y, LIVE) for y in years}
    places = places_of(unit, structure)
    role_of = {(p.level, p.region): p.role for p in places}
    rows = (
        (c.level, c.region, c.variable, c.year, c.value, c.rate, c.status, c.n)
        for c in store.cells(
            version_filter(keys),
            places=list(role_of),
            rule=rule,
            structure=structure,
            level__in=sorted({p.level for p in places}),
            variable__in=list(HEADLINE_TARGET),
        )
    )
    cells: dict[tuple[str, str, int], Value] = {}
    for level, region, variable, year, value, rate, symbol, n in rows:
        role = role_of[(level, region)]
        status = _STATUS.get(symbol, OK)
        cells[(role, variable, year)] = Value.of(value, status, n)
        cells[(role, RATE_CODES[variable], year)] = Value.of(rate, status, n)
    profile = Profile(unit, structure, sorted(years), places, cells)
    # Peers are compared in the newest year the unit itself has a figure (else the newest year with any).
    present = sorted({y for (role, _, y), v in cells.items() if role == "unit" and v.value is not None})
    present = present or sorted({y for (_, _, y) in cells})
    if present:
        profile.peer_year = present[-1]
        if isinstance(unit, Area):
            profile.peers = area_ranks(unit, structure, present[-1], rule, keys[present[-1]])
        else:
            profile.peers = peer_ranks(unit, structure, present[-1], rule, keys[present[-1]])
        profile.competence = competence(places, structure, present[-1], rule, catalogue, grids)
    profile.notes = [
        "Per innbygger: voksne per 10 000 innbyggere 18 år og over, barn og unge per 10 000 innbyggere 0–17 år, "
        "i alt per 1 000 innbyggere.",
        f"Tallene er harmonisert til kommuneinndelingen i {structure}."
        if structure != AS_REPORTED
        else "Tallene er slik de ble rapportert, med hvert års inndeling.",
        DEMO_NOTE,
    ]
    return profile


def peer_ranks(unit: ReportingUnit, structure: int, year: int, rule: str, key: str = LIVE) -> list[PeerRank]:
    """Rank (1 = most årsverk per inhabitant) and percentile (share of the peers below) in the unit's size group."""
    geo = geography()
    frame_year = structure if structure != AS_REPORTED else year
    peers = [u.code for u in geo.units.get(frame_year, []) if u.size_group == unit.size_group]
    if not peers or not unit.size_group:
        return []
    return _ranks(unit.code, lv.UNIT, peers, structure, year, rule, key)


def area_ranks(area: Area, structure: int, year: int, rule: str, key: str = LIVE) -> list[PeerRank]:
    """Rank and percentile among the other areas of the same level (the counties, the HF areas, ...)."""
    return _ranks(area.region, area.level, None, structure, year, rule, key)


def _ranks(
    mine_code: str, level: str, peers: list[str] | None, structure: int, year: int, rule: str, key: str = LIVE
) -> list[PeerRank]:
    found_rows = store.cells(
        regions=peers,
        rule=rule,
        structure=structure,
        level=level,
        year=year,
        data_version=key,
        variable__in=list(HEADLINE_TARGET),
    )
    rates: dict[str, dict[str, float]] = {}
    for variable, region, rate in ((c.variable, c.region, c.rate) for c in found_rows):
        if rate is not None:
            rates.setdefault(variable, {})[region] = rate
    result = []
    for base, code in RATE_CODES.items():
        found = rates.get(base, {})
        mine = found.get(mine_code)
        values = sorted(found.values())
        spread = quartiles(values)
        rank = percentile = None
        if mine is not None and values:
            rank = 1 + sum(1 for v in values if v > mine)
            percentile = sum(1 for v in values if v < mine) / len(values) * 100
        label = headline.MEASURES[code].label
        result.append(PeerRank(code, label, mine, rank, len(values), percentile, *_q(spread)))
    return result


def competence_grids(definition: Any) -> list[str]:
    """The årsverk grids of a questionnaire (newest year's), by their tags: ["B_arsverk", "C_arsverk"]."""
    return [q.code for tag in COMPETENCE_TAGS for q in definition.tagged(tag) if q.is_grid]


def competence_variables(catalogue: Any, grids: Sequence[str]) -> list[Any]:
    """The catalogue's per-education totals of the årsverk grids ("B_arsverk.*.psykolog", ...)."""
    prefixes = tuple(f"{grid}.*." for grid in grids)
    if not prefixes:
        return []
    return [v for code, v in catalogue.variables.items() if code.startswith(prefixes) and not code.endswith(".*")]


def competence(
    places: Sequence[Place],
    structure: int,
    year: int,
    rule: str,
    catalogue: Any = None,
    grids: Sequence[str] = (),
) -> Competence | None:
    """Each education's share of the årsverk (sections B and C together) for the subject and the nation."""
    wanted = [p for p in places if p.role in ("unit", "nation")]
    prefixes = Q()
    if not grids:
        return None
    for grid in grids:
        prefixes |= Q(variable__startswith=f"{grid}.*.")
    rows = (
        (c.level, c.variable, c.value)
        for c in store.cells(
            prefixes,
            places=[(p.level, p.region) for p in wanted],
            level__in=sorted({p.level for p in wanted}),
            rule=rule,
            structure=structure,
            year=year,
        )
    )
    sums: dict[str, dict[str, float]] = {}
    columns: list[str] = []
    for level, variable, value in rows:
        column = variable.split(".", 2)[2]
        if column not in columns:
            columns.append(column)
        role = "nation" if level == lv.NATION else "unit"
        if value is not None:
            sums.setdefault(role, {})[column] = sums.get(role, {}).get(column, 0.0) + float(value)
    if not columns:
        return None
    labels = _column_labels(columns, catalogue, grids)

    def share(role: str, column: str) -> float | None:
        total = sum(sums.get(role, {}).values())
        return 100 * sums[role].get(column, 0.0) / total if total else None

    return Competence(year, [(labels.get(c, c), share("unit", c), share("nation", c)) for c in columns])


def _column_labels(columns: Sequence[str], catalogue: Any, grids: Sequence[str]) -> dict[str, str]:
    """The education's own words, from the catalogue's label "<grid>: <column>, i alt <section>"."""
    labels = {}
    for column in columns:
        if catalogue is None:
            labels[column] = column
            continue
        variable = next((v for g in grids if (v := catalogue.get(f"{g}.*.{column}")) is not None), None)
        text = variable.label if variable is not None else column
        labels[column] = text.split(": ", 1)[-1].rsplit(", i alt", 1)[0]
    return labels


def _q(spread: Any) -> tuple[float | None, float | None, float | None]:
    return spread.q1, spread.median, spread.q3


@dataclass(frozen=True)
class ProfileCell:
    text: str
    flag: str


def _cell(value: Value, decimals: int) -> ProfileCell:
    from kartlegg.analytics.cube import round_half_up
    from kartlegg.lib.numbers import format_number

    if value.value is None:
        return ProfileCell(value.symbol or "..", "")
    return ProfileCell(format_number(round_half_up(value.value, decimals), decimals), value.symbol)


def profile_tables(profile: Profile) -> dict[str, Any]:
    """The profile as tables for the page: the unit's own årsverk per year, and one comparison table per rate
    (unit, county, size group, HF, nation × years), with a chart of the total per 1 000."""
    from kartlegg.analytics.charts import Point, Series, line_chart
    from kartlegg.lib import vega

    own = [
        (_(headline.MEASURES[code].label), [_cell(profile.value("unit", code, y), 1) for y in profile.years])
        for code in HEADLINE_TARGET
    ]
    comparisons = []
    for code in RATE_CODES.values():
        rows = [(_(p.label), [_cell(profile.value(p.role, code, y), 1) for y in profile.years]) for p in profile.places]
        comparisons.append((code, _(headline.MEASURES[code].label), rows))
    total = RATE_CODES[headline.TOTAL]
    series = [
        Series(_(p.label), [Point(y, profile.value(p.role, total, y).value, profile.value(p.role, total, y).status
                               in ("imputed", "estimated")) for y in profile.years])
        for p in profile.places
    ]  # fmt: skip
    chart_title = _(headline.MEASURES[total].label)
    spec = line_chart(series, profile.years, chart_title, decimals=1)
    return {
        "own_rows": own,
        "comparisons": comparisons,
        "chart": vega.figure(spec, chart_title, f"sammenligning-{total}", "profile") if spec else None,
        "chart_title": chart_title,
    }
