"""The pulse schedule: waves open and close by themselves as the clock moves across several intervals, never twice,
catching up after missed days; pause, resume, extend and stop; one reminder before closing; late answers; the quick
report when a wave closes."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from pypdf import PdfReader

from kartlegg.accounts.models import AuditEvent
from kartlegg.pulse import services, tasks
from kartlegg.pulse.models import PulseSeries, QuickReport, ReportState, SeriesStatus, Wave, WaveState
from kartlegg.responses.models import Answer, ReminderLog, Response, ResponseStatus
from kartlegg.surveys.models import QuestionnaireVersion
from kartlegg.surveys.services import import_questionnaire
from tests.factories import make_analyst, make_respondent

pytestmark = pytest.mark.django_db
PULSE = Path(__file__).parents[1] / "questionnaires" / "pulse-2020.yaml"
UNITS = ["4601", "4602", "4611", "4612", "4613", "4614", "4615"]  # Vestland 2020
FIRST = dt.date(2020, 3, 16)


def pulse_version() -> QuestionnaireVersion:
    found = QuestionnaireVersion.objects.filter(survey__code="puls-korona").first()
    return found or import_questionnaire(PULSE)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def start(analyst: Any = None, **extra: Any) -> PulseSeries:
    options: dict[str, Any] = {"name": "Korona-puls", "first_date": FIRST, "end_date": FIRST + dt.timedelta(days=56),
                               "scope": "list", "unit_codes": UNITS}  # fmt: skip
    options.update(extra)
    return services.start_series(pulse_version(), user=analyst or make_analyst(), **options)


def answer(wave: Wave, codes: list[str], value: str, when: dt.datetime) -> None:
    for response in Response.objects.filter(round=wave.round, unit__code__in=codes):
        Answer.objects.create(response=response, variable="P_henvisninger", value_text=value)
        Answer.objects.create(response=response, variable="P_omdisponert", value_text="true")
        response.status, response.submitted_at = ResponseStatus.SUBMITTED, when
        response.save()


def test_the_clock_moves_across_several_intervals(django_capture_on_commit_callbacks: Any) -> None:
    make_respondent("4601", email="kontakt@bergen.example.invalid")
    make_respondent("4615", email="post@bremanger.example.invalid")  # never answers here
    series = start()
    assert series.slot_count() == 5
    day, opened, closed = FIRST - dt.timedelta(days=2), [], []
    while day <= FIRST + dt.timedelta(days=60):
        for hour in (9, 18):
            with django_capture_on_commit_callbacks(execute=True):
                report = tasks.run_and_queue(at(day, hour))
            opened += report.opened
            closed += report.closed
            if report.opened:
                wave = Wave.objects.get(pk=report.opened[0])
                answer(wave, UNITS[: 3 + wave.number % 3], "okt" if wave.number % 2 else "uendret", at(day, 10))
        day += dt.timedelta(days=1)
    waves = list(Wave.objects.filter(series=series).order_by("slot"))
    assert [w.number for w in waves] == [1, 2, 3, 4, 5] and len(set(opened)) == 5 and sorted(closed) == sorted(opened)
    planned = [FIRST + dt.timedelta(days=14 * i) for i in range(5)]
    assert [timezone.localtime(w.opens_at).date() for w in waves] == planned
    assert all(w.state == WaveState.CLOSED for w in waves)
    assert all(w.round is not None and w.round.responses.count() == len(UNITS) for w in waves)
    # one invitation per wave to the known address, in the series' language
    assert sum(1 for m in mail.outbox if "Invitasjon" in m.subject) == 10
    # one reminder per wave on its last day, only to units that had not answered
    assert all(w.reminded_at and timezone.localtime(w.reminded_at).date() < timezone.localtime(w.closes_at).date()
               for w in waves)  # fmt: skip
    reminded = ReminderLog.objects.filter(round__pulse_wave__series=series, kind="pulse")
    assert sorted(reminded.values_list("unit__code", flat=True)) == ["4615"] * 5
    reports = QuickReport.objects.filter(wave__series=series)
    assert reports.count() == 5 and all(r.state == ReportState.DRAFT and r.pdf for r in reports)
    last = reports.get(wave=waves[-1])
    assert "svarte på måling 5" in last.html and last.pdf[:4] == b"%PDF"
    assert 1 <= len(PdfReader(io.BytesIO(bytes(last.pdf))).pages) <= 3
    assert PulseSeries.objects.get(pk=series.pk).status == SeriesStatus.FINISHED
    # Running again at any time changes nothing.
    assert not services.run_schedule(at(FIRST + dt.timedelta(days=30))).changed


def test_catch_up_after_missed_days_never_opens_a_wave_twice() -> None:
    series = start()
    services.run_schedule(at(FIRST, 9))
    # The schedule does not run for 30 days: wave 1 closed long ago, slot 1 (30.03) passed, slot 2 (13.04) is open now.
    report = services.run_schedule(at(FIRST + dt.timedelta(days=29), 9))
    waves = {w.slot: w for w in Wave.objects.filter(series=series)}
    assert waves[0].state == WaveState.CLOSED and waves[1].state == WaveState.SKIPPED
    assert waves[1].skip_reason == "missed" and waves[1].round is None
    assert waves[2].state == WaveState.OPEN and waves[2].number == 2
    assert report.opened == [waves[2].pk] and report.skipped == [waves[1].pk]
    again = services.run_schedule(at(FIRST + dt.timedelta(days=29), 10))
    assert again.opened == [] and Wave.objects.filter(series=series).count() == 3


def test_pause_resume_extend_and_stop_are_audited() -> None:
    analyst = make_analyst()
    series = start(analyst)
    services.run_schedule(at(FIRST, 9))
    series = services.change_series(series, "pause", analyst)
    services.run_schedule(at(FIRST + dt.timedelta(days=14), 9))
    skipped = Wave.objects.get(series=series, slot=1)
    assert skipped.state == WaveState.SKIPPED and skipped.skip_reason == "paused"
    with pytest.raises(services.PulseError, match="Bare en aktiv serie"):
        services.change_series(series, "pause", analyst)
    series = services.change_series(series, "resume", analyst)
    services.run_schedule(at(FIRST + dt.timedelta(days=28), 9))
    assert Wave.objects.get(series=series, slot=2).number == 2
    with pytest.raises(services.PulseError, match="etter"):
        services.change_series(series, "extend", analyst, end_date=series.end_date)
    series = services.change_series(series, "extend", analyst, end_date=series.end_date + dt.timedelta(days=28))
    assert series.slot_count() == 7
    series = services.change_series(series, "stop", analyst)
    services.run_schedule(at(FIRST + dt.timedelta(days=60), 9))
    assert not Wave.objects.filter(series=series, slot__gte=3).exclude(state=WaveState.SKIPPED).exists()
    actions = set(AuditEvent.objects.filter(object_id=str(series.pk)).values_list("action", flat=True))
    assert {"pulse.started", "pulse.pause", "pulse.resume", "pulse.extend", "pulse.stop"} <= actions


def test_late_answers_refused_or_accepted_and_marked() -> None:
    refused = start(name="Avvis")
    accepted = start(name="Ta imot", late_answers="accept")
    services.run_schedule(at(FIRST, 9))
    services.run_schedule(at(FIRST + dt.timedelta(days=4), 9))
    wave_r = Wave.objects.get(series=refused, slot=0)
    wave_a = Wave.objects.get(series=accepted, slot=0)
    late = at(FIRST + dt.timedelta(days=5))
    assert wave_r.state == WaveState.CLOSED and not wave_r.round.is_open(late)  # type: ignore[union-attr]
    assert wave_a.round.is_open(late)  # type: ignore[union-attr]
    answer(wave_a, ["4601"], "okt", late)
    assert services.late_count(wave_a) == 1
    counts = services.wave_counts([wave_a])
    assert counts[0].late == 1 and counts[0].submitted == 1


def test_bad_series_input_is_refused_naming_the_field() -> None:
    analyst = make_analyst()
    cases = [
        ({"end_date": FIRST - dt.timedelta(days=1)}, "end_date"),
        ({"interval_days": 0}, "interval_days"),
        ({"open_days": 20}, "open_days"),
        ({"unit_codes": ["9999"]}, "units"),
        ({"scope": "county", "county_code": "99"}, "county"),
        ({"language": "de"}, "language"),
        ({"name": "  "}, "name"),
    ]
    for extra, field in cases:
        with pytest.raises(services.PulseError) as caught:
            start(analyst, **extra)
        assert caught.value.field == field
    respondent = make_respondent("4601")
    with pytest.raises(PermissionDenied):
        services.start_series(pulse_version(), name="x", first_date=FIRST, end_date=FIRST, user=respondent)
    assert not PulseSeries.objects.exists()


def test_the_command_runs_the_schedule_and_refuses_a_bad_time() -> None:
    start()
    call_command("run_pulse_schedule", "--now", "2020-03-16T09:00")
    assert Wave.objects.filter(state=WaveState.OPEN).count() == 1
    call_command("run_pulse_schedule", "--now", "2020-03-16T10:00")
    assert Wave.objects.count() == 1
    with pytest.raises(CommandError, match="--now"):
        call_command("run_pulse_schedule", "--now", "i morgen")
