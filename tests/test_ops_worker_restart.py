"""The task worker outlives a database restart (issue 18.3): db_worker's loop stops on the lost connection and
run_worker starts it again, pausing longer each time; any other error still ends the worker."""

from __future__ import annotations

import pytest
from django.db.utils import InterfaceError, OperationalError

from kartlegg.ops.management.commands import run_worker


def test_the_loop_is_started_again_after_the_database_went_away(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(run_worker.time, "sleep", pauses.append)
    calls = []

    def loop() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        if len(calls) == 2:
            raise InterfaceError("connection already closed")

    assert run_worker.run_until_stopped(loop, wait=1) == 2
    assert len(calls) == 3 and pauses == [1, 2]


def test_the_pause_grows_to_a_bound_and_other_errors_end_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(run_worker.time, "sleep", pauses.append)
    calls = []

    def loop() -> None:
        calls.append(1)
        if len(calls) <= 8:
            raise OperationalError("the database system is starting up")
        raise ValueError("a bug, not the database")

    with pytest.raises(ValueError, match="a bug"):
        run_worker.run_until_stopped(loop, wait=5)
    assert pauses == [5, 10, 20, 30, 30, 30, 30, 30]
