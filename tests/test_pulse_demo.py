"""The demo's pulse series: eight waves every 14 days from March to July 2020, the last open, response falling from
about 75 % to 60 %, services closing and then reopening, worry for vulnerable youth rising."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from kartlegg.pulse import services, trends
from kartlegg.pulse.models import PulseSeries, QuickReport, WaveState

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_2020_pulse_series_with_a_plausible_trend(tmp_path: Path) -> None:
    call_command("make_demo_data", "--seed", "7", "--years", "2020", "--no-progress",
                 "--errors-file", str(tmp_path / "errors.json"))  # fmt: skip
    series = PulseSeries.objects.get(name="Koronapuls 2020")
    waves = list(series.waves.order_by("slot"))
    assert [w.number for w in waves] == list(range(1, 9))
    assert [w.opens_at.date().isoformat() for w in (waves[0], waves[-1])] == ["2020-03-26", "2020-07-02"]
    assert [w.state for w in waves] == [WaveState.CLOSED] * 7 + [WaveState.OPEN]
    assert waves[-1].is_open() and waves[-1].round is not None and waves[-1].round.is_open()
    data = services.read_series(series)
    rates = [c.rate for c in data.counts]
    assert rates[0] is not None and rates[-1] is not None
    assert 70 <= rates[0] <= 80 and 55 <= rates[-1] <= 65
    assert all(c.wave.round.responses.filter(submitted_at__lt=c.wave.opens_at).count() == 0 for c in data.counts)
    by_code = {q.code: q for q in data.questions}
    worry = trends.question_trend(by_code["P_bekymring_unge"], data.waves, data.answers)
    closed = trends.question_trend(by_code["P_dagtilbud_stengt"], data.waves, data.answers)
    very = [s.percent or 0 for s in worry.shares["svart"]]
    shut = [s.percent or 0 for s in closed.shares["stengt"]]
    assert very[-1] > very[0] + 20  # worry rises
    assert shut[0] > shut[-1] + 30  # services reopen
    assert QuickReport.objects.filter(wave__series=series).count() == 7
    # A second run replaces the series instead of adding another.
    call_command("make_demo_data", "--seed", "7", "--years", "2020", "--no-progress",
                 "--errors-file", str(tmp_path / "errors.json"))  # fmt: skip
    assert PulseSeries.objects.filter(name="Koronapuls 2020").count() == 1
