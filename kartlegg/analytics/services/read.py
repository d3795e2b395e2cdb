"""Reading stored aggregates into a table (regions × years for one variable and measure), which the pages, the
downloads and the API all render. The table turns into a cube.Cube, so HTML, CSV, XLSX and JSON-stat show the
same figures.

Measures come from the stored row: the sum, the rate and the median as stored; the change from the survey year
before (none across a series break); the share answering yes, suppressed (":") below five units.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_noop, ngettext

from kartlegg.analytics import levels as lv
from kartlegg.analytics.catalogue import (
    ALIASES,
    CHANGE,
    CHANGE_PERCENT,
    HEADLINE,
    MEASURE_LABELS,
    MEDIAN,
    PER_CAPITA,
    SHARE,
    SUM,
    Variable,
)
from kartlegg.analytics.cube import GEO, METRIC, TIME, Cube, Dimension, MetricUnit, round_half_up
from kartlegg.analytics.measures import (
    ESTIMATED,
    IMPUTED,
    MIN_UNITS_FOR_SHARE,
    MISSING,
    OK,
    RATES,
    STATUS_SYMBOLS,
    SUPPRESSED,
    Value,
)
from kartlegg.analytics.models import AS_REPORTED, LIVE, AggregateSet, Publication, version_filter
from kartlegg.analytics.params import Request
from kartlegg.analytics.services import store
from kartlegg.analytics.services.extract import Geography, load_geography
from kartlegg.geography import logic
from kartlegg.geography.models import ReferenceLoad, ReportingUnit
from kartlegg.lib.numbers import format_number

SOURCE = "Kilde: SSB, Kartverket, SKDE; tall: kartlegg"
SOURCE_DETAIL = "Folketall: SSB, tabell 07459 og 10826. Inndelinger: SSB (KLASS 131), SKDE. Kartgrenser: Kartverket."
DEMO_NOTE = "Syntetiske demodata: tallene for enkeltenheter er oppdiktet og kalibrert til publiserte nasjonale totaler."
_STATUS_OF_SYMBOL = {symbol: name for name, symbol in STATUS_SYMBOLS.items()}
LEVEL_CHOICES = (lv.NATION, lv.COUNTY, lv.RHF, lv.HF, lv.DPS, lv.SIZE_GROUP, lv.MUNICIPALITY, lv.UNIT)


def level_choices() -> tuple[str, ...]:
    """The levels offered: the KOSTRA groups too, but only when the reference data has them (load_reference reads
    klass/112 when fetch_reference has written it)."""
    if ReportingUnit.objects.exclude(kostra_group="").exists():
        return (*LEVEL_CHOICES[:6], lv.KOSTRA_GROUP, *LEVEL_CHOICES[6:])
    return LEVEL_CHOICES


@dataclass(frozen=True)
class Cell:
    value: float | None
    status: str  # measures status name: ok, missing, suppressed, estimated, imputed
    n: int | None = None
    imputed_share: float | None = None  # the part of the figure from imputed units (0–1), for sums and rates

    @property
    def symbol(self) -> str:
        return STATUS_SYMBOLS.get(self.status, "")


@dataclass
class Table:
    request: Request
    regions: list[tuple[str, str]]
    cells: dict[tuple[str, int], Cell]
    unit: str
    decimals: int
    notes: list[str] = field(default_factory=list)
    data_versions: dict[int, str] = field(default_factory=dict)  # year → the data shown: "v2", or "live" answers
    updated: str = ""
    unpublished: list[int] = field(default_factory=list)
    keys: dict[int, str] = field(default_factory=dict)  # year → the version read: "v2" or "live"

    @property
    def years(self) -> list[int]:
        return list(self.request.years)

    @property
    def variable(self) -> Variable:
        return self.request.variable

    @property
    def breaks(self) -> list[int]:
        shown = set(self.years)
        return [b for b in self.variable.breaks if b in shown]

    @property
    def level_label(self) -> str:
        return lv.LEVEL_LABELS[self.request.level]

    @property
    def measure_label(self) -> str:
        return MEASURE_LABELS[self.request.measure]

    @property
    def title(self) -> str:
        return self._title(str)

    @property
    def display_unit(self) -> str:
        """The unit in the page's language (the cube and the API keep the bokmål unit)."""
        return unit_label(self.variable, self.request.measure, gettext)

    @property
    def display_title(self) -> str:
        """The title in the page's language: the variable's label is the questionnaire's own text."""
        return self._title(gettext)

    def _title(self, translate: Callable[[str], str]) -> str:
        unit = unit_label(self.variable, self.request.measure, translate)
        return f"{self.variable.label} – {translate(self.measure_label).lower()} ({unit})"

    @property
    def contents_code(self) -> str:
        return contents_code(self.variable, self.request.measure)

    def cell(self, region: str, year: int) -> Cell:
        return self.cells.get((region, year), Cell(None, MISSING))

    def rounded(self, cell: Cell) -> float | None:
        return None if cell.value is None else round_half_up(cell.value, self.decimals)

    def cube(self) -> Cube:
        level = self.request.level
        regions = [(lv.region_code(level, code), label) for code, label in self.regions]
        code = self.contents_code
        measures = [(code, f"{self.variable.label} – {self.measure_label.lower()}")]
        units = {code: MetricUnit(self.unit, self.decimals)}
        share = self.request.measure == SHARE
        if share:
            # The N behind every share, as a second category of the measure: every format carries it as data.
            measures.append((f"{code}.n", N_LABEL))
            units[f"{code}.n"] = MetricUnit("enheter", 0)
        dims = [
            Dimension("Region", "region", regions, role=GEO),
            Dimension("ContentsCode", "statistikkvariabel", measures, role=METRIC, units=units),
            Dimension("Tid", "år", [(str(y), str(y)) for y in self.years], role=TIME),
        ]
        cells: dict[tuple[str, ...], Value | float | int | None] = {}
        for (region, year), cell in self.cells.items():
            key = lv.region_code(level, region)
            cells[(key, code, str(year))] = Value.of(cell.value, cell.status, cell.n)
            if share:
                cells[(key, f"{code}.n", str(year))] = None if cell.n is None else float(cell.n)
        return Cube.from_cells(
            id=f"{self.variable.code}_{self.request.measure}_{level}".replace("*", "alle").replace(".", "_"),
            label=f"{self.variable.label} – {self.measure_label.lower()}",
            dimensions=dims,
            cells=cells,
            source=f"{SOURCE}. {SOURCE_DETAIL}",
            updated=self.updated,
            notes=self.notes,
        )


