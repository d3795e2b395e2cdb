"""Public geography pages: the reporting units of a year as a table, a map and downloads.

Views stay thin: they read the query, pick the year's units through services, and hand plain rows to templates
and exports. The map is drawn on the server (maps.py) so the page works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from kartlegg.lib import vega
from kartlegg.lib.exports import csv_bytes, xlsx_bytes

from . import logic, maps, services
from .models import Boundary, ReferenceLoad, ReportingUnit

SOURCE_CREDIT = "Kilde: SSB, Kartverket, SKDE"
MAX_QUERY_LENGTH = 100
_YEAR = re.compile(r"[0-9]{4}")  # \d would also accept other scripts' digits

# Viridis: ordered light to dark, readable for the common colour-vision deficiencies and in greyscale.
_PALETTE = ("#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e", "#3e4989", "#482878")
MISSING_FILL = "#d9d9d9"
UNKNOWN_FILL = "#a3a3a3"  # a municipality without a size group (no population figure)


class YearError(ValueError):
    """The year in the query is missing, not a year, or not loaded. `kind` is missing, invalid or unknown."""

    def __init__(self, kind: str, raw: str | None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.raw = raw


def parse_year(raw: str | None, years: Sequence[int]) -> int:
    """A loaded year from query text. Only four plain digits count: `2024.0`, ` 2024` or `2024x` are refused."""
    if raw is None or raw == "":
        raise YearError("missing", raw)
    if not _YEAR.fullmatch(raw):
        raise YearError("invalid", raw)
    year = int(raw)
    if year not in years:
        raise YearError("unknown", raw)
    return year


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    kind_label: str
    municipality_code: str
    county_code: str
    county_name: str
    rhf_code: str
    rhf_name: str
    hf_code: str
    hf_name: str
    dps_area: str
    size_group: str
    population_total: int
    population_0_17: int
    population_18_plus: int


@dataclass(frozen=True)
class UnitMap:
    figure: vega.Figure
    boundary: str
    unmatched: list[str]  # municipalities of the year that the boundary file does not have


def filter_units(units: QuerySet[ReportingUnit], query: str, county: str) -> QuerySet[ReportingUnit]:
    """Text matches a name anywhere or a number from its start; county is a two-digit county number."""
    if query:
        units = units.filter(Q(name__icontains=query) | Q(code__startswith=query))
    if county:
        units = units.filter(county_code=county)
    return units


def unit_rows(units: Iterable[ReportingUnit], counties: dict[str, str]) -> list[UnitRow]:
    return [
        UnitRow(
            code=u.code,
            name=u.name,
            kind=u.kind,
            kind_label=u.get_kind_display(),
            municipality_code=u.municipality_code,
            county_code=u.county_code,
            county_name=counties.get(u.county_code, u.county_code),
            rhf_code=u.rhf_code,
            rhf_name=u.rhf_name,
            hf_code=u.hf_code,
            hf_name=u.hf_name,
            dps_area=u.dps_area,
            size_group=u.size_group,
            population_total=u.population_total,
            population_0_17=u.population_0_17,
            population_18_plus=u.population_18_plus,
        )
        for u in units
    ]


def ordered_size_groups(present: Iterable[str]) -> list[str]:
    """The configured size groups smallest first, then any other label found in the data."""
    configured = logic.size_group_labels(settings.KARTLEGG_SIZE_GROUPS)
    found = {g for g in present if g}
    return [g for g in configured if g in found] + sorted(found - set(configured))


def palette(count: int) -> list[str]:
    """`count` colours spread evenly over the palette, so neighbouring groups stay distinguishable."""
    if count <= 0:
        return []
    if count == 1:
        return [_PALETTE[len(_PALETTE) // 2]]
    last = len(_PALETTE) - 1
    return [_PALETTE[round(i * last / (count - 1))] for i in range(count)]


# Building the features takes a tenth of a second, so they are kept per process until the reference data is reloaded.
_features_cache: dict[tuple[int, int, str], list[dict[str, Any]]] = {}


def boundary_for_year(year: int) -> Boundary | None:
    """The newest municipality boundary file whose structure is in force in `year` (2020 serves 2020–2023)."""
    return (
        Boundary.objects.filter(level="kommune", format="topojson", structure__lte=year)
        .defer("data")
        .order_by("-structure")
        .first()
    )


def _features(boundary: Boundary) -> list[dict[str, Any]]:
    latest = ReferenceLoad.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    key = (boundary.pk, latest, boundary.name)
    if key not in _features_cache:
        data = Boundary.objects.values_list("data", flat=True).get(pk=boundary.pk)
        _features_cache.clear()  # only the newest load's maps are worth keeping
        _features_cache[key] = maps.topology_features(data)
    return _features_cache[key]


def unit_map(year: int) -> UnitMap | None:
    """The municipalities of `year` coloured by size group (a Vega-Lite map: the server's SVG, the same spec in the
    page), or None when no boundary file covers the year."""
    boundary = boundary_for_year(year)
    if boundary is None:
        return None
    municipalities = list(services.municipalities_for_year(year))
    features = _features(boundary)
    groups = ordered_size_groups(m.size_group for m in municipalities)
    unknown = _("ukjent størrelse")
    shapes = {}
    for m in municipalities:
        group = m.size_group or unknown
        if m.code == logic.OSLO:
            text = _("%(name)s (%(code)s): %(group)s. Oslo rapporterer per bydel.") % {
                "name": m.name,
                "code": m.code,
                "group": group,
            }
        else:
            text = f"{m.name} ({m.code}): {group}"
        shapes[m.code] = (text, group)
    colours = palette(len(groups))
    if any(m.size_group == "" for m in municipalities):
        groups, colours = [*groups, unknown], [*colours, UNKNOWN_FILL]
    drawn = {f["properties"]["code"] for f in features}
    unmatched = sorted(f"{m.code} {m.name}" for m in municipalities if m.code not in drawn)
    label = _("Kart over kommunene i %(year)s, farget etter kommunestørrelse") % {"year": year}
    spec = maps.category_map_spec(
        label,
        features,
        shapes,
        groups,
        colours,
        _("Kommunestørrelse (innbyggere)"),
        missing=(_("Ikke en kommune dette året"), MISSING_FILL),
    )
    return UnitMap(
        figure=vega.figure(spec, label, "unit-results", "units"), boundary=boundary.name, unmatched=unmatched
    )


@dataclass(frozen=True)
class Filters:
    year: int
    query: str
    county: str
    county_error: str

    def querystring(self, **extra: Any) -> str:
        params: dict[str, Any] = {"year": self.year}
        if self.query:
            params["q"] = self.query
        if self.county:
            params["county"] = self.county
        params.update(extra)
        return urlencode(params)


def read_filters(request: HttpRequest, year: int, counties: dict[str, str]) -> Filters:
    # PostgreSQL refuses NUL in text, so it is dropped here rather than turned into a server error there.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]
    county = request.GET.get("county", "").replace("\x00", "").strip()
    error = ""
    if county and county not in counties:
        # An unknown county (or one from another year's structure) would silently empty the table; say so instead.
        error = _("Fylke %(county)s finnes ikke i %(year)s. Viser alle fylker.") % {"county": county[:10], "year": year}
        county = ""
    return Filters(year=year, query=query, county=county, county_error=error)


def _year_or_error(request: HttpRequest) -> tuple[int | None, list[int], HttpResponse | None]:
    years = services.available_years()
    raw = request.GET.get("year")
    if not years:
        response = render(request, "geography/no_data.html", status=503)
        return None, years, response
    if raw is None or raw == "":
        return max(years), years, None
    try:
        return parse_year(raw, years), years, None
    except YearError as error:
        status = 404 if error.kind == "unknown" else 400
        context = {"raw": raw[:20], "kind": error.kind, "years": years}
        return None, years, render(request, "geography/unknown_year.html", context, status=status)


@require_GET
def units(request: HttpRequest) -> HttpResponse:
    year, years, error = _year_or_error(request)
    if error is not None:
        return error
    assert year is not None  # _year_or_error gives a year whenever it gives no error response
    counties = services.county_names(year)
    filters = read_filters(request, year, counties)
    all_units = services.units_for_year(year)
    rows = unit_rows(filter_units(all_units, filters.query, filters.county), counties)
    context: dict[str, Any] = {
        "year": year,
        "years": years,
        "counties": sorted(counties.items()),
        "filters": filters,
        "rows": rows,
        "unit_count": all_units.count(),
        "result_text": ngettext("%(count)s enhet vises", "%(count)s enheter vises", len(rows)) % {"count": len(rows)},
        "csv_url": "?" + filters.querystring(format="csv"),
        "xlsx_url": "?" + filters.querystring(format="xlsx"),
    }
    export = request.GET.get("format", "")
    if export in ("csv", "xlsx"):
        return _export(rows, year, export)
    if export:
        context["format_error"] = _("Ukjent format. Velg CSV eller XLSX.")
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        response = render(request, "geography/_unit_results.html", context)
    else:
        municipalities = services.municipalities_for_year(year)
        context.update(
            {
                "municipality_count": municipalities.count(),
                "population_total": municipalities.aggregate(total=Sum("population_total"))["total"] or 0,
                "map": unit_map(year),
            }
        )
        response = render(request, "geography/units.html", context)
    # The same address answers with the whole page or (for htmx) just the table, so caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


EXPORT_HEADER = (
    gettext_lazy("Nummer"),
    gettext_lazy("Navn"),
    gettext_lazy("Type"),
    gettext_lazy("Kommunenummer"),
    gettext_lazy("Fylkesnummer"),
    gettext_lazy("Fylke"),
    gettext_lazy("RHF"),
    gettext_lazy("HF"),
    gettext_lazy("DPS-område"),
    gettext_lazy("Kommunestørrelse"),
    gettext_lazy("Folketall"),
    gettext_lazy("Folketall 0–17 år"),
    gettext_lazy("Folketall 18 år og over"),
)


def export_rows(rows: Iterable[UnitRow]) -> list[list[Any]]:
    # Codes stay text, so Excel keeps the leading zero of 0301.
    return [
        [
            r.code,
            r.name,
            r.kind_label,
            r.municipality_code,
            r.county_code,
            r.county_name,
            r.rhf_name,
            r.hf_name,
            r.dps_area,
            r.size_group,
            r.population_total,
            r.population_0_17,
            r.population_18_plus,
        ]
        for r in rows
    ]


def _export(rows: list[UnitRow], year: int, kind: str) -> HttpResponse:
    header = [str(h) for h in EXPORT_HEADER]
    body = export_rows(rows)
    source = _("%(credit)s. Folketall per 1. januar %(year)s (SSB tabell 07459 og 10826).") % {
        "credit": SOURCE_CREDIT,
        "year": year,
    }
    if kind == "csv":
        content = csv_bytes(header, [*body, [f"# {source}"]])
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    else:
        content = xlsx_bytes([(f"Enheter {year}", header, body), (_("Kilde"), [_("Kilde")], [[source]])])
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="enheter_{year}.{kind}"'
    return response
