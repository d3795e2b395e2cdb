"""/healthz and the worker's heartbeat: the database and the worker are reported; a worker that stopped beating
hands its unfinished tasks back, with their jobs queued again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kartlegg.jobs.models import Job, JobStatus
from kartlegg.ops import worker
from kartlegg.ops.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_worker(client: Client) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["worker"]["ok"] is False  # no worker has beaten yet
    # Monitoring asks for the worker too: 503 until one beats.
    assert client.get("/healthz?worker=1").status_code == 503
    worker.beat("w1", timezone.now())
    answer = client.get("/healthz?worker=1")
    assert answer.status_code == 200
    assert answer.json()["worker"]["alive"] == 1
    assert answer["Cache-Control"].startswith("max-age=0")
    assert client.post("/healthz").status_code == 405


def test_a_stale_heartbeat_is_not_alive() -> None:
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    WorkerHeartbeat.objects.create(worker_id="old", hostname="h", pid=1, started_at=long_ago, last_seen=long_ago)
    assert worker.worker_status()["ok"] is False
    assert worker.worker_status()["last_seen_seconds"] >= 300


def test_tasks_of_a_dead_worker_are_put_back_and_their_jobs_queued() -> None:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    long_ago = timezone.now() - dt.timedelta(minutes=5)
    WorkerHeartbeat.objects.create(worker_id="dead", hostname="h", pid=1, started_at=long_ago, last_seen=long_ago)
    worker.beat("alive", timezone.now())

    def task(worker_id: str) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="tests.jobs_sample.sample",
            backend_name="default",
            run_after=timezone.now(),
            worker_ids=[worker_id],
            started_at=long_ago,
        )

    orphan, busy = task("dead"), task("alive")
    job = Job.objects.create(name="x", label="x", status=JobStatus.RUNNING, task_id=str(orphan.id))
    assert worker.recover_abandoned() == [str(orphan.id)]
    orphan.refresh_from_db()
    busy.refresh_from_db()
    job.refresh_from_db()
    assert orphan.status == TaskResultStatus.READY
    assert busy.status == TaskResultStatus.RUNNING  # a live worker's task is left alone
    assert job.status == JobStatus.QUEUED
    assert worker.recover_abandoned() == []  # nothing twice
