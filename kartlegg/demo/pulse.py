"""The demo's pulse series (issue 16): "Koronapuls 2020", eight waves every 14 days from 26 March to 2 July 2020,
each open three days, as ordinary rounds with synthetic answers that move as the spring of 2020 did (services close
and then gradually reopen; worry for vulnerable children and young people rises). Response falls from about 75 %
to 60 %. The last wave is open (it closes three days after the demo is made); the closed waves' quick reports are
queued for the worker and wait as drafts."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from kartlegg.pulse.models import PulseSeries, SeriesStatus, Wave, WaveState
from kartlegg.pulse.tasks import queue_report
from kartlegg.responses.models import Response, ResponseStatus
from kartlegg.surveys.models import QuestionnaireVersion

from . import store
from .answers import answers_for

SERIES_NAME = "Koronapuls 2020"
FIRST = dt.date(2020, 3, 26)
WAVES, INTERVAL, OPEN_DAYS = 8, 14, 3
FIRST_RATE, LAST_RATE = 0.75, 0.60


def add_pulse_series(seed: int, version: QuestionnaireVersion, units: Sequence[Any]) -> tuple[list[int], int]:
    """The series, its waves and their answers. Returns the round ids and the number of answers written."""
    PulseSeries.objects.filter(name=SERIES_NAME).delete()
    defn = version.definition()
    series = PulseSeries.objects.create(
        name=SERIES_NAME, version=version, interval_days=INTERVAL, open_days=OPEN_DAYS, first_date=FIRST,
        end_date=FIRST + dt.timedelta(days=INTERVAL * (WAVES - 1)), status=SeriesStatus.ACTIVE,
    )  # fmt: skip
    ids, written, closed = [], 0, []
    now = timezone.now()
    for number in range(1, WAVES + 1):
        day = FIRST + dt.timedelta(days=INTERVAL * (number - 1))
        opens = store.at(day, 8)
        last = number == WAVES
        closes = now + dt.timedelta(days=OPEN_DAYS) if last else store.at(day + dt.timedelta(days=OPEN_DAYS), 0)
        rate = FIRST_RATE + (LAST_RATE - FIRST_RATE) * (number - 1) / (WAVES - 1)
        answered = {}
        for unit in units:
            if random.Random(f"{seed}:pulse:{unit.code}:{number}").random() >= rate:
                continue
            values, _text = answers_for(seed, defn, store.as_demo_unit(unit), version.year, {}, {}, False,
                                        wave=number, waves=WAVES)  # fmt: skip
            answered[unit.code] = store.UnitAnswers(unit, values, {})
        plan = store.RoundPlan(version, f"{SERIES_NAME} – måling {number}", version.year, opens,
                               day + dt.timedelta(days=OPEN_DAYS - 1), closes, None)  # fmt: skip
        rng = random.Random(f"{seed}:pulse:{number}")
        round_obj, count = store.write_round(plan, units, answered, rng, {"seed": seed, "wave": number})
        _within_wave(round_obj, opens, min(closes, now), rng)
        wave = Wave.objects.create(
            series=series, slot=number - 1, number=number, round=round_obj, opens_at=opens, closes_at=closes,
            state=WaveState.OPEN if last else WaveState.CLOSED, closed_at=None if last else closes,
            reminded_at=None if last else closes - dt.timedelta(hours=16),
        )  # fmt: skip
        if not last:
            closed.append(wave.pk)
        ids.append(round_obj.pk)
        written += count
    for wave_id in closed:
        queue_report(wave_id)
    return ids, written


def _within_wave(round_obj: Any, opens: dt.datetime, closes: dt.datetime, rng: random.Random) -> None:
    """Submission times inside the wave: most on the first day, fewer each day after."""
    span = max((closes - opens).total_seconds(), 3600.0)
    submitted = list(Response.objects.filter(round=round_obj, status=ResponseStatus.SUBMITTED))
    for response in submitted:
        response.submitted_at = opens + dt.timedelta(seconds=span * min(rng.expovariate(3.0), 0.98))
    Response.objects.bulk_update(submitted, ["submitted_at"])
