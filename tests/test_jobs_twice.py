"""Jobs are safe to run twice (issue 18.3): a worker killed mid-job leaves the task RUNNING; another worker puts it
back (kartlegg.ops.worker.recover_abandoned, tested in test_ops_health.py) and it runs again from the start. The
statistics computation, the recompute after data change, and a job interrupted half-way and run again give exactly
what one run gives."""

from __future__ import annotations

from typing import Any

import pytest

from kartlegg.analytics import tasks as analytics_tasks
from kartlegg.analytics.services import store
from kartlegg.jobs import services as jobs
from kartlegg.jobs.models import Job, JobStatus
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db

FIELDS = ("variable", "rule", "structure", "level", "region", "year", "value", "rate", "median", "status", "n",
          "n_units", "n_imputed", "value_imputed", "source_code", "data_version")  # fmt: skip


def _figures() -> list[tuple[Any, ...]]:
    return sorted(tuple(getattr(c, f) for f in FIELDS) for c in store.cells())


def _run_again(job: Job) -> Job:
    """What recover_abandoned does for a job whose worker died, then the worker running it again."""
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, started_at=None)
    jobs.task_for(job).call(job.pk)
    job.refresh_from_db()
    return job


def test_the_computation_run_twice_gives_the_same_figures(django_capture_on_commit_callbacks: Any) -> None:
    SmallSurvey()
    with django_capture_on_commit_callbacks(execute=True):
        job = analytics_tasks.start_full_compute(None, "")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    once = _figures()
    assert len(once) > 100 and any(row[6] for row in once)  # figures with values were written
    job = _run_again(job)
    assert job.status == JobStatus.DONE
    assert _figures() == once


def test_a_computation_cut_off_half_way_and_run_again_gives_the_same_figures(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = SmallSurvey()
    with django_capture_on_commit_callbacks(execute=True):
        job = analytics_tasks.start_full_compute(None, "")
    once = _figures()
    # The second run dies after some variables (as a SIGKILL would, leaving the job RUNNING), then runs again.
    from kartlegg.analytics import services

    real = services.compute
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Any:
        progress = kwargs.get("progress")

        def cut(variable: Any) -> None:
            calls["n"] += 1
            if progress:
                progress(variable)
            if calls["n"] == 3:
                raise SystemExit("killed")

        return real(*args, **{**kwargs, "progress": cut})

    monkeypatch.setattr(services, "compute", dying)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    with pytest.raises(SystemExit):
        jobs.task_for(job).call(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and calls["n"] == 3  # left as a dead worker leaves it
    monkeypatch.setattr(services, "compute", real)
    job = _run_again(job)
    assert job.status == JobStatus.DONE
    assert _figures() == once
    assert survey.rounds  # the survey's rounds are still there: nothing was deleted by the cut-off run


def test_the_recompute_of_a_round_run_twice_gives_the_same_figures(django_capture_on_commit_callbacks: Any) -> None:
    survey = SmallSurvey()
    with django_capture_on_commit_callbacks(execute=True):
        analytics_tasks.start_full_compute(None, "")
        job = analytics_tasks.schedule_recompute(survey.rounds[2024], ["1505", "1507"])
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    once = _figures()
    job = _run_again(job)
    assert job.status == JobStatus.DONE
    assert _figures() == once
