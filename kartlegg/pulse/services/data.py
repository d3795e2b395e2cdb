"""A series' waves as plain data for the trends: the answers of submitted responses per wave (one query), the
units' county, RHF and size group, and each wave's response counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from kartlegg.geography.models import ReportingUnit
from kartlegg.geography.services import county_names
from kartlegg.responses.dashboard import submissions_per_day
from kartlegg.responses.models import Answer, ReminderLog, Response, ResponseStatus

from .. import trends
from ..models import PulseSeries, Wave, WaveState


@dataclass
class WaveCounts:
    wave: Wave
    total: int
    submitted: int
    late: int
    reminders: int  # units reminded

    @property
    def rate(self) -> float | None:
        return trends.response_rate(self.submitted, self.total)


@dataclass
class SeriesData:
    series: PulseSeries
    waves: list[trends.WaveInfo]
    answers: list[dict[str, dict[str, str | None]]]
    units: dict[str, trends.UnitInfo]
    questions: list[trends.QuestionInfo]
    counts: list[WaveCounts] = field(default_factory=list)

    def question(self, code: str) -> trends.QuestionInfo | None:
        return next((q for q in self.questions if q.code == code), None)


def wave_label(wave: Wave) -> str:
    return f"Måling {wave.number} ({timezone.localtime(wave.opens_at).strftime('%d.%m.%Y')})"


def wave_info(wave: Wave) -> trends.WaveInfo:
    return trends.WaveInfo(timezone.localtime(wave.opens_at).date().isoformat(), wave_label(wave), wave.number)


def questions_of(series: PulseSeries) -> list[trends.QuestionInfo]:
    defn = series.version.definition()
    found = []
    for q in defn.questions.values():
        info = trends.QuestionInfo(
            q.code, q.label, q.type, tuple(q.choices), q.decimals if q.decimals is not None else 1, q.unit
        )
        if trends.trendable(info):
            found.append(info)
    return found


def opened_waves(series: PulseSeries, up_to: Wave | None = None) -> list[Wave]:
    waves = series.waves.exclude(state=WaveState.SKIPPED).select_related("round").order_by("slot")
    if up_to is not None:
        waves = waves.filter(slot__lte=up_to.slot)
    return list(waves)


def wave_counts(waves: list[Wave]) -> list[WaveCounts]:
    """Units, submitted, late (submitted after the wave closed) and reminded units per wave, in three queries."""
    rounds = [w.round_id for w in waves if w.round_id]
    by_round = {
        row["round_id"]: row
        for row in Response.objects.filter(round_id__in=rounds)
        .order_by()
        .values("round_id")
        .annotate(total=Count("id"), submitted=Count("id", filter=Q(status=ResponseStatus.SUBMITTED)))
    }
    late: dict[int, int] = defaultdict(int)
    for wave in waves:
        if wave.round_id:
            late[wave.round_id] = Response.objects.filter(
                round_id=wave.round_id, status=ResponseStatus.SUBMITTED, submitted_at__gt=wave.closes_at
            ).count()
    reminded = dict(
        ReminderLog.objects.filter(round_id__in=rounds)
        .order_by()
        .values("round_id")
        .annotate(n=Count("unit_id", distinct=True))
        .values_list("round_id", "n")
    )
    result = []
    for wave in waves:
        key = wave.round_id or 0
        row = by_round.get(key, {"total": 0, "submitted": 0})
        result.append(WaveCounts(wave, row["total"], row["submitted"], late.get(key, 0), reminded.get(key, 0)))
    return result


def read_series(
    series: PulseSeries, up_to: Wave | None = None, on_time_only: bool = False, counts: bool = True
) -> SeriesData:
    """Every opened wave up to `up_to` (all by default) with the answers of the submitted responses. `on_time_only`
    leaves out answers submitted after their wave closed (the quick report is built at closing)."""
    waves = opened_waves(series, up_to)
    questions = questions_of(series)
    codes = [q.code for q in questions]
    index = {w.round_id: i for i, w in enumerate(waves) if w.round_id}
    answers: list[dict[str, dict[str, str | None]]] = [defaultdict(dict) for _ in waves]
    rows = Answer.objects.filter(
        response__round_id__in=list(index), response__status=ResponseStatus.SUBMITTED, variable__in=codes
    )
    seen_units: set[str] = set()
    closes = {w.round_id: w.closes_at for w in waves}
    for round_id, unit, variable, text, submitted_at in rows.values_list(
        "response__round_id", "response__unit__code", "variable", "value_text", "response__submitted_at"
    ).iterator(chunk_size=5000):
        if on_time_only and submitted_at is not None and submitted_at > closes[round_id]:
            continue
        answers[index[round_id]][unit][variable] = text
        seen_units.add(unit)
    return SeriesData(
        series,
        [wave_info(w) for w in waves],
        [dict(a) for a in answers],
        unit_infos(series, seen_units, waves),
        questions,
        wave_counts(waves) if counts else [],
    )


def unit_infos(series: PulseSeries, codes: set[str], waves: list[Wave]) -> dict[str, trends.UnitInfo]:
    year = timezone.localtime(waves[-1].opens_at).year if waves else series.first_date.year
    counties = county_names(year)
    found = {}
    for code, county, rhf, rhf_name, size in ReportingUnit.objects.filter(year=year, code__in=codes).values_list(
        "code", "county_code", "rhf_code", "rhf_name", "size_group"
    ):
        found[code] = trends.UnitInfo(code, county, counties.get(county, county), rhf, rhf_name, size)
    return found


def submissions_by_day(wave: Wave) -> dict[dt.date, int]:
    if wave.round is None:
        return {}
    return submissions_per_day(Response.objects.filter(round=wave.round))
