"""The pulse schedule and the quick reports as background jobs (kartlegg.jobs).

The schedule job brings every series up to date (services.run_schedule), queues the quick report of every wave it
closed, and, on a backend that can defer (the database worker), queues itself again for the next moment something
is due (a wave opening, its reminder, its closing). `manage.py run_pulse_schedule` does the same from cron; both
may run at once, since the schedule is idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from kartlegg.jobs import services as jobs
from kartlegg.jobs.models import Job, JobStatus

from . import services
from .models import QuickReport, ReportState, Wave

REPORT_KEY = "pulse.report:"


@jobs.job(gettext_noop("Pulsplanen"))
def run_schedule_job(progress: jobs.Progress) -> dict[str, Any]:
    progress.start(1)
    report = run_and_queue()
    return summary(report)


@jobs.job(gettext_noop("Bygging av hurtigrapporten"))
def build_quick_report_job(progress: jobs.Progress, wave_id: int) -> dict[str, Any]:
    wave = Wave.objects.select_related("series__version", "round").get(pk=wave_id)
    progress.start(4)
    try:
        stored = services.build_quick_report(wave, step=lambda what: progress.advance(message=what))
    except Exception as exc:
        QuickReport.objects.filter(wave=wave).update(state=ReportState.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    return {"message": f"{wave}: {stored.get_state_display()}", "report": stored.pk}


def summary(report: services.ScheduleReport) -> dict[str, Any]:
    return {
        "message": (
            f"Åpnet {len(report.opened)}, stengt {len(report.closed)}, hoppet over {len(report.skipped)}, "
            f"påminnet {len(report.reminded)}."
        ),
        "opened": report.opened,
        "closed": report.closed,
        "skipped": report.skipped,
        "reminded": report.reminded,
        "problems": report.problems,
    }


def run_and_queue(now: dt.datetime | None = None, base_url: str | None = None) -> services.ScheduleReport:
    """Run the schedule, queue the quick reports of the waves it closed, and wake the worker up for the next event."""
    report = services.run_schedule(now, base_url)
    for wave_id in report.closed:
        queue_report(wave_id)
    wake_up_later(now)
    return report


def queue_report(wave_id: int, user: Any = None) -> Job:
    """Queue (or re-queue) the build of a wave's quick report; a build already queued for the wave is reused."""
    stored, _created = QuickReport.objects.get_or_create(wave_id=wave_id)
    if stored.state == ReportState.FAILED:
        QuickReport.objects.filter(pk=stored.pk).update(state=ReportState.QUEUED, error="")
    wave = Wave.objects.select_related("series").get(pk=wave_id)
    return jobs.start(
        build_quick_report_job,
        user=user,
        key=f"{REPORT_KEY}{wave_id}",
        detail=str(wave),
        url=reverse("pulse:series", args=[wave.series_id]),
        wave_id=wave_id,
    )


def wake_up_later(now: dt.datetime | None = None) -> Job | None:
    """Queue the schedule job for the next event, unless the backend cannot defer (the immediate backend of the
    tests would run it at once, again and again) or a run at or before that moment is already queued."""
    if not run_schedule_job.get_backend().supports_defer:
        return None
    now = now or timezone.now()
    at = services.next_event(now)
    if at is None:
        return None
    queued = Job.objects.filter(name=run_schedule_job.module_path, status=JobStatus.QUEUED)
    if queued.filter(run_after__lte=at).exists() or queued.filter(run_after__isnull=True).exists():
        return None
    return jobs.start(run_schedule_job, delay=max(1.0, (at - now).total_seconds() + 1))


def kick(user: Any = None) -> Job:
    """Run the schedule now (after an analyst starts or changes a series)."""
    return jobs.start(run_schedule_job, user=user, key="pulse.schedule")
