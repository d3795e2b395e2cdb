"""`manage.py run_worker`: django-tasks' database worker with a heartbeat (kartlegg.ops.worker).

Takes db_worker's options (--queue-name, --interval, --batch, --max-tasks, --worker-id ...). It never reloads,
recovers tasks left RUNNING by a worker that died, and beats every KARTLEGG_WORKER_HEARTBEAT_SECONDS so that
/healthz sees it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from kartlegg.lib.checks import refuse_insecure_start
from kartlegg.ops import worker


class Command(DbWorkerCommand):
    help = "Run background jobs (db_worker) with a heartbeat, and recover tasks of workers that died."

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_insecure_start()
        options["reload"] = False
        worker.beat(options["worker_id"], timezone.now())
        worker.recover_abandoned()
        heartbeat = worker.Heartbeat(options["worker_id"])
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.halt.set()
            heartbeat.join(timeout=10)
