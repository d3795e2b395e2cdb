"""Background jobs that report progress, on django-tasks (Django's tasks framework, database backend).

Define a job with the decorator; the function gets a Progress first, then its keyword arguments (JSON values):

    from kartlegg.jobs import services as jobs

    @jobs.job(gettext_noop("Bygging av rapporten"))
    def build_report(progress: jobs.Progress, report_id: int) -> dict[str, Any]:
        progress.start(total=len(parts))
        for part in parts:
            ...
            progress.advance(message=part.title)
        return {"pages": 12}  # kept as the job's result (JSON)

Start it from a view (or a service) and send the user to a page that shows the bar:

    job = jobs.start(build_report, user=request.user, detail=str(report), url=page, report_id=report.pk)
    return redirect(jobs.with_job(page, job))  # the page has {% load jobs %}{% job_progress request %}

start() enqueues after the surrounding transaction commits (a rolled-back request starts nothing). With `key`,
a job that is still queued under the same key is reused (`merge` may widen its arguments) instead of a second one:
that is how repeated requests coalesce. `delay` (seconds) holds a job back so that more requests can join it.
Jobs must be idempotent: the analysts' page can run any finished job again.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.module_loading import import_string
from django_tasks import task as django_task
from django_tasks.base import Task

from .models import FINISHED, Job, JobStatus

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress writes
JOB_PARAM = "oppgave"  # the query parameter that names the job a page shows

Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
_labels: dict[str, str] = {}


class JobError(ValueError):
    """A job that cannot be started or run again as asked; the message says why (bokmål)."""


class Progress:
    """How far a running job has come, written at most every PROGRESS_INTERVAL seconds to its Job row and to the
    "jobs" cache. The cache is what the web server sees while the job is inside a long transaction of its own (the
    statistics computation writes all its rows in one): the row's update becomes visible only at the commit."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.done = 0
        self.total = 0
        self.message = ""
        self._written = 0.0

    def start(self, total: int, message: str = "") -> None:
        self.total, self.done, self.message = max(0, int(total)), 0, message
        self._write(force=True)

    def advance(self, steps: int = 1, message: str | None = None) -> None:
        self.set(self.done + steps, message=message)

    def set(self, done: int, total: int | None = None, message: str | None = None) -> None:
        if total is not None:
            self.total = max(0, int(total))
        self.done = max(0, int(done))
        if self.total and self.done > self.total:
            self.total = self.done
        if message is not None:
            self.message = message
        self._write(force=self.total > 0 and self.done >= self.total)

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < PROGRESS_INTERVAL:
            return
        self._written = now
        Job.objects.filter(pk=self.job_id).update(done=self.done, total=self.total, message=self.message[:300])
        caches["jobs"].set(progress_key(self.job_id), [self.done, self.total, self.message[:300]], 24 * 3600)


def progress_key(job_id: int) -> str:
    return f"kartlegg-job-progress:{job_id}"


def live(job_obj: Job) -> Job:
    """The job with the newest progress of a running job (from the cache, which a long transaction cannot hide)."""
    if job_obj.status == JobStatus.RUNNING:
        found = caches["jobs"].get(progress_key(job_obj.pk))
        if found and found[0] >= job_obj.done:
            job_obj.done, job_obj.total, job_obj.message = found
    return job_obj


def job(label: str) -> Callable[[Callable[..., Any]], Task[Any, Any]]:
    """Make `func(progress, **arguments)` a task that runs as a Job. `label` is a bokmål msgid (gettext_noop)."""

    def decorate(func: Callable[..., Any]) -> Task[Any, Any]:
        @functools.wraps(func)
        def run(job_id: int) -> Any:
            return execute(job_id, func)

        # wraps() keeps the function's module and name, so the worker finds the task at the same import path.
        wrapped: Task[Any, Any] = django_task(run)
        _labels[wrapped.module_path] = label
        return wrapped

    return decorate


def start(
    task: Task[Any, Any],
    *,
    user: Any = None,
    key: str = "",
    merge: Merge | None = None,
    detail: str = "",
    url: str = "",
    delay: float = 0,
    rerun_of: Job | None = None,
    **arguments: Any,
) -> Job:
    """Queue `task` with `arguments` (JSON values) and return its Job. See the module docstring."""
    name = task.module_path
    if name not in _labels:
        raise JobError(f"{name} er ikke en bakgrunnsoppgave (mangler @jobs.job).")
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        if key:
            pending = Job.objects.select_for_update().filter(key=key, status=JobStatus.QUEUED).order_by("id").first()
            if pending is not None:
                if merge is not None:
                    merged = merge(dict(pending.arguments), dict(arguments))
                    if merged != pending.arguments:
                        pending.arguments = merged
                        pending.save(update_fields=["arguments"])
                return pending
        run_after = timezone.now() + dt.timedelta(seconds=delay) if delay > 0 else None
        created = Job.objects.create(
            name=name,
            label=_labels[name],
            detail=detail[:200],
            key=key,
            arguments=arguments,
            created_by=actor,
            url=url[:500],
            run_after=run_after,
            rerun_of=rerun_of,
        )
        transaction.on_commit(functools.partial(_enqueue, task, created.pk, run_after))
    return created


