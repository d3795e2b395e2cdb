"""Server-side maps: TopoJSON → small inline SVG. Pure functions on plain data (no ORM), so they are easy to test.

The boundary files are stored parsed (a dict). We decode the shared arcs once, project them with a simple
equirectangular projection squeezed by cos(65°) (Norway's middle latitude, so the country does not look twice as
wide as it is), drop points closer together than a tolerance, and join the arcs into one SVG path per feature.
Simplifying per arc rather than per polygon keeps neighbours' shared borders identical, so no gaps open up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

Point = tuple[float, float]

MAP_WIDTH = 500.0
DEFAULT_TOLERANCE = 0.8  # output units (about a pixel); one unit is about 3 km of Norway
REFERENCE_LATITUDE = 65.0
_SCALE = 10  # coordinates are written to one decimal


class MapDataError(ValueError):
    """The boundary data is not TopoJSON we can draw."""


@dataclass(frozen=True)
class LegendEntry:
    """One row of a map's legend: what a colour means."""

    label: str
    colour: str


@dataclass(frozen=True)
class MapFeature:
    """One feature's outline as an SVG path (all its polygons in one `d`)."""

    key: str
    path: str


@dataclass(frozen=True)
class MapGeometry:
    width: float
    height: float
    features: tuple[MapFeature, ...]


@dataclass(frozen=True)
class MapShape:
    """What to draw for one feature: its fill colour and the accessible name shown as <title>."""

    key: str
    title: str
    fill: str


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


def make_projection(
    bbox: Sequence[float], width: float = MAP_WIDTH, reference_latitude: float = REFERENCE_LATITUDE
) -> tuple[Callable[[Point], Point], float]:
    """An equirectangular projection fitted to `bbox` (lon0, lat0, lon1, lat1): returns (project, height)."""
    lon0, lat0, lon1, lat1 = (float(v) for v in bbox)
    squeeze = math.cos(math.radians(reference_latitude))
    span_x = (lon1 - lon0) * squeeze
    span_y = lat1 - lat0
    if span_x <= 0 or span_y <= 0:
        raise MapDataError("Kartet har ingen utstrekning.")
    scale = width / span_x

    def project(point: Point) -> Point:
        lon, lat = point
        # SVG's y axis points down, so north (high latitude) goes to the top.
        return ((lon - lon0) * squeeze * scale, (lat1 - lat) * scale)

    return project, span_y * scale


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


