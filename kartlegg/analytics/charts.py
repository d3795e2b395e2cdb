"""Charts as small inline SVG, drawn on the server (pure functions, no ORM, no JavaScript).

A chart is a picture of the table beside it, which is its text alternative: the SVG has role="img", a title and a
description that points to the table. Lines have gaps where a figure is missing (never drawn as 0); a series break
is a dashed vertical line with a label; imputed and estimated points are hollow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.translation import gettext as _

from kartlegg.lib.numbers import format_number

# Okabe–Ito's colour-blind-safe hues, darkened where needed so every line has 3:1 contrast against white (WCAG 1.4.11).
PALETTE = ("#0072b2", "#d55e00", "#007a5a", "#b4428c", "#440154", "#7a5c00", "#3e4989", "#8a1c1c")
WIDTH, HEIGHT = 640.0, 320.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 150.0, 20.0, 36.0
MAX_LINES = 8
# The legend beside a line chart: whole names, wrapped at spaces and hyphens onto as many lines as they need.
LEGEND_CHARS, LEGEND_LINE, LEGEND_GAP = 20, 13, 5
MAX_BARS = 30


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


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _label_number(value: float, decimals: int) -> str:
    return format_number(value, decimals, space=" ")


def line_chart(
    series: Sequence[Series],
    years: Sequence[int],
    title: str,
    table_id: str,
    breaks: Sequence[int] = (),
    decimals: int = 1,
) -> str:
    """One line per series over the years; at most MAX_LINES lines (the caller picks which)."""
    shown = list(series)[:MAX_LINES]
    values = [p.value for s in shown for p in s.points if p.value is not None]
    if not values or not years:
        return ""
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = max(1, len(years) - 1)

    def x(year: int) -> float:
        return LEFT + (years.index(year) / span) * plot_w if len(years) > 1 else LEFT + plot_w / 2

    def y(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    legend = [_wrap(item.label, LEGEND_CHARS) for item in shown]
    legend_h = sum(len(lines) * LEGEND_LINE + LEGEND_GAP for lines in legend)
    out = [_open(title, table_id, max(HEIGHT, TOP + legend_h + 8))]
    for tick in ticks:
        out.append(
            f'<line x1="{_fmt(LEFT)}" x2="{_fmt(LEFT + plot_w)}" y1="{_fmt(y(tick))}" y2="{_fmt(y(tick))}" '
            'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{_fmt(LEFT - 6)}" y="{_fmt(y(tick) + 4)}" text-anchor="end" font-size="11" fill="#333">'
            f"{escape(_label_number(tick, 0 if float(tick).is_integer() else 1))}</text>"
        )
    for year in years:
        out.append(
            f'<text x="{_fmt(x(year))}" y="{_fmt(HEIGHT - BOTTOM + 18)}" text-anchor="middle" font-size="11" '
            f'fill="#333">{year}</text>'
        )
    break_label = escape(_("Brudd"))
    for year in breaks:
        if year in years and years.index(year) > 0:
            bx = (x(year) + x(years[years.index(year) - 1])) / 2
            out.append(
                f'<line x1="{_fmt(bx)}" x2="{_fmt(bx)}" y1="{_fmt(TOP)}" y2="{_fmt(TOP + plot_h)}" stroke="#8a1c1c" '
                'stroke-width="1.5" stroke-dasharray="5 4"/>'
                f'<text x="{_fmt(bx + 3)}" y="{_fmt(TOP + 10)}" font-size="11" fill="#8a1c1c">'
                f"{break_label}</text>"
            )
    for index, item in enumerate(shown):
        colour = PALETTE[index % len(PALETTE)]
        out.append(f'<g class="series" data-label="{escape(item.label)}">')
        for run in _runs([p for p in item.points if p.year in years]):
            if len(run) > 1:
                d = " ".join(
                    f"{'M' if i == 0 else 'L'}{_fmt(x(p.year))},{_fmt(y(p.value or 0))}" for i, p in enumerate(run)
                )
                out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for point in item.points:
            if point.value is None or point.year not in years:
                continue
            fill = "#fff" if point.flagged else colour
            text = f"{item.label} {point.year}: {_label_number(point.value, decimals)}"
            out.append(
                f'<circle cx="{_fmt(x(point.year))}" cy="{_fmt(y(point.value))}" r="3.5" fill="{fill}" '
                f'stroke="{colour}" stroke-width="1.5"><title>{escape(text)}</title></circle>'
            )
        out.append("</g>")
        ly = TOP + 14 + sum(len(lines) * LEGEND_LINE + LEGEND_GAP for lines in legend[:index])
        spans = "".join(
            f'<tspan x="{_fmt(WIDTH - RIGHT + 30)}" dy="{0 if i == 0 else LEGEND_LINE}">{escape(line)}</tspan>'
            for i, line in enumerate(legend[index])
        )
        out.append(
            f'<rect x="{_fmt(WIDTH - RIGHT + 12)}" y="{_fmt(ly - 9)}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{_fmt(WIDTH - RIGHT + 30)}" y="{_fmt(ly - 3)}" font-size="11" fill="#222">{spans}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(items: Sequence[tuple[str, float | None, bool]], title: str, table_id: str, decimals: int = 1) -> str:
    """Horizontal bars (label, value, flagged), largest first as given; missing values get no bar and say so."""
    shown = list(items)[:MAX_BARS]
    values = [v for _, v, _ in shown if v is not None]
    if not values:
        return ""
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    left, bar_h, gap = 190.0, 14.0, 6.0
    height = TOP + len(shown) * (bar_h + gap) + BOTTOM
    plot_w = WIDTH - left - 70

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * plot_w

    out = [_open(title, table_id, height)]
    for tick in ticks:
        out.append(
            f'<line x1="{_fmt(x(tick))}" x2="{_fmt(x(tick))}" y1="{_fmt(TOP - 4)}" y2="{_fmt(height - BOTTOM)}" '
            'stroke="#d0d0d0"/>'
            f'<text x="{_fmt(x(tick))}" y="{_fmt(height - BOTTOM + 16)}" text-anchor="middle" font-size="11" '
            f'fill="#333">{escape(_label_number(tick, 0 if float(tick).is_integer() else 1))}</text>'
        )
    for index, (label, value, flagged) in enumerate(shown):
        top = TOP + index * (bar_h + gap)
        out.append(
            f'<text x="{_fmt(left - 6)}" y="{_fmt(top + bar_h - 3)}" text-anchor="end" font-size="11" fill="#222">'
            f"{escape(_short(label, 30))}</text>"
        )
        if value is None:
            out.append(f'<text x="{_fmt(left + 4)}" y="{_fmt(top + bar_h - 3)}" font-size="11" fill="#555">..</text>')
            continue
        start, end = sorted((x(0.0 if low <= 0 <= high else low), x(value)))
        style = 'fill="#fff" stroke="#26828e" stroke-width="1.5"' if flagged else 'fill="#26828e"'
        out.append(
            f'<rect x="{_fmt(start)}" y="{_fmt(top)}" width="{_fmt(max(end - start, 0.5))}" height="{_fmt(bar_h)}" '
            f"{style}><title>{escape(label)}: {escape(_label_number(value, decimals))}</title></rect>"
            f'<text x="{_fmt(end + 4)}" y="{_fmt(top + bar_h - 3)}" font-size="11" fill="#222">'
            f"{escape(_label_number(value, decimals))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _open(title: str, table_id: str, height: float = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(WIDTH)} {_fmt(height)}" role="img" '
        f'aria-label="{escape(title)}" aria-describedby="{escape(table_id)}" class="stat-chart" '
        'font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title><desc>Tallene står i tabellen under diagrammet.</desc>"
    )


def _runs(points: Sequence[Point]) -> list[list[Point]]:
    """Consecutive points with a value: a missing year breaks the line rather than dropping it to 0."""
    runs: list[list[Point]] = [[]]
    for point in points:
        if point.value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(point)
    return [r for r in runs if r]


def _wrap(text: str, limit: int) -> list[str]:
    """Lines of at most `limit` characters, broken after spaces (a single longer word keeps its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
