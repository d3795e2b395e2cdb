"""Charts and maps described once as Vega-Lite specs (built with Altair), rendered to SVG on the server with
vl-convert, and shown by the web page from the same spec with vega-embed (kartlegg/static/js/charts.js).

- `finish(chart)` turns an Altair chart into a plain spec dict with the site's look (font, grid, no view border).
- `chart_svg(spec)` renders a spec to SVG with Norwegian number formats ("1 234,5") and no network access. The
  result is cached by the spec's hash: the report's PDF renders hundreds of charts and many are the same.
- `figure(spec, ...)` bundles what a page shows: the server's SVG (there without JavaScript, and in the PDF), the
  spec for the browser (a `<script type="application/json">` data block, never executed), and the id of the table
  twin that carries the same figures as text.

Specs carry their data inline; no URL is ever fetched (allowed_base_urls is empty), so rendering works offline.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe

FONT = "DejaVu Sans"
# d3-format has no Norwegian locale; this is SSB's way of writing numbers (charts.js gives the browser the same).
NORWEGIAN = {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0kr"], "minus": "\u2212"}
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "grid": True, "gridColor": "#e5e7eb", "labelColor": "#333"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 260},
    "title": {"fontSize": 13, "anchor": "start"},
    # The figure around the chart carries its name and points to the table twin (role="img"); Vega's per-mark
    # ARIA labels would make screen readers read hundreds of points.
    "aria": False,
    "mark": {"aria": False},
}
# Okabe–Ito's colour-blind-safe hues, darkened where needed so every line has 3:1 contrast against white (WCAG 1.4.11).
PALETTE = ["#0072b2", "#d55e00", "#007a5a", "#b4428c", "#440154", "#7a5c00", "#3e4989", "#8a1c1c"]
CACHE_SIZE = 1024


def finish(chart: Any) -> dict[str, Any]:
    """An Altair chart as a plain Vega-Lite spec with the site's configuration."""
    spec: dict[str, Any] = chart.to_dict(validate=False)  # the tests validate; at run time it costs 0.3 s a chart
    own = spec.get("config", {})
    # Altair adds its own config.view (continuous sizes); merge per key so the site's "no view border" stays.
    config = dict(CONFIG)
    for name, value in own.items():
        both = isinstance(config.get(name), dict) and isinstance(value, dict)
        config[name] = {**config[name], **value} if both else value
    spec["config"] = config
    return spec


def spec_hash(spec: dict[str, Any]) -> str:
    """A stable hash of a spec (keys sorted), the cache key of its SVG."""
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_render_lock = threading.Lock()
_cache_lock = threading.Lock()
_cache: OrderedDict[str, str] = OrderedDict()
stats = {"hits": 0, "renders": 0}


def chart_svg(spec: dict[str, Any]) -> str:
    """The spec as SVG (Norwegian number formats; no network). Cached by spec hash, least recently used first out."""
    key = spec_hash(spec)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            stats["hits"] += 1
            return found
    import vl_convert

    with _render_lock:  # one JavaScript runtime per process; calls are serialised
        svg: str = vl_convert.vegalite_to_svg(spec, format_locale=NORWEGIAN, allowed_base_urls=[])
        stats["renders"] += 1
    with _cache_lock:
        _cache[key] = svg
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return svg


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


@dataclass(frozen=True)
class Figure:
    """What a page shows for one chart: the spec, its server-rendered SVG and the id of its table twin."""

    spec: dict[str, Any]
    title: str
    table_id: str
    id: str

    @property
    def svg(self) -> SafeString:
        # vl-convert writes the SVG from our own spec; every text in it is escaped by Vega's SVG renderer.
        return mark_safe(chart_svg(self.spec))  # noqa: S308

    @property
    def spec_id(self) -> str:
        return f"{self.id}-spec"


def figure(spec: dict[str, Any], title: str, table_id: str, name: str = "chart") -> Figure:
    """A Figure whose element ids are unique per spec (several charts can share a page)."""
    return Figure(spec=spec, title=title, table_id=table_id, id=f"vega-{name}-{spec_hash(spec)[:10]}")
