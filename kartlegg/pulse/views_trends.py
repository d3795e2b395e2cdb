"""The trends of a series: per question, wave over wave, with the change since the wave before (marked when larger
than the intervals allow), a breakdown by county, RHF or size group, the panel option, and the downloads (CSV, XLSX,
PX, JSON-stat, from one Cube through analytics.downloads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kartlegg.analytics import charts, downloads
from kartlegg.lib import vega

from . import services, trendcube, trends
from .models import PulseSeries

FORMATS = ("csv", "xlsx", "px", "jsonstat")


class TrendParamError(ValueError):
    """A bad parameter; the message names it (bokmål)."""


@dataclass
class TrendParams:
    question: trends.QuestionInfo
    level: str
    panel: bool


def read_params(params: Any, data: services.SeriesData) -> TrendParams:
    """question (code), level (nation, county, rhf, size_group), panel (1/0); unknown values are a clear error."""
    if not data.questions:
        raise TrendParamError(_("Skjemaet har ingen spørsmål som kan vises over tid."))
    code = (params.get("question") or data.questions[0].code)[:80]
    question = data.question(code)
    if question is None:
        raise TrendParamError(_("question: ukjent spørsmål «%(code)s».") % {"code": code})
    level = params.get("level") or trendcube.NATION
    if level not in trendcube.LEVELS:
        raise TrendParamError(
            _("level: ukjent nivå «%(level)s»; gyldige er %(levels)s.")
            % {"level": level[:20], "levels": ", ".join(trendcube.LEVELS)}
        )
    panel = params.get("panel") or "0"
    if panel not in ("0", "1"):
        raise TrendParamError(_("panel: skriv 1 (bare enheter som svarte i begge målingene) eller 0."))
    return TrendParams(question, level, panel == "1")


def cube_for(data: services.SeriesData, p: TrendParams) -> Any:
    return trendcube.trend_cube(p.question, data.waves, data.answers, data.units, p.level, p.panel)


def trend_chart(trend: trends.QuestionTrend) -> vega.Figure | None:
    numbers = [w.number for w in trend.waves]
    lines = []
    if trend.question.kind == trends.SHARE:
        for code, label in trend.question.categories:
            if trend.question.type == "yesno" and code != trends.YES:
                continue
            shares = trend.shares.get(code, [])
            lines.append(
                charts.Series(label, [charts.Point(n, s.percent) for n, s in zip(numbers, shares, strict=True)])
            )
    else:
        lines.append(
            charts.Series(
                _("Gjennomsnitt"), [charts.Point(n, s.mean) for n, s in zip(numbers, trend.numbers, strict=True)]
            )
        )
    spec = charts.line_chart(lines, numbers, trend.question.label, decimals=1, x_label=_("Måling"))
    return vega.figure(spec, trend.question.label, "puls-trend-tabell", "trend") if spec else None


@require_GET
@login_required
def trends_page(request: HttpRequest, pk: int) -> HttpResponse:
    series: PulseSeries = services.get_series_for_user(request.user, pk)
    data = services.read_series(series)
    try:
        p = read_params(request.GET, data)
    except TrendParamError as exc:
        return render(request, "pulse/trends.html", {"series": series, "data": data, "problem": str(exc)}, status=400)
    trend = trends.question_trend(p.question, data.waves, data.answers, panel=p.panel)
    rows: list[dict[str, Any]] = []
    if p.question.kind == trends.SHARE:
        for code, label in p.question.categories:
            cells: list[Any] = list(zip(trend.shares[code], trend.changes[code], strict=True))
            rows.append({"label": label, "cells": cells})
    else:
        numbers: list[Any] = list(zip(trend.numbers, trend.changes["mean"], strict=True))
        rows.append({"label": _("Gjennomsnitt"), "numbers": numbers})
    groups = []
    if p.level != trendcube.NATION and data.answers:
        groups = trends.breakdown(p.question, data.answers[-1], data.units, p.level)
    query = {"question": p.question.code, "level": p.level, "panel": "1" if p.panel else "0"}
    links = [(downloads.FORMAT_LABELS[f], f"?{urlencode({**query, 'format': f})}") for f in FORMATS]
    context = {
        "series": series, "data": data, "p": p, "trend": trend, "rows": rows, "groups": groups,
        "chart": trend_chart(trend) if len(data.waves) else None,
        "levels": [(code, _(label)) for code, label in trendcube.LEVEL_LABELS.items()],
        "downloads": links,
        "latest": data.waves[-1] if data.waves else None,
    }  # fmt: skip
    return render(request, "pulse/trends.html", context)


@require_GET
@login_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    series = services.get_series_for_user(request.user, pk)
    kind = request.GET.get("format", "")
    if kind not in FORMATS:
        return HttpResponse(_("format: ukjent format; gyldige er %(formats)s.") % {"formats": ", ".join(FORMATS)},
                            status=400, content_type="text/plain; charset=utf-8")  # fmt: skip
    data = services.read_series(series, counts=False)
    try:
        p = read_params(request.GET, data)
        cube = cube_for(data, p)
    except (TrendParamError, ValueError) as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    rendered = downloads.render(cube, kind)
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    response["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    return response
