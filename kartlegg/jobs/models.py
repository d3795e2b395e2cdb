"""A background job as the analysts see it: what runs, for whom, how far it has come, and how it ended.

The task queue itself is django-tasks with its database backend (django_tasks_db.DBTaskResult); a Job is this
project's own record beside it, because it must show progress (done of total), carry a key that coalesces repeated
requests into one pending job, and outlive a test backend that keeps no results.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("I kø")
    RUNNING = "running", _("Kjører")
    DONE = "done", _("Ferdig")
    FAILED = "failed", _("Feilet")


FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class Job(models.Model):
    name = models.CharField(_("oppgave"), max_length=200)  # the task's module path (a django-tasks Task)
    label = models.CharField(_("beskrivelse"), max_length=200)  # the task's bokmål label, translated when shown
    detail = models.CharField(max_length=200, blank=True)  # what it works on ("Årlig kartlegging 2024")
    # Jobs with the same key coalesce while one is queued (jobs.services.start); "" never coalesces.
    key = models.CharField(max_length=200, blank=True, db_index=True)
    arguments = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # the django-tasks result id
    url = models.CharField(max_length=500, blank=True)  # the page that started it
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    run_after = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "key"], name="jobs_status_key")]
        verbose_name = _("bakgrunnsoppgave")
        verbose_name_plural = _("bakgrunnsoppgaver")

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display()})"

    @property
    def label_display(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.label)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, round(100 * self.done / self.total))
