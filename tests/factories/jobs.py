"""Jobs for tests/test_jobs.py (module-level, so that the database worker finds them by their import path), and
the worker run in the test process."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from django.core.management import call_command

from kartlegg.jobs import services as jobs

RUNS: list[dict[str, Any]] = []


@jobs.job("Telling")
def count_to(progress: jobs.Progress, to: int, fail_at: int | None = None) -> dict[str, Any]:
    progress.start(to, "teller")
    for number in range(1, to + 1):
        if number == fail_at:
            raise ValueError(f"stoppet ved {number}")
        progress.advance(message=str(number))
    RUNS.append({"to": to})
    return {"message": f"talte til {to}", "to": to}


def run_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """`manage.py db_worker --batch` in this process: it runs what is queued and exits."""
    from django_tasks_db.management.commands import db_worker

    # The test runs inside one transaction; the worker's check for stale connections would close it (PostgreSQL).
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:  # the worker installs its own signal handlers
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