N_LABEL = "antall enheter som svarte (N)"


def contents_code(variable: Variable, measure: str) -> str:
    for alias, (base, implied) in ALIASES.items():
        if base == variable.code and implied == measure:
            return alias
    return variable.code if measure == variable.default_measure else f"{variable.code}.{measure}"


# The units the questionnaires and the statistics use, for translation on the pages.
UNIT_WORDS = (gettext_noop("årsverk"), gettext_noop("antall"), gettext_noop("enheter"), gettext_noop("prosent"))


def unit_label(variable: Variable, measure: str, translate: Callable[[str], str] = str) -> str:
    """The unit of a measure of the variable, in bokmål (`translate` gives it in the active language)."""
    base = translate(variable.unit or ("enheter" if variable.kind == "yesno" else "antall"))
    if measure == PER_CAPITA:
        return f"{base} {translate(RATES[variable.target].label)}"
    if measure in (CHANGE_PERCENT, SHARE):
        return translate("prosent")
    return base


def decimals_for(variable: Variable, measure: str) -> int:
    if measure in (PER_CAPITA, CHANGE_PERCENT, SHARE, MEDIAN):
        return 1
    return variable.decimals


# Labels, cached per process until the reference data is reloaded

_geo_lock = threading.Lock()
_geo_cache: dict[int, Geography] = {}


def geography() -> Geography:
    latest = ReferenceLoad.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with _geo_lock:
        found = _geo_cache.get(latest)
    if found is None:
        found = load_geography()
        with _geo_lock:
            _geo_cache.clear()
            _geo_cache[latest] = found
    return found


def structure_years() -> list[int]:
    """The loaded reference years (the structures a table can be harmonised to), from the per-process cache."""
    return sorted(geography().units)


def data_stamp() -> int:
    """Changes whenever aggregates are written (store.stamp: the newest block id). One index lookup."""
    return store.stamp()


def region_labels(level: str, structure: int, years: Sequence[int]) -> dict[str, str]:
    """Readable names of the groups of a level: the structure year's, or (as reported) each year's, the newest
    name winning, as headline_series does."""
    geo = geography()
    chosen = [structure] if structure != AS_REPORTED else [y for y in sorted(years) if y in geo.units]
    labels: dict[str, str] = {}
    for year in chosen:
        if year in geo.units:
            labels.update(lv.group_labels(geo.units[year], level, geo.county_names.get(year, {})))
    return labels


def _order(level: str, codes: Sequence[str]) -> list[str]:
    if level == lv.SIZE_GROUP:
        configured = logic.size_group_labels(settings.KARTLEGG_SIZE_GROUPS)
        return [c for c in configured if c in codes] + sorted(set(codes) - set(configured))
    return sorted(codes)


