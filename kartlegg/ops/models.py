"""What the running processes tell about themselves."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per task worker (`manage.py run_worker`), touched every few seconds while it lives. /healthz reads it,
    and a starting worker uses it to tell a crashed worker's unfinished tasks from a live worker's."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"
