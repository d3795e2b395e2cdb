"""Choropleth maps of a table's year: counties and municipalities from Kartverket's TopoJSON (geography.maps), HF
and DPS areas from SKDE's GeoJSON (drawn here with the same projection, simplification and SVG output).

Colours are five classes by quantile (viridis, light to dark), with a class for "no figure" that is never a
colour of the scale. Each area says its name, its figure and its flag in a <title>.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from kartlegg.analytics import levels as lv
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, SUPPRESSED
from kartlegg.geography import maps
from kartlegg.geography.models import Boundary, ReferenceLoad
from kartlegg.lib.numbers import format_number

CLASSES = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
MISSING_FILL = "#d9d9d9"
MAP_LEVELS = (lv.COUNTY, lv.MUNICIPALITY, lv.HF, lv.DPS)


@dataclass(frozen=True)
class ChoroplethMap:
    svg: SafeString
    legend: list[maps.LegendEntry]
    boundary: str
    year: int
    unmatched: list[str]


# GeoJSON (SKDE's HF and DPS areas)


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def geojson_geometry(
    data: Mapping[str, Any], key_property: str = "area", tolerance: float = maps.DEFAULT_TOLERANCE
) -> maps.MapGeometry:
    """A GeoJSON FeatureCollection as one SVG path per feature, keyed by a property (SKDE's `area` name). Same
    projection and thinning as geography.maps does for TopoJSON; a ring the tolerance would wipe out is kept."""
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise maps.MapDataError("GeoJSON mangler 'features'.")
    rings = [
        [(float(p[0]), float(p[1])) for p in ring]
        for feature in features
        for polygon in _polygons(feature.get("geometry") or {})
        for ring in polygon
    ]
    points = [p for ring in rings for p in ring]
    if not points:
        raise maps.MapDataError("GeoJSON har ingen punkter.")
    bbox = (min(p[0] for p in points), min(p[1] for p in points), max(p[0] for p in points), max(p[1] for p in points))
    project, height = maps.make_projection(bbox)
    out = []
    for feature in features:
        properties = feature.get("properties") or {}
        if key_property not in properties:
            raise maps.MapDataError(f"Et område mangler egenskapen {key_property!r}.")
        parts = []
        for polygon in _polygons(feature.get("geometry") or {}):
            for ring in polygon:
                projected = [project((float(p[0]), float(p[1]))) for p in ring]
                thin = maps.simplify(projected, tolerance)
                if len({(round(x, 1), round(y, 1)) for x, y in thin}) < 3:
                    thin = projected
                if len(thin) < 3:
                    continue
                parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in thin) + "Z")
        out.append(maps.MapFeature(key=str(properties[key_property]).strip(), path="".join(parts)))
    return maps.MapGeometry(width=maps.MAP_WIDTH, height=round(height, 1), features=tuple(out))


_lock = threading.Lock()
_cache: dict[tuple[int, str], maps.MapGeometry] = {}


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


def _geometry(boundary: Boundary, level: str) -> maps.MapGeometry:
    latest = ReferenceLoad.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    key = (latest, boundary.name)
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    data = Boundary.objects.values_list("data", flat=True).get(pk=boundary.pk)
    if boundary.format == "geojson":
        geometry = geojson_geometry(data)
    elif level == lv.COUNTY:
        geometry = maps.topology_geometry(data, key_property="fylkesnummer", key_width=2)
    else:
        geometry = maps.topology_geometry(data)
    with _lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = geometry
    return geometry


def classes(values: Sequence[float]) -> list[float]:
    """Upper bounds of five quantile classes (fewer when there are few distinct values)."""
    distinct = sorted(set(values))
    if len(distinct) <= len(CLASSES):
        return distinct
    cuts = statistics.quantiles(values, n=len(CLASSES), method="inclusive")
    return sorted(set(cuts)) + [max(values)]


def choropleth(
    level: str,
    year: int,
    figures: Mapping[str, tuple[str, float | None, str]],
    title: str,
    decimals: int,
) -> ChoroplethMap | None:
    """figures: {region code: (label, value, status)}. HF and DPS areas are matched by name (SKDE's `area`)."""
    boundary = boundary_for(level, year)
    if boundary is None:
        return None
    geometry = _geometry(boundary, level)
    by_key = figures
    if level in (lv.HF, lv.DPS):
        by_key = {label.strip(): (label, value, status) for _, (label, value, status) in figures.items()}
    values = [v for _, v, _ in by_key.values() if v is not None]
    bounds = classes(values) if values else []
    legend: list[maps.LegendEntry] = []
    lower: float | None = None
    for index, bound in enumerate(bounds):
        colour = CLASSES[round(index * (len(CLASSES) - 1) / max(1, len(bounds) - 1))]
        text = format_number(bound, decimals, " ")
        if lower is None:
            label = gettext("til og med %(upper)s") % {"upper": text}
        else:
            label = gettext("over %(lower)s til %(upper)s") % {
                "lower": format_number(lower, decimals, " "),
                "upper": text,
            }
        legend.append(maps.LegendEntry(label, colour))
        lower = bound
    shapes = {}
    for key, (label, value, status) in by_key.items():
        if value is None:
            fill = MISSING_FILL
            shown = ":" if status == SUPPRESSED else ".."
        else:
            fill = next((e.colour for b, e in zip(bounds, legend, strict=True) if value <= b), legend[-1].colour)
            shown = format_number(value, decimals, " ")
            if status in (IMPUTED, ESTIMATED):
                shown += " (i)" if status == IMPUTED else " (e)"
        shapes[key] = maps.MapShape(key=key, title=f"{label}: {shown}", fill=fill)
    drawn = {f.key for f in geometry.features}
    unmatched = sorted(label for key, (label, _, _) in by_key.items() if key not in drawn)
    legend.append(maps.LegendEntry(gettext("Ikke tall"), MISSING_FILL))
    svg = maps.render_svg(geometry, shapes, title, missing_fill=MISSING_FILL)
    # render_svg escapes every text and attribute it writes.
    return ChoroplethMap(mark_safe(svg), legend, boundary.name, year, unmatched)  # noqa: S308
