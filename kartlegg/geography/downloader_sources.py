"""Every address and API parameter the reference downloader uses, in one place, so a moved file or a renamed
table is a one-line fix. docs/reference-data.md explains where each one comes from.

The GitHub addresses use HEAD, which GitHub resolves to the repository's default branch, so they follow the
maintainers' updates without naming a branch that might be renamed.
"""

from __future__ import annotations

from dataclasses import dataclass

USER_AGENT = "kartlegg-reference-downloader/0.1 (+https://github.com/kartlegg; fetch_reference)"
# (connect, read) seconds. StatBank answers big queries slowly; KLASS and GitHub are quick.
TIMEOUT = (10.0, 120.0)
RETRIES = 4  # attempts after the first one, on 429, 5xx and network errors
BACKOFF_SECONDS = 2.0  # doubled for each new attempt, unless the server sends Retry-After
MAX_RETRY_AFTER_SECONDS = 300.0

# SSB's published limit for its APIs: at most 30 queries per 60 seconds per user, at most 800 000 cells per query.
SSB_HOSTS = frozenset({"data.ssb.no"})
SSB_MAX_QUERIES = 30
SSB_PERIOD_SECONDS = 60.0
# Counted on our clock, so a second's slack covers requests that reach SSB a little closer together than we sent them.
SSB_MARGIN_SECONDS = 1.0
SSB_MAX_CELLS = 800_000

KLASS_BASE = "https://data.ssb.no/api/klass/v1"
KLASS_MUNICIPALITIES = 131  # Standard for kommuneinndeling
KLASS_COUNTIES = 104  # Standard for fylkesinndeling, used for county names where Kartverket has no file
KLASS_KOSTRA_GROUPS = 112  # Gruppering av kommuner etter folkemengde og økonomiske rammebetingelser (KOSTRA-grupper)
KLASS_LANGUAGE = "nb"
KLASS_CHANGES_FROM = "1972-01-01"  # the first change SSB records for classification 131


def klass_classification_url(classification: int) -> str:
    return f"{KLASS_BASE}/classifications/{classification}"


def klass_version_url(version_id: int) -> str:
    return f"{KLASS_BASE}/versions/{version_id}"


def klass_changes_url(classification: int) -> str:
    return f"{KLASS_BASE}/classifications/{classification}/changes"


def klass_corresponds_at_url(classification: int) -> str:
    return f"{KLASS_BASE}/classifications/{classification}/correspondsAt"


def klass_codes_at_url(classification: int) -> str:
    return f"{KLASS_BASE}/classifications/{classification}/codesAt"


PXWEB_BASE = "https://data.ssb.no/api/v0/no/table"


@dataclass(frozen=True)
class PopulationTable:
    """A StatBank table with population by region and single year of age, and how to ask it."""

    table: str
    path: str  # where the tidy CSV goes in the reference folder
    region_suffix: str = ""  # some tables add a letter to the code (10826: "030101a")
    # "item" selects the listed codes exactly; both tables keep historical codes as values of Region.
    region_filter: str = "item"
    age_filter: str = "item"  # ages are "000" … "104" and "105+"

    @property
    def url(self) -> str:
        return f"{PXWEB_BASE}/{self.table}"


# Sex and the single statistic (persons) are left out of the query: PxWeb then sums over sex and returns the one
# statistic. Both tables allow that.
POPULATION_MUNICIPALITY = PopulationTable(table="07459", path="population/municipality_age.csv.gz")
POPULATION_BYDEL = PopulationTable(table="10826", path="population/oslo_bydel_age.csv.gz", region_suffix="a")
# Oslo's bydeler 01–15, 16 Sentrum and 17 Marka. SSB's 99 "unknown district" is left out on purpose.
OSLO_BYDELER: tuple[str, ...] = tuple(f"0301{n:02d}" for n in range(1, 18))
MAX_AGE = 105  # SSB's top age group is "105+"

# klass/104/fylker.csv has one block per county structure, labelled with these years: the last year before the
# 2020 reform, the 2020 structure and the 2024 structure. Years outside the fetched range are skipped.
COUNTY_VERSIONS: tuple[int, ...] = (2019, 2020, 2024)
# Kartverket's county boundary files carry the official county names; used where the structure matches.
COUNTY_NAME_FILES: dict[int, str] = {2020: "geo/fylker_2020.topojson", 2024: "geo/fylker_2024.topojson"}

# Kartverket boundaries (simplified WGS84 TopoJSON, compiled from Kartverket's data by robhop)

GITHUB_RAW = "https://raw.githubusercontent.com"
_ROBHOP = f"{GITHUB_RAW}/robhop/fylker-og-kommuner/HEAD"
KARTVERKET_FILES: dict[str, str] = {
    "geo/kommuner_2024.topojson": f"{_ROBHOP}/Kommuner-S.topojson",
    "geo/fylker_2024.topojson": f"{_ROBHOP}/Fylker-S.topojson",
    "geo/kommuner_2020.topojson": f"{_ROBHOP}/2020/Kommuner-small.topojson",
    "geo/fylker_2020.topojson": f"{_ROBHOP}/2020/Fylker-small.topojson",
}

# SKDE (the health atlas)

_SKDE_SAS = f"{GITHUB_RAW}/SKDE-Analyse/sas_codes/HEAD"
_SKDE_ATLAS = f"{GITHUB_RAW}/mong/mongts/HEAD/apps/skde"
# Residence areas (boområder): municipality (and bydel) → RHF, HF and, for Helse Nord, DPS.
# path → (address, whether the file has the bodps columns). The 2020 file is SKDE's table on 2020–2023 numbers.
SKDE_HEALTH_REGION_FILES: dict[str, tuple[str, bool]] = {
    "health_regions/municipality_hf_2024.csv": (f"{_SKDE_SAS}/formater/boomr.csv", True),
    "health_regions/municipality_hf_2020.csv": (f"{_SKDE_SAS}/data/boomr_2021.csv", False),
}
# The adult DPS areas, published by the atlas as an HTML table in a Markdown page.
SKDE_DPS_TABLE_URL = f"{_SKDE_ATLAS}/_posts/helseatlas/statisk/dps-omr%C3%A5der-voksenpsykatri.md"
SKDE_DPS_PATH = "health_regions/dps_areas_adult_2025.csv"
SKDE_BOUNDARY_FILES: dict[str, str] = {
    "geo/hf_areas_2025.geojson": f"{_SKDE_ATLAS}/public/helseatlas/kart/kart_opt_2025.geojson",
    "geo/dps_areas_2025.geojson": f"{_SKDE_ATLAS}/public/helseatlas/kart/kart_dps_p5_rewind.geojson",
}

# SKDE has no Oslo rows. Each Oslo bydel's adult DPS belongs to exactly one HF, so the bydel → HF rows are built
# from the DPS table with this map (DPS area → HF number and name). An unknown Oslo DPS area stops the run.
OSLO_RHF = ("4", "Helse Sør-Øst RHF")
OSLO_DPS_HF: dict[str, tuple[str, str]] = {
    "Lovisenberg": ("17", "Lovisenberg"),
    "Nydalen": ("16", "OUS"),
    "Søndre Oslo": ("16", "OUS"),
    "Vindern": ("18", "Diakonhjemmet"),
    "Groruddalen": ("15", "Akershus"),
}
# Known errors in the DPS table: (code, name) as written → the right code. The duplicate is then dropped.
DPS_FIXES: dict[tuple[str, str], str] = {("1580", "Ålesund"): "1508"}
