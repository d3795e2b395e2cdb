"""The series page's figures as plain data (pure): response rate per wave and the response curve within each wave,
as series for analytics.charts, with their tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kartlegg.analytics.charts import Point, Series


@dataclass(frozen=True)
class CurveRow:
    label: str
    percents: list[float | None]  # cumulative share submitted at the end of day 1, 2, … of the wave


def rate_series(labels: Sequence[str], rates: Sequence[float | None]) -> tuple[list[Series], list[int]]:
    """One line of response rate over the waves; the x axis is the wave's number."""
    numbers = list(range(1, len(rates) + 1))
    points = [Point(n, r) for n, r in zip(numbers, rates, strict=True)]
    return [Series("Svarprosent", points)], numbers


def curve(per_day: Mapping[dt.date, int], opened: dt.date, days: int, total: int) -> list[float | None]:
    """Cumulative per cent submitted at the end of each day of the wave (day 1 is the opening day). Submissions
    before the opening day count on day 1; days that have not come yet are None."""
    result: list[float | None] = []
    running = sum(n for day, n in per_day.items() if day < opened)
    for i in range(days):
        day = opened + dt.timedelta(days=i)
        running += per_day.get(day, 0)
        result.append(100.0 * running / total if total else None)
    return result


def curve_series(rows: Sequence[CurveRow], days: int) -> tuple[list[Series], list[int]]:
    numbers = list(range(1, days + 1))
    series = [Series(row.label, [Point(d, p) for d, p in zip(numbers, row.percents, strict=False)]) for row in rows]
    return series, numbers