def _previous_years(variable: Variable, years: Sequence[int]) -> dict[int, int]:
    """Survey year → the survey year before it (for change)."""
    ordered = variable.years
    return {y: ordered[ordered.index(y) - 1] for y in years if y in ordered and ordered.index(y) > 0}


def _flag(symbol: str) -> str:
    return _STATUS_OF_SYMBOL.get(symbol, OK)


def _measure_cell(measure: str, row: tuple[Any, ...] | None, before: tuple[Any, ...] | None, comparable: bool) -> Cell:
    if row is None:
        return Cell(None, MISSING)
    value, rate, middle, symbol, n, part = row
    flag = _flag(symbol)
    share = part / value if part is not None and value else None
    if measure == SUM:
        return Cell(value, flag if value is not None else MISSING, n, share)
    if measure == PER_CAPITA:
        return Cell(rate, flag if rate is not None else MISSING, n, share if rate is not None else None)
    if measure == MEDIAN:
        return Cell(middle, flag if middle is not None else MISSING, n)
    if measure == SHARE:
        if not n:
            return Cell(None, MISSING, 0)
        if n < MIN_UNITS_FOR_SHARE:
            return Cell(None, SUPPRESSED, n)
        return Cell((value or 0.0) / n * 100, OK, n)
    # change and change in per cent: not across a break, not from or to a missing figure
    if before is None or not comparable or value is None or before[0] is None:
        return Cell(None, MISSING, n)
    absolute = value - before[0]
    # A change built on an imputed or estimated figure (this year's or last year's) carries its flag.
    status = next((f for f in (flag, _flag(before[3])) if f in (IMPUTED, ESTIMATED)), OK)
    if measure == CHANGE:
        return Cell(absolute, status, n)
    if before[0] == 0:
        return Cell(None, MISSING, n)
    return Cell(absolute / before[0] * 100, status, n)


def build_table(request: Request, unpublished: Sequence[int] = (), keys: Mapping[int, str] | None = None) -> Table:
    """The table of a request. `keys` gives the version of each year to read ({2023: "v1", 2024: "live"}; from
    services_access.table_keys), including the years before them that a change needs; default the live figures."""
    variable, level = request.variable, request.level
    years = [y for y in request.years if y in variable.codes]
    previous = _previous_years(variable, years) if request.measure in (CHANGE, CHANGE_PERCENT) else {}
    wanted = sorted(set(years) | set(previous.values()))
    chosen = {y: (keys or {}).get(y, LIVE) for y in wanted}
    if keys is not None:
        # A year before that the caller gave no version for (not visible to the caller) is not read.
        chosen = {y: k for y, k in chosen.items() if y in keys or y in years}
    rows = store.cells(
        version_filter(chosen),
        variable=variable.code,
        rule=request.rule,
        structure=request.structure,
        level=level,
    )
    found: dict[tuple[str, int], tuple[Any, ...]] = {}
    updated = None
    for c in rows:
        found[(c.region, c.year)] = (c.value, c.rate, c.median, c.status, c.n, c.value_imputed)
        updated = c.computed_at if updated is None or c.computed_at > updated else updated
    regions = _order(level, sorted({region for region, year in found if year in years}))
    labels = region_labels(level, request.structure, years)
    cells: dict[tuple[str, int], Cell] = {}
    for region in regions:
        for year in years:
            before_year = previous.get(year)
            before = found.get((region, before_year)) if before_year is not None else None
            comparable = before_year is not None and variable.comparable(year, before_year)
            cells[(region, year)] = _measure_cell(request.measure, found.get((region, year)), before, comparable)
    sources = dict(
        AggregateSet.objects.filter(year__in=years, rule=request.rule, data_version=LIVE).values_list("year", "source")
    )
    shown_years = sorted({y for _, y in found if y in years})
    table = Table(
        request=request,
        regions=lv.unique_labels([(code, labels.get(code, code)) for code in regions]),
        cells=cells,
        unit=unit_label(variable, request.measure),
        decimals=decimals_for(variable, request.measure),
        data_versions={y: chosen[y] if chosen[y] != LIVE else sources.get(y, LIVE) for y in shown_years},
        updated=updated.strftime("%Y-%m-%dT%H:%M:%SZ") if updated is not None else "",
        unpublished=[y for y in years if y in set(unpublished)],
        keys={y: chosen[y] for y in years},
    )
    table.notes = notes_for(table)
    return table


