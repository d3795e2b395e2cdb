"""Choropleth maps as Vega-Lite specs (Altair), pure functions with no ORM: the same spec is rendered to SVG on the
server (lib/vega.py) and drawn by vega-embed in the browser.

A map colours a rate or a share (per 10 000 inhabitants, per cent), never a sum: big places would be dark only for
being big. Five quantile classes (viridis, light to dark) and a grey for "no figure" that is never a colour of the
scale. Every boundary the table needs is drawn: an area that reports as one unit but lies in several areas of the
boundary file (Bergen, Trondheim and Stavanger in the DPS map) is drawn on top as its own shape. Oslo's small areas
get a labelled inset, a second view of the same data fitted to Oslo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from kartlegg.analytics.cube import round_half_up
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, SUPPRESSED
from kartlegg.lib.numbers import format_number
from kartlegg.lib.vega import finish

CLASSES = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]
MISSING_FILL = "#d9d9d9"
WIDTH, HEIGHT = 360, 440
INSET_SIZE = 220
# Oslo and its nearest neighbours (lon0, lat0, lon1, lat1): the inset's frame.
OSLO_BOX = (10.45, 59.8, 10.98, 60.15)


@dataclass(frozen=True)
class MapGeometry:
    """A level's boundaries as GeoJSON features (analytics.services.maps reads them): the areas keyed by region
    code, or by name for HF and DPS areas (`by_label`); the city overlays; the finer features of the Oslo inset."""

    boundary: str
    features: list[dict[str, Any]]
    overlays: list[dict[str, Any]] = field(default_factory=list)
    inset: list[dict[str, Any]] = field(default_factory=list)
    by_label: bool = False

    def keyed(self, figures: Mapping[str, Figure]) -> dict[str, Figure]:
        """Figures by region code, re-keyed the way this geometry names its areas."""
        return {f.label.strip(): f for f in figures.values()} if self.by_label else dict(figures)

    def unmatched(self, figures: Mapping[str, Figure]) -> list[str]:
        """The labels of figures that no drawn area carries."""
        drawn = {f["properties"]["code"] for f in self.features + self.overlays}
        return sorted(f.label for key, f in self.keyed(figures).items() if key not in drawn)


@dataclass(frozen=True)
class Figure:
    """One area's figure: its label, value (None: missing or suppressed), status and the unit written after the
    number ("\u00a0%" for a share: "2,1 %")."""

    label: str
    value: float | None
    status: str = ""
    suffix: str = ""


def _text(figure: Figure | None, decimals: int) -> str:
    if figure is None:
        return ".."
    if figure.value is None:
        return ":" if figure.status == SUPPRESSED else ".."
    shown = format_number(round_half_up(figure.value, decimals), decimals, "\u00a0") + figure.suffix
    if figure.status in (IMPUTED, ESTIMATED):
        shown += " (i)" if figure.status == IMPUTED else " (e)"
    return shown


def _with_figures(features: Sequence[Mapping[str, Any]], figures: Mapping[str, Figure], decimals: int) -> list[Any]:
    out = []
    for feature in features:
        properties = dict(feature["properties"])
        figure = figures.get(properties["code"])
        properties["name"] = figure.label if figure else properties.get("name", properties["code"])
        properties["value"] = figure.value if figure else None
        properties["text"] = _text(figure, decimals)
        properties["description"] = f"{properties['name']}: {properties['text']}"
        out.append({**feature, "properties": properties})
    return out


def in_box(feature: Mapping[str, Any], box: Sequence[float] = OSLO_BOX) -> bool:
    """Whether a feature's label point lies in the box."""
    lon, lat = feature["properties"]["lon"], feature["properties"]["lat"]
    return bool(box[0] <= lon <= box[2] and box[1] <= lat <= box[3])


