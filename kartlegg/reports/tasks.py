"""The report build as a task (django-tasks): the analysts' report page enqueues it and polls the stored progress.
With the immediate backend (no worker configured) it runs within the request; with the database backend a worker
runs it."""

from __future__ import annotations

from django_tasks import task

from kartlegg.reports import services
from kartlegg.reports.models import BuildState
from kartlegg.reports.models import Report as StoredReport
from kartlegg.reports.sources import ReportError


def progress_writer(report_id: int) -> services.Progress:
    """A progress callback that stores the per cent and the step on the report (a cheap UPDATE, only on change)."""
    last = {"percent": -1}

    def write(percent: int, what: str) -> None:
        if percent != last["percent"] and percent < 100:  # 100: the build itself stores the finished state
            last["percent"] = percent
            StoredReport.objects.filter(pk=report_id).update(
                build_state=BuildState.RUNNING, progress=min(percent, 99), progress_text=what[:200]
            )

    return write


@task()
def build_report_task(report_id: int, data_version: str = "") -> None:
    stored = StoredReport.objects.get(pk=report_id)
    try:
        services.build_report(
            stored.year, data_version or None, stored.language, progress=progress_writer(report_id), stored=stored
        )
    except ReportError as error:
        StoredReport.objects.filter(pk=report_id).update(build_state=BuildState.FAILED, build_error=str(error))
    except Exception as error:  # noqa: BLE001 - the page must show a failed build; the worker logs the trace
        StoredReport.objects.filter(pk=report_id).update(
            build_state=BuildState.FAILED, build_error=f"Uventet feil: {type(error).__name__}"
        )
        raise