def imputed_counts(request: Request, keys: Mapping[int, str] | None = None) -> dict[int, tuple[int, int, int]]:
    """{year: (units that did not report, of them imputed, still missing)} per year, counted on each year's own
    units (the as-reported nation row of the same version), whatever structure the table is on: a merged unit
    with two silent parts is two units that did not report, a split unit one."""
    chosen = {y: (keys or {}).get(y, LIVE) for y in request.years}
    rows = store.cells(
        version_filter(chosen),
        variable=request.variable.code,
        rule=request.rule,
        structure=AS_REPORTED,
        level=lv.NATION,
    )
    return {
        c.year: (c.n_imputed + c.n_units - c.n, c.n_imputed, c.n_units - c.n)
        for c in rows
        if c.n_imputed + c.n_units - c.n
    }


def notes_for(table: Table) -> list[str]:
    """The table's notes, in the page's language (bokmål by default; the API's `lang` activates nn or en)."""
    request = table.request
    notes: list[str] = []
    if request.variable.kind == HEADLINE or request.variable.tag:
        for year, (absent, imputed, missing) in sorted(imputed_counts(request, table.keys).items()):
            text = ngettext(
                "%(n)s enhet rapporterte ikke i %(year)s", "%(n)s enheter rapporterte ikke i %(year)s", absent
            ) % {"n": format_number(absent, space=" "), "year": year}
            if imputed:
                text += gettext(
                    "; for %(n)s er siste rapporterte tall brukt, eller nærmeste senere tall der enheten ikke hadde "
                    "rapportert før (merket i)"
                ) % {"n": format_number(imputed, space=" ")}
            if missing:
                text += gettext("; %(n)s mangler tall") % {"n": format_number(missing, space=" ")}
            notes.append(text + ".")
        if request.rule == "none":
            notes.append(gettext("Enheter som ikke rapporterte, er ikke imputert."))
        if request.measure in (SUM, PER_CAPITA):
            notes.append(gettext("Andelen av et tall som er imputert, står ved hver celle merket i."))
    if request.structure != AS_REPORTED:
        notes.append(
            gettext(
                "Tallene er harmonisert til kommuneinndelingen i %(year)s: sammenslåtte kommuner er summert, "
                "og ved deling er tallene fordelt etter folketall (merket e)."
            )
            % {"year": request.structure}
        )
    else:
        notes.append(gettext("Tallene er slik de ble rapportert, med hvert års kommune- og fylkesinndeling."))
    for year in table.breaks:
        notes.append(
            gettext(
                "Brudd i tidsserien i %(year)s: definisjonen er endret i skjemaet, så tallene før og etter kan "
                "ikke sammenlignes, og endringen vises ikke."
            )
            % {"year": year}
        )
    if request.measure == SHARE:
        notes.append(
            gettext("Andeler av færre enn %(n)s enheter vises ikke. N er antall enheter som svarte.")
            % {"n": MIN_UNITS_FOR_SHARE}
        )
    notes.extend(version_notes(table))
    if table.unpublished:
        notes.append(gettext("Ikke publisert ennå: %(years)s.") % {"years": ", ".join(map(str, table.unpublished))})
    if settings.KARTLEGG_DEMO_MODE:
        notes.append(DEMO_NOTE)
    return notes


def version_notes(table: Table) -> list[str]:
    """Which data each year shows, and the corrections published since a year was first published."""
    notes = []
    preliminary = [str(y) for y, v in table.data_versions.items() if v == LIVE]
    if preliminary:
        notes.append(
            gettext("Foreløpige tall (ikke låst etter kvalitetskontroll): %(years)s.")
            % {"years": ", ".join(preliminary)}
        )
    locked = [
        gettext("%(year)s: dataversjon %(version)s") % {"year": y, "version": v.lstrip("v")}
        for y, v in table.data_versions.items()
        if table.keys.get(y) == v != LIVE
    ]
    if locked:
        notes.append(gettext("Låste tall: %(list)s.") % {"list": "; ".join(locked)})
    running = [
        gettext("%(year)s (bygger på dataversjon %(version)s)") % {"year": y, "version": v.lstrip("v")}
        for y, v in table.data_versions.items()
        if table.keys.get(y) == LIVE and v != LIVE
    ]
    if running:
        notes.append(gettext("Løpende tall, ikke nødvendigvis publisert: %(list)s.") % {"list": "; ".join(running)})
    publications = Publication.objects.filter(year__in=list(table.data_versions), corrected_at__isnull=False)
    for publication in publications.order_by("year"):
        if table.keys.get(publication.year) == publication.version_key and publication.correction_note:
            when = publication.corrected_at.strftime("%d.%m.%Y")  # type: ignore[union-attr]
            notes.append(
                gettext("Rettet %(date)s: tallene for %(year)s er dataversjon %(version)s.")
                % {"date": when, "year": publication.year, "version": publication.data_version}
                + f" {publication.correction_note}"
            )
    return notes