def _enqueue(task: Task[Any, Any], job_id: int, run_after: dt.datetime | None) -> None:
    try:
        if run_after is not None and task.get_backend().supports_defer:
            task = task.using(run_after=run_after)
        result = task.enqueue(job_id)
    except Exception as exc:  # noqa: BLE001 - the job shows the failure; the request that started it goes on
        logger.exception("Klarte ikke å legge oppgave %s i køen", job_id)
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        return
    Job.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def execute(job_id: int, func: Callable[..., Any]) -> Any:
    """Run a queued job once: mark it running, call the function, record the result or the error. A job that is no
    longer queued (already run, or run twice by accident) is left alone."""
    with transaction.atomic():
        found = Job.objects.select_for_update().filter(pk=job_id).first()
        if found is None or found.status != JobStatus.QUEUED:
            return None
        found.status, found.started_at = JobStatus.RUNNING, timezone.now()
        found.save(update_fields=["status", "started_at"])
        arguments = dict(found.arguments)
    progress = Progress(job_id)
    try:
        value = func(progress, **arguments)
    except Exception as exc:
        caches["jobs"].delete(progress_key(job_id))
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"[:20_000],
            finished_at=timezone.now(),
            done=progress.done,
            total=progress.total,
        )
        raise
    caches["jobs"].delete(progress_key(job_id))
    result = value if isinstance(value, Mapping) else None
    total = progress.total or 1
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.DONE,
        result=result,
        done=total,
        total=total,
        message=(str(result.get("message", "")) if result else progress.message)[:300],
        finished_at=timezone.now(),
    )
    return result


def task_for(job_obj: Job) -> Task[Any, Any]:
    if job_obj.name not in _labels:
        import_string(job_obj.name)  # importing the module registers its jobs
    if job_obj.name not in _labels:
        raise JobError(f"Oppgaven {job_obj.name} finnes ikke lenger.")
    found = import_string(job_obj.name)
    if not isinstance(found, Task):
        raise JobError(f"Oppgaven {job_obj.name} finnes ikke lenger.")
    return found


def rerun(job_obj: Job, user: Any) -> Job:
    """Run a finished job again with the same arguments (jobs are idempotent). A job of the same key that is
    already queued is reused."""
    if job_obj.status not in FINISHED:
        raise JobError("Oppgaven er ikke ferdig ennå; den kan kjøres igjen når den er ferdig eller har feilet.")
    return start(
        task_for(job_obj),
        user=user,
        key=job_obj.key,
        detail=job_obj.detail,
        url=job_obj.url,
        rerun_of=job_obj,
        **job_obj.arguments,
    )


def with_job(url: str, job_obj: Job) -> str:
    """The page address with the job named, so that the page shows its progress bar."""
    base, _sep, query = url.partition("?")
    kept = [part for part in query.split("&") if part and not part.startswith(f"{JOB_PARAM}=")]
    return f"{base}?{'&'.join([*kept, urlencode({JOB_PARAM: job_obj.pk})])}"


def pending(key_prefix: str) -> bool:
    """Whether a job whose key starts with `key_prefix` is queued or running."""
    return Job.objects.filter(key__startswith=key_prefix, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists()


def visible_to(job_obj: Job, user: Any) -> bool:
    """Analysts see every job; others only the jobs they started."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_analyst", False)) or job_obj.created_by_id == user.pk


def keep_days() -> int:
    return int(getattr(settings, "KARTLEGG_JOBS_KEEP_DAYS", 30))


def prune(days: int | None = None, now: dt.datetime | None = None) -> int:
    """Delete the finished (done or failed) jobs that finished more than `days` days ago (KARTLEGG_JOBS_KEEP_DAYS by
    default), with their finished django-tasks results. Queued and running jobs are never touched. Returns how many
    jobs went. The worker (`manage.py run_worker`) calls it on start and every hour; `manage.py prune_jobs` too."""
    days = keep_days() if days is None else days
    if days < 0:
        raise JobError(f"Antall dager å beholde må være 0 eller mer, ikke {days}.")
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    with transaction.atomic():
        count, _ = Job.objects.filter(status__in=FINISHED, finished_at__lt=cutoff).delete()
        _prune_results(cutoff)
    return count


def _prune_results(cutoff: dt.datetime) -> None:
    """The database backend's own rows of tasks that finished before `cutoff` (never a queued or running one)."""
    try:
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - another backend keeps no rows
        return
    finished = [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    DBTaskResult.objects.filter(status__in=finished, finished_at__lt=cutoff).delete()
