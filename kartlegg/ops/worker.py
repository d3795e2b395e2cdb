"""The task worker's heartbeat and the recovery of tasks whose worker died.

django-tasks' database worker (db_worker) claims a task by marking it RUNNING with its worker id; if the process is
killed (SIGKILL, a crashed machine) the task stays RUNNING for ever. `manage.py run_worker` runs the same worker with a
heartbeat thread, prunes finished jobs older than KARTLEGG_JOBS_KEEP_DAYS (on start and every hour), and on
start and every minute puts back to READY each running task whose worker's heartbeat has
stopped, with its kartlegg Job back to QUEUED, so that another worker runs it again. Jobs are written to be safe to
run twice (each replaces what it computes), so a task cut off half-way is simply done again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger("kartlegg.ops")


def beat_seconds() -> float:
    return float(getattr(settings, "KARTLEGG_WORKER_HEARTBEAT_SECONDS", 5))


def stale_after() -> dt.timedelta:
    """A worker not heard from for this long is taken as dead (default: six beats)."""
    return dt.timedelta(seconds=6 * beat_seconds())


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{os.urandom(3).hex()}"


def beat(worker_id: str, started_at: dt.datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": now,
            "stopped_at": None,
        },
    )


def stopped(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())


def worker_status(now: dt.datetime | None = None) -> dict[str, Any]:
    """For /healthz: how many workers beat recently, and how long ago the newest beat was."""
    now = now or timezone.now()
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=now - stale_after(), stopped_at__isnull=True)
    newest = WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    return {
        "ok": alive.exists(),
        "alive": alive.count(),
        "last_seen_seconds": None if newest is None else round((now - newest).total_seconds(), 1),
    }


def recover_abandoned(now: dt.datetime | None = None) -> list[str]:
    """Put back the running tasks whose worker has stopped beating (or stopped without finishing them). Returns
    their ids. Tasks of a worker without any heartbeat row (a plain db_worker) are left alone."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from kartlegg.jobs.models import Job, JobStatus

    now = now or timezone.now()
    dead = set(
        WorkerHeartbeat.objects.filter(last_seen__lt=now - stale_after()).values_list("worker_id", flat=True)
    ) | set(WorkerHeartbeat.objects.filter(stopped_at__isnull=False).values_list("worker_id", flat=True))
    if not dead:
        return []
    recovered: list[str] = []
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(status=TaskResultStatus.RUNNING)
        for task in running:
            if task.worker_ids and task.worker_ids[-1] in dead:
                task.status = TaskResultStatus.READY
                task.started_at = None
                task.save(update_fields=["status", "started_at"])
                recovered.append(str(task.id))
        if recovered:
            Job.objects.filter(task_id__in=recovered, status=JobStatus.RUNNING).update(
                status=JobStatus.QUEUED, started_at=None, message="Startet på nytt etter at arbeideren stoppet."
            )
    if recovered:
        logger.warning("Put back %d task(s) abandoned by a stopped worker: %s", len(recovered), ", ".join(recovered))
    return recovered


PRUNE_EVERY = 720  # beats between prunings of old finished jobs (an hour at the default 5 s)


def prune_jobs() -> int:
    """Delete finished jobs older than KARTLEGG_JOBS_KEEP_DAYS (jobs.services.prune); logged, never raised."""
    from kartlegg.jobs import services as jobs

    count = jobs.prune()
    if count:
        logger.info("Pruned %d finished job(s) older than %d days", count, jobs.keep_days())
    return count


class Heartbeat(threading.Thread):
    """Touches the worker's row every beat_seconds() from its own database connection; every tenth beat it also
    recovers abandoned tasks. A database that is down is retried at the next beat."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.halt = threading.Event()

    def run(self) -> None:
        count = 0
        while not self.halt.is_set():
            try:
                close_old_connections()
                beat(self.worker_id, self.started_at)
                if count % 10 == 0:
                    recover_abandoned()
                if count % PRUNE_EVERY == 0:
                    prune_jobs()
            except Exception:  # noqa: BLE001 - a database restart must not end the heartbeat
                logger.warning("Heartbeat failed; retrying", exc_info=True)
                connection.close()
            count += 1
            self.halt.wait(beat_seconds())
        try:
            stopped(self.worker_id)
        finally:
            connection.close()
