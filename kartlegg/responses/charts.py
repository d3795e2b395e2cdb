"""The round dashboard's response curve as a Vega-Lite spec (Altair), a pure function: `kartlegg.lib.vega` renders it
to SVG on the server and the page shows the same spec with vega-embed. Its table twin is the table of submissions
per day under the figure.

The y axis is the cumulative response rate, 0–100 %, written the Norwegian way ("50 %"); the x axis runs from the
first day to the end of the axis (the deadline, when that is later than today), so the line stops at today
instead of being drawn flat into the future. The deadline is a dashed rule labelled "frist"; the last point is
marked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from kartlegg.lib.numbers import format_number, format_percent
from kartlegg.lib.vega import finish
from kartlegg.responses.dashboard import CurvePoint

WIDTH, HEIGHT = 560, 200
LINE_COLOUR = "#0b5394"
DEADLINE_COLOUR = "#8a1c1c"


def _date(day: dt.date) -> str:
    return day.isoformat()


def curve_spec(
    points: Sequence[CurvePoint], deadline: dt.date | None, axis_end: dt.date | None = None, title: str = ""
) -> dict[str, Any]:
    """The cumulative response curve; an empty round gives a flat line at 0 % on its first day."""
    first = points[0].day if points else (axis_end or dt.date.today())
    last = max(points[-1].day if points else first, axis_end or first)
    with_year = first.year != last.year or last.year != dt.date.today().year
    rows = [
        {
            "day": _date(p.day),
            "percent": round(p.percent, 4),
            "date": p.day.strftime("%d.%m.%Y"),
            "count": format_number(p.count),
            "cumulative": format_number(p.cumulative),
            "text": format_percent(p.percent),
        }
        for p in points
    ] or [{"day": _date(first), "percent": 0.0, "date": first.strftime("%d.%m.%Y"), "count": "0",
           "cumulative": "0", "text": format_percent(0.0)}]  # fmt: skip
    x = alt.X(
        "day:T",
        title=None,
        scale=alt.Scale(domain=[_date(first), _date(max(last, first + dt.timedelta(days=1)))]),
        axis=alt.Axis(format="%d.%m.%Y" if with_year else "%d.%m.", tickCount=6, grid=False),
    )
    y = alt.Y(
        "percent:Q",
        title=None,
        scale=alt.Scale(domain=[0, 100]),
        axis=alt.Axis(values=[0, 25, 50, 75, 100], labelExpr="datum.value + '\u00a0%'"),
    )
    tooltip = [
        alt.Tooltip("date:N", title=_("Dato")),
        alt.Tooltip("count:N", title=_("Sendt inn denne dagen")),
        alt.Tooltip("cumulative:N", title=_("Sendt inn i alt")),
        alt.Tooltip("text:N", title=_("Svarprosent")),
    ]
    base = alt.Chart(alt.Data(values=rows))
    layers: list[Any] = [
        base.mark_line(color=LINE_COLOUR, strokeWidth=2.5, strokeJoin="round").encode(x=x, y=y),
        base.mark_point(filled=True, size=30, opacity=0).encode(x=x, y=y, tooltip=tooltip),  # tooltip targets
        alt.Chart(alt.Data(values=rows[-1:]))
        .mark_circle(color=LINE_COLOUR, size=60, opacity=1)
        .encode(x=x, y=y, tooltip=tooltip),
    ]
    if deadline is not None and first <= deadline <= last:
        marks = alt.Chart(alt.Data(values=[{"day": _date(deadline), "label": _("frist")}]))
        layers.append(marks.mark_rule(color=DEADLINE_COLOUR, strokeWidth=1.5, strokeDash=[4, 3]).encode(x=x))
        layers.append(
            marks.mark_text(align="right", baseline="top", dx=-4, dy=2, color=DEADLINE_COLOUR, fontSize=11).encode(
                x=x, y=alt.value(0), text="label:N"
            )
        )
    chart = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
    if title:
        chart = chart.properties(title=title)
    return finish(chart)