def _box_feature(box: Sequence[float]) -> dict[str, Any]:
    lon0, lat0, lon1, lat1 = box
    ring = [[lon0, lat0], [lon0, lat1], [lon1, lat1], [lon1, lat0], [lon0, lat0]]  # clockwise, as d3 wants
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def choropleth_spec(
    title: str,
    features: Sequence[Mapping[str, Any]],
    figures: Mapping[str, Figure],
    legend_title: str,
    decimals: int = 1,
    overlays: Sequence[Mapping[str, Any]] = (),
    inset: Sequence[Mapping[str, Any]] = (),
    words: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """features: GeoJSON features with properties code/lon/lat (geography.maps); figures by code. `overlays` are
    drawn over the areas (a city that reports as one unit across several areas), `inset` (finer features around
    Oslo) becomes a second, labelled view "Oslo". `words` (area, value, oslo) name the tooltip's fields and the inset
    in a language of its own (the report's); by default the page's language."""
    words = {"area": _("Område"), "value": _("Verdi"), "oslo": _("Oslo"), **(words or {})}
    values = [f.value for f in figures.values() if f.value is not None]
    colour = alt.Color(  # no figure: MISSING_FILL through config.scale.invalid (see _finish)
        "properties.value:Q",
        title=legend_title,
        scale=alt.Scale(type="quantile", range=CLASSES) if len(set(values)) > 1 else alt.Scale(range=CLASSES),
        legend=alt.Legend(format=f",.{decimals}f", orient="bottom", direction="vertical"),
    )
    tooltip = [
        alt.Tooltip("properties.name:N", title=words["area"]),
        alt.Tooltip("properties.text:N", title=words["value"]),
    ]

    # The data go in as named datasets after Altair has built the spec: Altair copies and walks every value it
    # holds (seconds for the municipalities' outlines), and the spec only names them.
    datasets: dict[str, list[Any]] = {}

    def shapes(name: str, data: list[Any], stroke: str, width: float) -> Any:
        # Each area's path carries "name: figure" as its aria-label (the SVG says what each shape is; the figure
        # around it is one image for screen readers, with the table twin as its description).
        datasets[name] = data
        return (
            alt.Chart(alt.Data(name=name))
            .mark_geoshape(stroke=stroke, strokeWidth=width, aria=True, invalid="show")  # grey, not gone
            .encode(color=colour, tooltip=tooltip, description="properties.description:N")
        )

    def layers(prefix: str, areas: list[Any], cities: list[Any], labels: bool) -> list[Any]:
        out: list[Any] = [shapes(f"{prefix}areas", areas, "#3d3d3d", 0.3)]
        if cities:
            out.append(shapes(f"{prefix}cities", cities, "#000000", 1.2))
        if labels:
            datasets[f"{prefix}names"] = [
                {"name": a["properties"]["name"], "lon": a["properties"]["lon"], "lat": a["properties"]["lat"]}
                for a in areas + cities
                if in_box(a)
            ]
            for halo in (True, False):  # a white halo under the name keeps it legible on any colour
                look: dict[str, Any] = {"fontSize": 10, "fontWeight": "bold", "color": "#111"}
                if halo:
                    look.update(stroke="#ffffff", strokeWidth=3)
                mark = alt.Chart(alt.Data(name=f"{prefix}names")).mark_text(**look)
                out.append(mark.encode(longitude="lon:Q", latitude="lat:Q", text="name:N"))
        return out

    cities = _with_figures(overlays, figures, decimals)
    projection: dict[str, Any] = {"type": "transverseMercator", "rotate": [-15, 0, 0]}
    main = alt.layer(*layers("", _with_figures(features, figures, decimals), cities, False))
    main = main.properties(width=WIDTH, height=HEIGHT).project(**projection)
    if not inset:
        return _finish(main.properties(title=title), datasets)
    inset_cities = [c for c in cities if in_box(c)]
    oslo = (
        alt.layer(*layers("oslo_", _with_figures(inset, figures, decimals), inset_cities, True))
        .properties(width=INSET_SIZE, height=INSET_SIZE, title=alt.TitleParams(words["oslo"], fontSize=12))
        .project(**projection, fit=_box_feature(OSLO_BOX), clipExtent=[[0, 0], [INSET_SIZE, INSET_SIZE]])
    )
    chart = alt.hconcat(main, oslo, spacing=16).resolve_scale(color="shared").properties(title=title)
    return _finish(chart, datasets)


def map_spec(
    title: str,
    geometry: MapGeometry,
    figures: Mapping[str, Figure],
    legend_title: str,
    decimals: int = 1,
    words: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The choropleth of `figures` (by region code) over a level's geometry."""
    keyed = geometry.keyed(figures)
    return choropleth_spec(
        title, geometry.features, keyed, legend_title, decimals, geometry.overlays, geometry.inset, words
    )


def _finish(chart: Any, datasets: dict[str, list[Any]]) -> dict[str, Any]:
    """The spec with its datasets, every null figure drawn in MISSING_FILL (never a colour of the scale, never
    left out)."""
    spec = finish(chart)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    spec["config"]["scale"] = {**spec["config"].get("scale", {}), "invalid": {"color": {"value": MISSING_FILL}}}
    return spec


def dataset(spec: Mapping[str, Any], name: str) -> list[Any]:
    """One of a map spec's datasets: "areas", "cities", "oslo_areas", "oslo_cities", "oslo_names"."""
    return list(spec.get("datasets", {}).get(name, []))
