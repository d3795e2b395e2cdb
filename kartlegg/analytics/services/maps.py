"""Choropleth maps of a table's year as Vega-Lite specs (analytics/mapcharts.py): counties and municipalities from
Kartverket's TopoJSON, HF and DPS areas from SKDE's GeoJSON, turned into GeoJSON features once per boundary
(geography.maps) and cached per process.

Every boundary the table needs is drawn: Bergen, Trondheim and Stavanger report as one unit each but lie in several
DPS areas, so their DPS region ("Betanien / Bjørgvin / Kronstad / Solli") is drawn as the municipality's own shape
on top of the DPS areas. Oslo gets a labelled inset with finer outlines.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kartlegg.analytics import levels as lv
from kartlegg.analytics import mapcharts
from kartlegg.geography import maps
from kartlegg.geography.models import Boundary, ReferenceLoad, ReportingUnit
from kartlegg.lib import vega

MAP_LEVELS = (lv.COUNTY, lv.MUNICIPALITY, lv.HF, lv.DPS)
INSET_TOLERANCE = 0.003


@dataclass(frozen=True)
class ChoroplethMap:
    figure: vega.Figure
    boundary: str
    year: int
    unmatched: list[str]


_lock = threading.Lock()
_cache: dict[tuple[int, str, float], list[dict[str, Any]]] = {}


def boundary_for(level: str, year: int) -> Boundary | None:
    """The boundary file of the structure in force in `year` (kommuner/fylker 2020 serve 2020–2023); HF and DPS
    have one file each (SKDE's 2025 areas)."""
    kind = {lv.COUNTY: "fylke", lv.MUNICIPALITY: "kommune", lv.HF: "hf", lv.DPS: "dps"}.get(level)
    if kind is None:
        return None
    rows = Boundary.objects.filter(level=kind).defer("data")
    if kind in ("fylke", "kommune"):
        return rows.filter(structure__lte=year).order_by("-structure").first()
    return rows.order_by("-structure").first()


def _features(boundary: Boundary, level: str, tolerance: float = maps.GEO_TOLERANCE) -> list[dict[str, Any]]:
    latest = ReferenceLoad.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    key = (latest, boundary.name, tolerance)
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    data = Boundary.objects.values_list("data", flat=True).get(pk=boundary.pk)
    if boundary.format == "geojson":
        features = maps.geojson_features(data, tolerance=tolerance)
    elif level == lv.COUNTY:
        features = maps.topology_features(data, key_property="fylkesnummer", key_width=2, tolerance=tolerance)
    else:
        features = maps.topology_features(data, tolerance=tolerance)
    with _lock:
        if len(_cache) > 12:
            _cache.clear()
        _cache[key] = features
    return features


def _city_overlays(year: int, keys: set[str], drawn: set[str]) -> list[dict[str, Any]]:
    """DPS regions that are no area of the boundary file: a city reporting as one unit across several DPS areas.
    Each is drawn as its municipality's outline (the newest municipality structure, as the DPS codes use)."""
    missing = keys - drawn
    if not missing:
        return []
    cities = dict(
        ReportingUnit.objects.filter(year=year, dps_area__in=missing).values_list("municipality_code", "dps_area")
    )
    kommune = boundary_for(lv.MUNICIPALITY, 9999)
    if not cities or kommune is None:
        return []
    out = []
    for feature in _features(kommune, lv.MUNICIPALITY):
        area = cities.get(feature["properties"]["code"])
        if area:
            out.append({**feature, "properties": {**feature["properties"], "code": area}})
    return out


def geometry(level: str, year: int, keys: Iterable[str], units_year: int | None = None) -> mapcharts.MapGeometry | None:
    """The boundaries a map of `level` needs for the regions `keys` (codes; names for HF and DPS areas), or None
    when the level has no boundary file. `units_year` is the year whose units say which city lies in which DPS
    areas."""
    boundary = boundary_for(level, year)
    if boundary is None:
        return None
    features = _features(boundary, level)
    drawn = {f["properties"]["code"] for f in features}
    overlays = _city_overlays(units_year or year, set(keys), drawn) if level == lv.DPS else []
    inset = [f for f in _features(boundary, level, INSET_TOLERANCE) if mapcharts.in_box(f)]
    return mapcharts.MapGeometry(boundary.name, features, overlays, inset, by_label=level in (lv.HF, lv.DPS))


def choropleth(
    level: str,
    year: int,
    figures: Mapping[str, tuple[str, float | None, str]],
    title: str,
    decimals: int,
    legend_title: str = "",
    units_year: int | None = None,
    table_id: str = "statistikk-tabell",
    percent: bool = False,
) -> ChoroplethMap | None:
    """figures: {region code: (label, value, status)}, a rate or a share (`percent`: written "2,1 %"). HF and DPS
    areas are matched by name (SKDE's `area`)."""
    suffix = "\u00a0%" if percent else ""
    by_code = {code: mapcharts.Figure(label, value, status, suffix) for code, (label, value, status) in figures.items()}
    keys = {f.label.strip() for f in by_code.values()} if level in (lv.HF, lv.DPS) else set(by_code)
    shapes = geometry(level, year, keys, units_year)
    if shapes is None:
        return None
    spec = mapcharts.map_spec(title, shapes, by_code, legend_title, decimals)
    return ChoroplethMap(vega.figure(spec, title, table_id, "map"), shapes.boundary, year, shapes.unmatched(by_code))
