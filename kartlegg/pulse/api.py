"""Pulse series in the API (analysts only): the series, and a question's trend over the waves as JSON-stat 2.0, CSV,
XLSX or PC-Axis, with the wave as the time dimension (the same Cube and downloads as the statistics)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from kartlegg.accounts.tokens import API_AUTH
from kartlegg.analytics import downloads

from . import services
from .views_trends import FORMATS, TrendParamError, cube_for, read_params

router = Router(tags=["puls"], auth=API_AUTH)
MAX_ID = 2**62


class ErrorOut(Schema):
    error: str


class WaveOut(Schema):
    number: int
    opens_at: str
    closes_at: str
    state: str
    units: int
    submitted: int
    response_rate: float | None
    late: int


class SeriesOut(Schema):
    id: int
    name: str
    status: str
    interval_days: int
    open_days: int
    first_date: str
    end_date: str
    late_answers: str
    next_wave: str | None
    waves: list[WaveOut]


def _series(request: HttpRequest, series_id: int) -> Any:
    try:
        return services.get_series_for_user(request.user, series_id if 0 < series_id < MAX_ID else 0)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except Http404:
        raise HttpError(404, "Fant ikke pulsserien.") from None


@router.get(
    "/pulse/series",
    response={200: list[SeriesOut], 401: ErrorOut, 403: ErrorOut},
    summary="Pulse series with their waves and response rates (analysts only)",
)
def list_pulse_series(request: HttpRequest) -> Any:
    try:
        found = list(services.series_for_user(request.user))
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    result = []
    for series in found:
        counts = services.wave_counts(list(series.waves.exclude(state="skipped").select_related("round")))
        upcoming = services.next_wave_date(series)
        result.append({
            "id": series.pk, "name": series.name, "status": series.status, "interval_days": series.interval_days,
            "open_days": series.open_days, "first_date": series.first_date.isoformat(),
            "end_date": series.end_date.isoformat(), "late_answers": series.late_answers,
            "next_wave": upcoming.isoformat() if upcoming else None,
            "waves": [{"number": c.wave.number, "opens_at": c.wave.opens_at.isoformat(),
                       "closes_at": c.wave.closes_at.isoformat(), "state": c.wave.state, "units": c.total,
                       "submitted": c.submitted, "response_rate": c.rate, "late": c.late} for c in counts],
        })  # fmt: skip
    return result


@router.get(
    "/pulse/series/{series_id}/trends",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="One question's trend over the waves as JSON-stat 2.0, CSV, XLSX or PC-Axis (analysts only)",
    description=(
        "Query parameters (all optional): `question` (a question code of the series' questionnaire; default the "
        "first that can be shown over time), `level` (nation, county, rhf, size_group; groups under 5 units are "
        "suppressed), `panel` (1: only units that answered the question in every wave), `format` (jsonstat, the "
        "default; csv, xlsx, px). The wave is the time dimension; its code is the wave's opening date."
    ),
)
def pulse_trends(
    request: HttpRequest,
    series_id: int,
    question: str | None = None,
    level: str | None = None,
    panel: str | None = None,
    format: str | None = None,  # noqa: A002 - the public parameter name
) -> Any:
    series = _series(request, series_id)
    kind = (format or "jsonstat")[:20]
    if kind not in FORMATS:
        raise HttpError(400, f"format: ukjent format {kind!r}; gyldige er {', '.join(FORMATS)}.")
    data = services.read_series(series, counts=False)
    params = {"question": question or "", "level": level or "", "panel": panel or ""}
    try:
        cube = cube_for(data, read_params(params, data))
    except (TrendParamError, ValueError) as exc:
        raise HttpError(400, str(exc)) from None
    rendered = downloads.render(cube, kind, attachment=kind != "jsonstat")
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    if rendered.filename:
        response["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    return response
