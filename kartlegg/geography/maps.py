"""Boundaries for maps: TopoJSON (Kartverket's municipalities and counties) and GeoJSON (SKDE's HF and DPS areas)
turned into GeoJSON features that Vega-Lite draws (lib/vega.py renders a spec to SVG on the server; the page shows
the same spec). Pure functions on plain data (no ORM), so they are easy to test.

The boundary files are stored parsed (a dict). We decode the shared arcs once and thin each arc by a tolerance
(in degrees of latitude, longitude squeezed by cos(65°), Norway's middle latitude) before joining arcs into rings:
simplifying per arc rather than per polygon keeps neighbours' shared borders identical, so no gaps open up.
`category_map_spec` draws the municipalities coloured by a category (the geography page's size groups); the
statistics' choropleths are analytics/mapcharts.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from kartlegg.lib.vega import finish

Point = tuple[float, float]

REFERENCE_LATITUDE = 65.0
GEO_TOLERANCE = 0.025  # degrees of latitude (about 2.8 km, two pixels of a 500-pixel map of Norway)
GEO_DECIMALS = 3
GEO_MIN_AREA = 0.002  # square degrees (about 10 km²): smaller islands are left out, but never a feature's largest


class MapDataError(ValueError):
    """The boundary data is not TopoJSON we can draw."""


def normalise_code(value: Any, width: int = 4) -> str:
    """Municipality numbers are strings ("0301") in one boundary file and integers (301) in another."""
    if isinstance(value, bool) or value is None:
        raise MapDataError(f"Ugyldig kode: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().zfill(width)


def decode_arcs(topology: Mapping[str, Any]) -> list[list[Point]]:
    """Arcs as absolute lon/lat points. A quantised topology stores delta-encoded integers plus a transform."""
    arcs = topology.get("arcs")
    if not isinstance(arcs, list):
        raise MapDataError("TopoJSON mangler 'arcs'.")
    transform = topology.get("transform")
    if not transform:
        return [[(float(p[0]), float(p[1])) for p in arc] for arc in arcs]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    decoded = []
    for arc in arcs:
        x = y = 0
        points = []
        for p in arc:
            x += p[0]
            y += p[1]
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Drop each point closer than `tolerance` to the last kept one; always keep both ends (shared with neighbours)."""
    if tolerance <= 0 or len(points) <= 2:
        return list(points)
    kept = [points[0]]
    limit = tolerance * tolerance
    for point in points[1:-1]:
        last = kept[-1]
        if (point[0] - last[0]) ** 2 + (point[1] - last[1]) ** 2 >= limit:
            kept.append(point)
    kept.append(points[-1])
    return kept


def _ring(indexes: Sequence[int], arcs: Sequence[Sequence[Point]]) -> list[Point]:
    """Join a ring's arcs; a negative index ~i means arc i reversed. Each next arc repeats the previous end."""
    ring: list[Point] = []
    for index in indexes:
        arc = list(reversed(arcs[~index])) if index < 0 else list(arcs[index])
        ring.extend(arc[1:] if ring else arc)
    return ring


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[int]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    return []  # points and lines have no area to colour


def _signed_area(ring: Sequence[Point]) -> float:
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, list(ring[1:]) + [ring[0]], strict=True))


def _geo_ring(points: Sequence[Point], exterior: bool) -> list[list[float]] | None:
    """A closed ring rounded to GEO_DECIMALS, wound as d3-geo wants it on the sphere: the outer ring clockwise, holes
    anticlockwise (RFC 7946 winds the other way; d3 would then fill the whole globe but the area)."""
    ring: list[tuple[float, float]] = []
    for x, y in points:
        point = (round(x, GEO_DECIMALS), round(y, GEO_DECIMALS))
        if not ring or ring[-1] != point:
            ring.append(point)
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    if len(set(ring)) < 3:
        return None
    if (_signed_area(ring) > 0) == exterior:  # positive: anticlockwise with latitude up
        ring.reverse()
    return [list(p) for p in ring + [ring[0]]]


def _simplify_geo(points: Sequence[Point], tolerance: float) -> list[Point]:
    squeeze = math.cos(math.radians(REFERENCE_LATITUDE))
    scaled = [(x * squeeze, y) for x, y in points]
    kept = simplify(scaled, tolerance)
    return [(x / squeeze, y) for x, y in kept]


def _geo_polygons(rings_of: Sequence[Sequence[Sequence[Point]]]) -> list[list[list[list[float]]]]:
    polygons = []
    for rings in rings_of:
        polygon = []
        for index, ring in enumerate(rings):
            geo = _geo_ring(ring, exterior=index == 0)
            if geo is None:
                if index == 0:
                    break
                continue
            polygon.append(geo)
        if polygon:
            polygons.append(polygon)
    return polygons


def _feature(key: str, polygons: list[list[list[list[float]]]]) -> dict[str, Any]:
    areas = [abs(_signed_area([(x, y) for x, y in p[0][:-1]])) for p in polygons]
    largest = polygons[areas.index(max(areas))][0]
    polygons = [p for p, area in zip(polygons, areas, strict=True) if area >= GEO_MIN_AREA or p[0] is largest]
    label = _centroid(largest[:-1])
    return {
        "type": "Feature",
        "properties": {"code": key, "lon": label[0], "lat": label[1]},
        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
    }


