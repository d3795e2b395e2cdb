"""What the report is computed from, as plain data: one year's aggregates (and the years before it) read through
analytics' services, with the metadata the methods chapter needs. `reports.sources` fills it from the database;
the computation (`reports.compute`) and the narrative rules read only this. Pure: no Django, no ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kartlegg.reports.document import ESTIMATED, IMPUTED, MISSING, OK, SUPPRESSED

if TYPE_CHECKING:
    from kartlegg.analytics.mapcharts import MapGeometry

NATION, COUNTY, RHF, HF, DPS, SIZE_GROUP, KOSTRA_GROUP, MUNICIPALITY, UNIT = (
    "nation", "county", "rhf", "hf", "dps", "size_group", "kostra_group", "municipality", "unit",
)  # fmt: skip
NATION_CODE = "0"
SUM, PER_CAPITA, SHARE = "sum", "per_capita", "share"
ADULTS, CHILDREN, TOTAL = "arsverk_voksne", "arsverk_barn_og_unge", "arsverk_totalt"
HEADLINE = (ADULTS, CHILDREN, TOTAL)


@dataclass(frozen=True)
class Fig:
    """One figure: a value with its status (ok, missing, suppressed, imputed, estimated) and N (units behind it)."""

    value: float | None
    status: str = OK
    n: int | None = None

    @property
    def usable(self) -> bool:
        """Whether the text may state it: a value that is neither missing nor suppressed."""
        return self.value is not None and self.status not in (MISSING, SUPPRESSED)


NO_FIG = Fig(None, MISSING)


@dataclass
class Series:
    """One variable, one measure, one level: regions × years, as analytics' read gives it."""

    variable: str
    label: str
    measure: str
    level: str
    unit: str
    decimals: int
    regions: list[tuple[str, str]]
    cells: dict[tuple[str, int], Fig]
    breaks: list[int] = field(default_factory=list)
    imputed: dict[int, int] = field(default_factory=dict)  # year → units carried forward (nation row)

    def get(self, region: str, year: int) -> Fig:
        return self.cells.get((region, year), NO_FIG)

    def nation(self, year: int) -> Fig:
        return self.get(NATION_CODE, year)

    def years(self) -> list[int]:
        return sorted({y for _, y in self.cells})

    def comparable(self, year: int, previous: int) -> bool:
        """No series break in (previous, year]."""
        return not any(previous < b <= year for b in self.breaks)


@dataclass(frozen=True)
class VariableInfo:
    code: str
    label: str
    kind: str  # headline, number, percent, yesno
    section: str
    unit: str
    decimals: int
    years: tuple[int, ...]
    breaks: tuple[int, ...] = ()
    derived: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    kind: str  # kommune or bydel
    county: str
    county_name: str
    size_group: str
    population: int = 0


@dataclass(frozen=True)
class FollowUpFigures:
    units: int
    units_flagged: int
    units_queried: int
    units_corrected: int
    flags: int
    queries: int

    @property
    def share_queried(self) -> float | None:
        return self.units_queried / self.units * 100 if self.units else None


@dataclass(frozen=True)
class Reform:
    year: int
    old: str
    new: str


@dataclass(frozen=True)
class FreeTextTheme:
    key: str
    label: str
    count: int  # units whose coded answer has the theme
    share: float  # per cent of the question's denominator
    quotes: tuple[str, ...] = ()  # approved, masked quotes only (the free-text app's publishable quotes)


@dataclass(frozen=True)
class FreeTextQuestion:
    """One free-text question's coded themes, as a provider (sources.FREE_TEXT_PROVIDERS) gives them."""

    key: str  # stable across rebuilds (the codebook's id), for paragraph ids
    question: str
    denominator: int  # units with a coded, relevant answer: the N of every share
    answered: int = 0
    coded: int = 0
    themes: tuple[FreeTextTheme, ...] = ()
    method: str = ""  # the coders' agreement sentence (bokmål, from the free-text app)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FreeTextQuestion:
        themes = tuple(
            FreeTextTheme(str(t["key"]), str(t["label"]), int(t["count"]), float(t["share"]),
                          tuple(str(q) for q in t.get("quotes", ())))
            for t in data.get("themes", ())
        )  # fmt: skip
        return cls(str(data["key"]), str(data["question"]), int(data["denominator"]), int(data.get("answered", 0)),
                   int(data.get("coded", 0)), themes, str(data.get("method", "")))  # fmt: skip

    @property
    def has_codes(self) -> bool:
        return self.denominator > 0 and any(t.count > 0 for t in self.themes)


@dataclass
class ReportInputs:
    year: int
    years: list[int]  # every survey year up to and including `year`
    structure: int
    rule: str
    data_version: str  # "live" or "v<number>"
    questionnaire_versions: dict[int, str]
    variables: dict[str, VariableInfo]
    sections: dict[str, str]  # section code → title, in questionnaire order
    series: dict[str, Series]  # key(variable, measure, level)
    units: list[UnitInfo] = field(default_factory=list)
    responses: dict[int, tuple[int, int]] = field(default_factory=dict)  # year → (units, submitted)
    follow_up: dict[int, FollowUpFigures] = field(default_factory=dict)
    reforms: list[Reform] = field(default_factory=list)
    size_groups: list[str] = field(default_factory=list)
    demo: bool = False
    free_text: list[FreeTextQuestion] = field(default_factory=list)  # coded free text (chapters_freetext)
    data_versions: dict[int, str] = field(default_factory=dict)  # year → the version read ("v1" or "live")
    maps: dict[str, MapGeometry] = field(default_factory=dict)  # level → boundaries (reports.maps draws them)

    def get(self, variable: str, measure: str, level: str) -> Series | None:
        return self.series.get(key(variable, measure, level))

    @property
    def previous_year(self) -> int | None:
        earlier = [y for y in self.years if y < self.year]
        return earlier[-1] if earlier else None


def key(variable: str, measure: str, level: str) -> str:
    return f"{variable}|{measure}|{level}"


__all__ = [
    "ESTIMATED", "IMPUTED", "MISSING", "OK", "SUPPRESSED", "Fig", "Series", "VariableInfo", "UnitInfo",
    "FollowUpFigures", "FreeTextQuestion", "FreeTextTheme", "Reform", "ReportInputs", "key",
]  # fmt: skip
