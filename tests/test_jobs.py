"""Background jobs: progress, failure and running again, coalescing, the analysts' page, and one run through the
real database backend and its worker (`db_worker --batch`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kartlegg.jobs import services as jobs
from kartlegg.jobs.models import Job, JobStatus

from .factories import jobs as jobs_sample
from .factories import make_analyst, make_respondent

pytestmark = pytest.mark.django_db


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_job_runs_reports_progress_and_keeps_its_result(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(jobs_sample.count_to, to=3, detail="tre")
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent) == (JobStatus.DONE, 3, 3, 100)
    assert job.result == {"message": "talte til 3", "to": 3}
    assert job.message == "talte til 3"
    assert job.started_at is not None and job.finished_at is not None and job.task_id


def test_a_job_is_queued_only_when_the_transaction_commits(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.start(jobs_sample.count_to, to=2)
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED  # not run: the request's transaction has not committed


def test_a_failed_job_keeps_its_error_and_runs_again_from_the_page(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(jobs_sample.count_to, to=5, fail_at=3)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("ValueError: stoppet ved 3")
    assert (job.done, job.total) == (2, 5)

    analyst = _login(make_analyst())
    page = analyst.get(reverse("jobs:index"), {"status": "failed"})
    assert page.status_code == 200
    assert "stoppet ved 3" in page.content.decode() and "Kjør igjen" in page.content.decode()
    assert analyst.get(reverse("jobs:rerun", args=[job.pk])).status_code == 405  # only POST
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(reverse("jobs:rerun", args=[job.pk]))
    again = Job.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"].endswith(f"?oppgave={again.pk}")
    assert (again.rerun_of, again.arguments, again.status) == (job, {"to": 5, "fail_at": 3}, JobStatus.FAILED)


def test_running_again_needs_a_csrf_token_and_an_analyst(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(jobs_sample.count_to, to=1)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_analyst())
    assert strict.post(reverse("jobs:rerun", args=[job.pk])).status_code == 403
    respondent = _login(make_respondent("4601"))
    assert respondent.post(reverse("jobs:rerun", args=[job.pk])).status_code == 403
    assert respondent.get(reverse("jobs:index")).status_code == 403
    assert respondent.get(reverse("jobs:progress", args=[job.pk])).status_code == 404  # not theirs
    assert Job.objects.count() == 1


def test_a_queued_job_cannot_run_again_yet() -> None:
    job = jobs.start(jobs_sample.count_to, to=1)  # no commit in this test: stays queued
    with pytest.raises(jobs.JobError, match="ikke ferdig"):
        jobs.rerun(job, make_analyst())


def test_the_progress_bar_polls_until_the_job_is_finished(django_capture_on_commit_callbacks: Any) -> None:
    analyst = make_analyst()
    client = _login(analyst)
    job = jobs.start(jobs_sample.count_to, user=analyst, url="/oppgaver/", to=4)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=1, total=4)
    partial = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in partial and 'value="1"' in partial and 'max="4"' in partial
    assert "<script" not in partial and "style=" not in partial
    page = client.get(jobs.with_job("/oppgaver/", job)).content.decode()
    assert f'id="job-{job.pk}"' in page  # the page that names the job shows its bar
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, message="ferdig talt")
    done = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in done and "ferdig talt" in done


def test_a_job_runs_once_even_if_it_is_enqueued_twice(django_capture_on_commit_callbacks: Any) -> None:
    jobs_sample.RUNS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(jobs_sample.count_to, to=2)
    jobs_sample.count_to.enqueue(job.pk)  # a duplicate delivery: the job is no longer queued
    assert jobs_sample.RUNS == [{"to": 2}]


def test_jobs_with_a_key_coalesce_while_queued() -> None:
    first = jobs.start(jobs_sample.count_to, key="telling", to=1)
    second = jobs.start(jobs_sample.count_to, key="telling", merge=lambda old, new: {"to": old["to"] + new["to"]}, to=2)
    assert second.pk == first.pk
    first.refresh_from_db()
    assert first.arguments == {"to": 3}
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING)
    third = jobs.start(jobs_sample.count_to, key="telling", to=1)
    assert third.pk != first.pk  # a running job is not widened; the change gets a job of its own


def test_starting_something_that_is_not_a_job_is_refused() -> None:
    from django_tasks import task

    with pytest.raises(jobs.JobError, match="ikke en bakgrunnsoppgave"):
        jobs.start(task(_plain))


def _plain() -> None:
    return None


def test_the_database_backend_and_its_worker_run_a_job(
    settings: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(jobs_sample.count_to, to=3)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED  # enqueued in the database, waiting for a worker
    stored = DBTaskResult.objects.get(pk=job.task_id)
    assert stored.status == "READY" and stored.task_path == "tests.factories.jobs.count_to"
    jobs_sample.run_worker(monkeypatch)
    job.refresh_from_db()
    stored.refresh_from_db()
    assert (job.status, job.done, job.result) == (JobStatus.DONE, 3, {"message": "talte til 3", "to": 3})
    assert stored.status == "SUCCESSFUL"


def test_progress_inside_a_long_transaction_reaches_the_page_through_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import transaction

    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL", 0)  # every step is written

    job = jobs.start(jobs_sample.count_to, to=10)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    with transaction.atomic():  # the job's own transaction (a computation writing all its rows at once)
        progress = jobs.Progress(job.pk)
        progress.start(10)
        progress.set(4, message="fire")
    Job.objects.filter(pk=job.pk).update(done=0)  # what another connection sees before that transaction commits
    job.refresh_from_db()
    assert (jobs.live(job).done, job.total, job.message) == (4, 10, "fire")
    finished = Job(pk=job.pk, status=JobStatus.DONE, done=10, total=10)
    assert jobs.live(finished).done == 10  # a finished job is what its row says


def test_finished_jobs_older_than_the_setting_are_pruned_and_the_rest_kept(settings: Any) -> None:
    import datetime as dt

    from django.core.management import CommandError, call_command
    from django.utils import timezone

    from kartlegg.ops import worker

    settings.KARTLEGG_JOBS_KEEP_DAYS = 30
    now = timezone.now()
    old, recent = now - dt.timedelta(days=31), now - dt.timedelta(days=29)

    def make(status: str, finished: Any) -> Job:
        return Job.objects.create(name="x", label="x", status=status, finished_at=finished, created_at=old)

    gone = [make(JobStatus.DONE, old), make(JobStatus.FAILED, old)]
    kept = [make(JobStatus.DONE, recent), make(JobStatus.QUEUED, None), make(JobStatus.RUNNING, None)]
    assert worker.prune_jobs() == 2
    assert not Job.objects.filter(pk__in=[j.pk for j in gone]).exists()
    assert set(Job.objects.values_list("pk", flat=True)) == {j.pk for j in kept}
    assert jobs.prune(days=0) == 1  # the recent finished one; queued and running stay whatever their age
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.QUEUED, JobStatus.RUNNING}
    with pytest.raises(CommandError, match="--days"):
        call_command("prune_jobs", "--days", "-1")