def _centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float]:
    area = _signed_area([(p[0], p[1]) for p in ring])
    if abs(area) < 1e-12:
        return (round(sum(p[0] for p in ring) / len(ring), 3), round(sum(p[1] for p in ring) / len(ring), 3))
    cx = cy = 0.0
    for a, b in zip(ring, list(ring[1:]) + [ring[0]], strict=True):
        cross = a[0] * b[1] - b[0] * a[1]
        cx += (a[0] + b[0]) * cross
        cy += (a[1] + b[1]) * cross
    return (round(cx / (6 * area), 3), round(cy / (6 * area), 3))


def _in_sweden(ring: Sequence[Point]) -> bool:
    """SKDE's files draw Oslo's areas a second time, enlarged, in the empty space east of Norway (Sweden, south of
    64° N, where Norway has no land east of 13° E). Those copies are not the areas; our maps have their own inset."""
    return all(lon > 13.0 and lat < 64.0 for lon, lat in ring)


def topology_features(
    topology: Mapping[str, Any],
    key_property: str = "kommunenummer",
    key_width: int = 4,
    tolerance: float = GEO_TOLERANCE,
    object_name: str | None = None,
) -> list[dict[str, Any]]:
    """One TopoJSON object (the first unless named) as GeoJSON features (lon/lat, properties code/lon/lat of a
    label point). The arcs are thinned once each, so neighbours keep identical borders. A feature that the tolerance
    would wipe out entirely (a municipality of small islands) is drawn from the unthinned arcs instead."""
    objects = topology.get("objects")
    if not isinstance(objects, Mapping) or not objects:
        raise MapDataError("TopoJSON mangler 'objects'.")
    name = object_name or next(iter(objects))
    if name not in objects:
        raise MapDataError(f"TopoJSON har ikke objektet {name!r}.")
    collection = objects[name]
    geometries = collection.get("geometries", [collection])
    raw = decode_arcs(topology)
    thin = [_simplify_geo(arc, tolerance) for arc in raw]
    features = []
    for geometry in geometries:
        properties = geometry.get("properties") or {}
        if key_property not in properties:
            raise MapDataError(f"Et område mangler egenskapen {key_property!r}.")
        key = normalise_code(properties[key_property], key_width)
        polygons = _polygons(geometry)
        geo = _geo_polygons([[_ring(r, thin) for r in poly] for poly in polygons]) or _geo_polygons(
            [[_ring(r, raw) for r in poly] for poly in polygons]
        )
        if geo:
            features.append(_feature(key, geo))
    return features


def geojson_features(
    data: Mapping[str, Any], key_property: str = "area", tolerance: float = GEO_TOLERANCE
) -> list[dict[str, Any]]:
    """A GeoJSON FeatureCollection thinned and rewound the same way, keyed by a property (SKDE's `area`)."""
    found = data.get("features")
    if not isinstance(found, list) or not found:
        raise MapDataError("GeoJSON mangler 'features'.")
    features = []
    for feature in found:
        properties = feature.get("properties") or {}
        if key_property not in properties:
            raise MapDataError(f"Et område mangler egenskapen {key_property!r}.")
        geometry = feature.get("geometry") or {}
        coordinates = geometry.get("coordinates") or []
        polygons = [coordinates] if geometry.get("type") == "Polygon" else list(coordinates)
        rings_of = [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in polygons]
        rings_of = [rings for rings in rings_of if rings and not _in_sweden(rings[0])]
        geo = _geo_polygons([[_simplify_geo(r, tolerance) for r in rings] for rings in rings_of])
        geo = geo or _geo_polygons(rings_of)
        if geo:
            features.append(_feature(str(properties[key_property]).strip(), geo))
    return features


def category_map_spec(
    title: str,
    features: Sequence[Mapping[str, Any]],
    shapes: Mapping[str, tuple[str, str]],
    groups: Sequence[str],
    colours: Sequence[str],
    legend_title: str,
    missing: tuple[str, str] = ("", "#d9d9d9"),
) -> dict[str, Any]:
    """Features coloured by category: `shapes` gives each code its description (its path's aria-label and
    tooltip) and its group; `groups` in legend order with their `colours`. A feature without a shape is drawn in
    the `missing` (label, colour) and described by its code; the label joins the legend only when it is used."""
    areas = []
    for feature in features:
        code = feature["properties"]["code"]
        description, group = shapes.get(code, (code, missing[0]))
        areas.append({**feature, "properties": {**feature["properties"], "description": description, "group": group}})
    domain, shown = list(groups), list(colours)
    if any(a["properties"]["group"] == missing[0] for a in areas):
        domain.append(missing[0])
        shown.append(missing[1])
    chart = (
        alt.Chart(alt.Data(name="areas"))
        .mark_geoshape(stroke="#3d3d3d", strokeWidth=0.3, aria=True)
        .encode(
            color=alt.Color(
                "properties.group:N",
                title=legend_title,
                sort=domain,
                scale=alt.Scale(domain=domain, range=shown),
                legend=alt.Legend(orient="right", labelLimit=280),
            ),
            tooltip=alt.Tooltip("properties.description:N", title=legend_title),
            description="properties.description:N",
        )
        .project(type="transverseMercator", rotate=[-15, 0, 0])
        .properties(title=title, width=360, height=440)
    )
    spec = finish(chart)
    # The outlines go in after Altair has built the spec: Altair copies and walks every value it holds.
    spec["datasets"] = {**spec.get("datasets", {}), "areas": areas}
    return spec
