"""The analyst's round dashboard: status per unit, response rate overall and by county, and the response curve.

Counting is done by the database (a few aggregate queries whatever the number of units), and the curve is a pure
function on plain data (responses/charts.py draws it), so it is easy to test and costs the same for 400 or 40 000
units.
The response rate is the share of units whose response is submitted now (a reopened response does not count until
it is submitted again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.geography import services as geography

from .models import Response, ResponseStatus, Round

MAX_QUERY_LENGTH = 100
MAX_CURVE_DAYS = 400


@dataclass
class Filters:
    status: str = ""
    county: str = ""
    q: str = ""
    problems: list[str] = field(default_factory=list)

    def as_params(self) -> dict[str, str]:
        return {k: v for k, v in (("status", self.status), ("county", self.county), ("q", self.q)) if v}

    @property
    def active(self) -> bool:
        return bool(self.status or self.county or self.q)


def read_filters(params: Mapping[str, str], counties: Mapping[str, str]) -> Filters:
    """Filters from the query string; an unknown status or county is reported and ignored, never a 500."""
    filters = Filters()
    status = (params.get("status") or "").strip()
    if status in ResponseStatus.values:
        filters.status = status
    elif status:
        filters.problems.append(_("Ukjent status «%(value)s»; viser alle.") % {"value": status[:40]})
    county = (params.get("county") or "").strip()
    if county in counties:
        filters.county = county
    elif county:
        filters.problems.append(_("Ukjent fylke «%(value)s»; viser alle fylker.") % {"value": county[:40]})
    filters.q = " ".join((params.get("q") or "").split())[:MAX_QUERY_LENGTH]
    return filters


def apply_filters(responses: QuerySet[Response], filters: Filters) -> QuerySet[Response]:
    if filters.status:
        responses = responses.filter(status=filters.status)
    if filters.county:
        responses = responses.filter(unit__county_code=filters.county)
    if filters.q:
        responses = responses.filter(Q(unit__name__icontains=filters.q) | Q(unit__code__startswith=filters.q))
    return responses


def county_names(round_obj: Round) -> dict[str, str]:
    return geography.county_names(round_obj.year)


@dataclass(frozen=True)
class Rate:
    code: str
    name: str
    total: int
    submitted: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.submitted / self.total if self.total else None

    @property
    def bar(self) -> str:
        """The bar's length in an SVG of width 100, as attribute text (never localised: "87.3", not "87,3")."""
        return f"{self.percent or 0.0:.1f}"


def rates(responses: QuerySet[Response], names: Mapping[str, str]) -> tuple[Rate, list[Rate]]:
    """(overall, by county), from one aggregate query."""
    rows = (
        responses.order_by()
        .values("unit__county_code")
        .annotate(total=Count("id"), submitted=Count("id", filter=Q(status=ResponseStatus.SUBMITTED)))
    )
    by_county = sorted(
        (
            Rate(row["unit__county_code"], names.get(row["unit__county_code"], row["unit__county_code"]),
                 row["total"], row["submitted"])
            for row in rows
        ),
        key=lambda r: r.code,
    )  # fmt: skip
    overall = Rate("", _("Alle"), sum(r.total for r in by_county), sum(r.submitted for r in by_county))
    return overall, by_county


def status_counts(responses: QuerySet[Response]) -> dict[str, int]:
    counts = dict.fromkeys(ResponseStatus.values, 0)
    for row in responses.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


QUIET_DAYS = 7


@dataclass(frozen=True)
class CurvePoint:
    day: dt.date
    count: int
    cumulative: int
    percent: float


def submissions_per_day(responses: QuerySet[Response]) -> dict[dt.date, int]:
    """Submitted responses by the local day of their (latest) submission."""
    rows = (
        responses.filter(status=ResponseStatus.SUBMITTED, submitted_at__isnull=False)
        .order_by()
        .annotate(day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
    )
    return {row["day"]: row["n"] for row in rows}


def response_curve(per_day: Mapping[dt.date, int], start: dt.date, end: dt.date, total: int) -> list[CurvePoint]:
    """One point per day from start to end (both included): that day's submissions, the running total and the
    running share of all units in per cent. Submissions outside the range widen it."""
    if per_day:
        start, end = min(start, min(per_day)), max(end, max(per_day))
    if end < start:
        end = start
    if (end - start).days >= MAX_CURVE_DAYS:
        # Keep the chart readable: earlier days are folded into the first point.
        start = end - dt.timedelta(days=MAX_CURVE_DAYS - 1)
    before = sum(n for day, n in per_day.items() if day < start)
    points: list[CurvePoint] = []
    running = before
    day = start
    while day <= end:
        count = per_day.get(day, 0) + (before if day == start else 0)
        running += per_day.get(day, 0)
        points.append(CurvePoint(day, count, running, 100.0 * running / total if total else 0.0))
        day += dt.timedelta(days=1)
    return points


def curve_range(
    round_obj: Round, today: dt.date | None = None, last_submission: dt.date | None = None
) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, last day with data, last day of the axis): from the day the round opened to today (or the day it
    closed, if earlier), on an axis that runs to the deadline when that is later. A round left open long after its
    deadline ends a week after the later of the deadline and its last submission, so that months of nothing do not
    flatten the curve."""
    today = today or timezone.localdate()
    start = timezone.localtime(round_obj.opens_at).date()
    data_end = today
    if round_obj.closes_at is not None:
        data_end = min(data_end, timezone.localtime(round_obj.closes_at).date())
    quiet_from = max(round_obj.deadline, last_submission or round_obj.deadline) + dt.timedelta(days=QUIET_DAYS)
    data_end = max(min(data_end, quiet_from), start)
    return start, data_end, max(data_end, round_obj.deadline)


def status_rows(responses: QuerySet[Response], names: Mapping[str, str]) -> list[list[Any]]:
    """Rows for the status CSV."""
    labels = dict(ResponseStatus.choices)
    rows = []
    for r in responses.select_related("unit").order_by("unit__code"):
        rows.append(
            [
                r.unit.code,
                r.unit.name,
                r.unit.county_code,
                names.get(r.unit.county_code, ""),
                r.status,
                str(labels.get(r.status, r.status)),
                r.version,
                _local(r.submitted_at),
                _local(r.updated_at) if r.status != ResponseStatus.NOT_STARTED else "",
            ]
        )
    return rows


STATUS_HEADER = [
    "unit_code", "unit_name", "county_code", "county_name", "status", "status_text", "version", "submitted_at",
    "last_saved",
]  # fmt: skip


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if value else ""
