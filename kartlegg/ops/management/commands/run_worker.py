"""`manage.py run_worker`: django-tasks' database worker with a heartbeat (kartlegg.ops.worker).

Takes db_worker's options (--queue-name, --interval, --batch, --max-tasks, --worker-id ...). It never reloads,
recovers tasks left RUNNING by a worker that died, and beats every KARTLEGG_WORKER_HEARTBEAT_SECONDS so that
/healthz sees it. A database that goes away (a PostgreSQL restart) does not end it: db_worker's loop stops on the
error, and it is started again once the database answers (benchmarks/faults.py restarts PostgreSQL under load).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from kartlegg.lib.checks import refuse_insecure_start
from kartlegg.ops import worker

logger = logging.getLogger("kartlegg.ops")
MAX_WAIT = 30.0  # longest pause between attempts while the database is away


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
            run_until_stopped(lambda: super(Command, self).handle(*args, **options))
        finally:
            heartbeat.halt.set()
            heartbeat.join(timeout=10)


def run_until_stopped(run: Any, wait: float | None = None) -> int:
    """Call `run` (db_worker's loop) again each time it stops on a lost database connection, after a pause that
    grows up to MAX_WAIT seconds; return when it ends normally (a signal, --batch, --max-tasks). Returns how many
    times it was started again."""
    pause = wait if wait is not None else worker.beat_seconds()
    restarts = 0
    while True:
        try:
            run()
            return restarts
        except (OperationalError, InterfaceError):
            logger.warning("The database went away; the worker starts again in %.0f s", pause, exc_info=True)
            connections.close_all()
            time.sleep(pause)
            pause = min(MAX_WAIT, pause * 2)
            restarts += 1