def _bbox(arcs: Iterable[Sequence[Point]]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for arc in arcs:
        for x, y in arc:
            xs.append(x)
            ys.append(y)
    if not xs:
        raise MapDataError("TopoJSON har ingen punkter.")
    return min(xs), min(ys), max(xs), max(ys)


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


def _path(polygons: Sequence[Sequence[Sequence[int]]], arcs: Sequence[Sequence[Point]]) -> str:
    """One SVG path for all of a feature's rings, in relative moves of tenths (about a third smaller)."""
    parts = []
    for polygon in polygons:
        for position, indexes in enumerate(polygon):
            # Work in whole tenths so that relative steps add up exactly to the rounded absolute points.
            ring: list[tuple[int, int]] = []
            for x, y in _ring(indexes, arcs):
                point = (round(x * _SCALE), round(y * _SCALE))
                if not ring or ring[-1] != point:
                    ring.append(point)
            if len(ring) > 1 and ring[0] == ring[-1]:
                ring.pop()
            if len(set(ring)) < 3:  # a ring needs three distinct corners to have area
                if position == 0:
                    break  # the outer ring vanished, so its holes must not be drawn as islands
                continue
            steps = [f"M{_tenths(ring[0][0])},{_tenths(ring[0][1])}l"]
            steps.append(
                " ".join(f"{_tenths(b[0] - a[0])},{_tenths(b[1] - a[1])}" for a, b in zip(ring, ring[1:], strict=False))
            )
            parts.append("".join(steps) + "z")
    return "".join(parts)


def _tenths(value: int) -> str:
    whole, tenth = divmod(abs(value), _SCALE)
    sign = "-" if value < 0 else ""
    if not tenth:
        return f"{sign}{whole}"
    # SVG accepts ".5" for 0.5; most steps are below one unit, so this saves a byte on most numbers.
    return f"{sign}{whole if whole else ''}.{tenth}"


def _fmt(value: float) -> str:
    return _tenths(round(value * _SCALE))


def topology_geometry(
    topology: Mapping[str, Any],
    object_name: str | None = None,
    key_property: str = "kommunenummer",
    key_width: int = 4,
    tolerance: float = DEFAULT_TOLERANCE,
    width: float = MAP_WIDTH,
) -> MapGeometry:
    """Project and simplify one TopoJSON object into one SVG path per feature, keyed by a normalised code.

    A feature that the tolerance would wipe out entirely (a municipality of small islands) is drawn from the
    unsimplified arcs instead, so every feature stays on the map.
    """
    objects = topology.get("objects")
    if not isinstance(objects, Mapping) or not objects:
        raise MapDataError("TopoJSON mangler 'objects'.")
    name = object_name or next(iter(objects))
    if name not in objects:
        raise MapDataError(f"TopoJSON har ikke objektet {name!r}.")
    collection = objects[name]
    geometries = collection.get("geometries", [collection])

    raw = decode_arcs(topology)
    used = {i if i >= 0 else ~i for g in geometries for poly in _polygons(g) for ring in poly for i in ring}
    project, height = make_projection(_bbox(raw[i] for i in used) if used else _bbox(raw), width)
    projected = [[project(p) for p in arc] for arc in raw]
    simplified = [simplify(arc, tolerance) for arc in projected]

    features = []
    for geometry in geometries:
        properties = geometry.get("properties") or {}
        if key_property not in properties:
            raise MapDataError(f"Et område mangler egenskapen {key_property!r}.")
        polygons = _polygons(geometry)
        path = _path(polygons, simplified) or _path(polygons, projected)
        features.append(MapFeature(key=normalise_code(properties[key_property], key_width), path=path))
    return MapGeometry(width=round(width, 1), height=round(height, 1), features=tuple(features))


def render_svg(
    geometry: MapGeometry,
    shapes: Mapping[str, MapShape],
    label: str,
    missing_fill: str = "#d9d9d9",
) -> str:
    """The map as an accessible inline SVG: role="img", an aria-label, and a <title> per feature.

    Each feature is one <g> group carrying its code, fill and title, so it can be found, styled and read out.
    Features without a shape (no unit in the chosen year) are drawn grey and titled by their code.
    """
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(geometry.width)} {_fmt(geometry.height)}" '
        f'role="img" aria-label="{escape(label)}" class="unit-map" '
        'stroke="#3d3d3d" stroke-width="0.25" stroke-linejoin="round" fill-rule="evenodd">'
    ]
    for feature in geometry.features:
        shape = shapes.get(feature.key)
        title = shape.title if shape else feature.key
        fill = shape.fill if shape else missing_fill
        lines.append(
            f'<g data-code="{escape(feature.key)}" fill="{escape(fill)}"><title>{escape(title)}</title>'
            f'<path d="{feature.path}"/></g>'
        )
    lines.append("</svg>")
    return "\n".join(lines)


# --- GeoJSON for Vega-Lite maps (lib/vega.py draws them; analytics/mapcharts.py builds the specs) -------------------

GEO_TOLERANCE = 0.025  # degrees of latitude (about 2.8 km, two pixels of a 500-pixel map of Norway)
GEO_DECIMALS = 3
GEO_MIN_AREA = 0.002  # square degrees (about 10 km²): smaller islands are left out, but never a feature's largest


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
) -> list[dict[str, Any]]:
    """One TopoJSON object as GeoJSON features (lon/lat, properties code/lon/lat of a label point). The arcs are
    thinned once each, so neighbours keep identical borders."""
    objects = topology.get("objects")
    if not isinstance(objects, Mapping) or not objects:
        raise MapDataError("TopoJSON mangler 'objects'.")
    collection = objects[next(iter(objects))]
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
