"""The statistics charts as Vega-Lite specs (Altair), pure functions with no ORM. `kartlegg.lib.vega` renders a spec
to SVG on the server (pages without JavaScript, the PDF) and the page shows the same spec with vega-embed.

A chart is a picture of the table beside it, which is its text alternative (the figure points to it). Lines have
gaps where a figure is missing (never drawn as 0); a series break is a dashed vertical rule labelled "Brudd" between
the two years; imputed and estimated points are hollow, and so are their bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from kartlegg.analytics.cube import round_half_up
from kartlegg.lib.numbers import format_number
from kartlegg.lib.vega import PALETTE, finish

WIDTH, HEIGHT = 440, 260
MAX_LINES = 8
MAX_BARS = 30
BAR_COLOUR = "#26828e"
BREAK_COLOUR = "#8a1c1c"


@dataclass(frozen=True)
class Point:
    year: int
    value: float | None
    flagged: bool = False  # imputed or estimated


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[Point]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (0 included when all values are positive)."""
    low = min(0.0, low)
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _number(value: float, decimals: int) -> str:
    return format_number(round_half_up(value, decimals), decimals, space="\u00a0")


def _flag_text(flagged: bool) -> str:
    return _("imputert eller estimert") if flagged else ""


def line_chart(
    series: Sequence[Series],
    years: Sequence[int],
    title: str,
    breaks: Sequence[int] = (),
    decimals: int = 1,
    x_label: str = "",
) -> dict[str, Any] | None:
    """One line per series over the years (or any whole numbers: waves, days, named by `x_label` in the tooltip);
    at most MAX_LINES lines (the caller picks which). None without data."""
    shown = list(series)[:MAX_LINES]
    years = list(years)
    rows = [
        {
            "year": p.year,
            "series": s.label,
            "value": p.value,
            "flagged": p.flagged,
            "text": _number(p.value, decimals) if p.value is not None else "..",
            "note": _flag_text(p.flagged),
        }
        for s in shown
        for p in s.points
        if p.year in years
    ]
    if not years or not any(r["value"] is not None for r in rows):
        return None
    labels = [s.label for s in shown]
    colour = alt.Color(
        "series:N",
        title=None,
        sort=labels,
        scale=alt.Scale(domain=labels, range=PALETTE[: len(labels)]),
        legend=alt.Legend(orient="right", labelLimit=280, symbolType="stroke") if len(labels) > 1 else None,
    )
    pad = 0.4 if len(years) > 1 else 1.0
    x = alt.X(
        "year:Q",
        title=None,
        scale=alt.Scale(domain=[years[0] - pad, years[-1] + pad], nice=False, zero=False),
        axis=alt.Axis(values=years, format="d", labelAngle=0, grid=False),
    )
    y = alt.Y("value:Q", title=None, axis=alt.Axis(format=",~f", tickCount=5))
    tooltip = [
        alt.Tooltip("series:N", title=_("Serie")),
        alt.Tooltip("year:Q", title=x_label or _("År"), format="d"),
        alt.Tooltip("text:N", title=_("Verdi")),
        alt.Tooltip("note:N", title=_("Merknad")),
    ]
    base = alt.Chart(alt.Data(values=rows))
    line = base.mark_line(strokeWidth=2).encode(x=x, y=y, color=colour, detail="series:N")
    points = base.mark_point(size=45, strokeWidth=1.5, filled=True, opacity=1).encode(
        x=x,
        y=y,
        stroke=alt.Stroke(
            "series:N", sort=labels, scale=alt.Scale(domain=labels, range=PALETTE[: len(labels)]), legend=None
        ),  # fmt: skip
        fill=alt.condition("datum.flagged", alt.value("#ffffff"), colour),
        tooltip=tooltip,
    )
    layers: list[Any] = [line, points]
    shown_breaks = [b for b in breaks if b in years and years.index(b) > 0]
    if shown_breaks:
        marks = alt.Chart(alt.Data(values=[{"at": b - 0.5, "label": _("Brudd")} for b in shown_breaks]))
        layers.append(marks.mark_rule(strokeDash=[5, 4], strokeWidth=1.5, color=BREAK_COLOUR).encode(x="at:Q"))
        layers.append(
            marks.mark_text(align="left", baseline="top", dx=3, dy=2, color=BREAK_COLOUR, fontSize=11).encode(
                x="at:Q", y=alt.value(0), text="label:N"
            )
        )
    chart = alt.layer(*layers).properties(title=title, width=WIDTH, height=HEIGHT)
    return finish(chart)


def bar_chart(items: Sequence[tuple[str, float | None, bool]], title: str, decimals: int = 1) -> dict[str, Any] | None:
    """Horizontal bars (label, value, flagged) in the order given (largest first); a missing value gets no bar and
    says ".."; imputed or estimated bars are hollow. None without data."""
    shown = list(items)[:MAX_BARS]
    if not any(v is not None for _, v, _ in shown):
        return None
    rows = [
        {
            "label": label,
            "value": value,
            "flagged": flagged,
            "text": _number(value, decimals) if value is not None else "..",
            "note": _flag_text(flagged),
            "order": index,
        }
        for index, (label, value, flagged) in enumerate(shown)
    ]
    labels = [label for label, _value, _flagged in shown]
    y = alt.Y("label:N", title=None, sort=labels, axis=alt.Axis(labelLimit=220, grid=False))
    x = alt.X("value:Q", title=None, axis=alt.Axis(format=",~f", tickCount=5))
    base = alt.Chart(alt.Data(values=rows))
    bars = base.mark_bar(stroke=BAR_COLOUR, strokeWidth=1.5, height=14).encode(
        y=y,
        x=x,
        fill=alt.condition("datum.flagged", alt.value("#ffffff"), alt.value(BAR_COLOUR)),
        tooltip=[
            alt.Tooltip("label:N", title=_("Region")),
            alt.Tooltip("text:N", title=_("Verdi")),
            alt.Tooltip("note:N", title=_("Merknad")),
        ],
    )
    values = base.mark_text(align="left", dx=4, fontSize=11, color="#222").encode(
        y=y, x=alt.X("shown:Q"), text="text:N"
    ).transform_calculate(shown="datum.value == null ? 0 : max(datum.value, 0)")  # fmt: skip
    chart = alt.layer(bars, values).properties(title=title, width=WIDTH - 80, height=20 * len(rows))
    return finish(chart)
