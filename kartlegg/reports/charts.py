"""The annual report's charts described once as Vega-Lite specs (built with Altair), rendered to SVG on the server with
vl-convert for the PDF and for pages without JavaScript. Every figure has a table twin in the report.

The specs carry their data inline; no URL is ever fetched (allowed_base_urls is empty), so rendering works offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from kartlegg.lib import vega

WIDTH, HEIGHT = 520, 240
PALETTE = ["#1e6fa8", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0f766e"]
_CONFIG: dict[str, Any] = {**vega.CONFIG, "legend": {**vega.CONFIG["legend"], "orient": "bottom"}}


def line_spec(
    title: str,
    points: Sequence[dict[str, Any]],
    y_title: str,
    breaks: Sequence[int] = (),
    decimals: int = 0,
    break_label: str = "Brudd",
) -> dict[str, Any]:
    """Lines over years: points are {"year", "series", "value"} (None values leave gaps). A series break is a dashed
    rule labelled "Brudd"."""
    data = [p for p in points if p.get("value") is not None]
    base = alt.Chart(alt.Data(values=data))
    line = base.mark_line(point=True).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=f",.{decimals}f")),
        color=alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE)),
        tooltip=["series:N", "year:O", alt.Tooltip("value:Q", format=f",.{decimals}f")],
    )
    layers: list[Any] = [line]
    if breaks:
        marks = alt.Chart(alt.Data(values=[{"year": b, "label": break_label} for b in breaks]))
        layers.append(marks.mark_rule(strokeDash=[4, 3], color="#555").encode(x="year:O"))
        layers.append(marks.mark_text(align="left", dx=3, dy=-6, baseline="top").encode(x="year:O", text="label:N"))
    chart = alt.layer(*layers).properties(title=title, width=WIDTH, height=HEIGHT)
    return _finish(chart)


def bar_spec(title: str, items: Sequence[tuple[str, float | None]], x_title: str, decimals: int = 1) -> dict[str, Any]:
    """Horizontal bars, largest first; a missing or suppressed figure is left out (the table twin shows its mark)."""
    data = [{"label": label, "value": value} for label, value in items if value is not None]
    height = max(60, 18 * len(data))
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=240)),
            x=alt.X("value:Q", title=x_title, axis=alt.Axis(format=f",.{decimals}f")),
            tooltip=["label:N", alt.Tooltip("value:Q", format=f",.{decimals}f")],
        )
        .properties(title=title, width=WIDTH - 160, height=height)
    )
    return _finish(chart)


def _finish(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict(validate=False)  # the tests validate; at run time it costs 0.3 s a chart
    spec["config"] = {**spec.get("config", {}), **_CONFIG}
    return spec


def to_svg(spec: dict[str, Any]) -> str:
    """The spec as SVG (lib.vega.chart_svg: Norwegian number formats, no network, cached by spec hash)."""
    svg = vega.chart_svg(spec)
    # Accessibility is carried by the figure element around it (role, title and the table twin).
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
