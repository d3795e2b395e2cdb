"""Jobs used by tests/test_jobs.py: module-level, so that the database worker finds them by their import path."""

from __future__ import annotations

from typing import Any

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
