"""Two real database connections (threads): `lock_round` waits for a save in flight and then stores what that save
wrote, and the saves of one round for two units do not wait for each other.

A save takes its response FOR UPDATE and its round FOR SHARE (responses.services.access); lock_round takes the
round FOR UPDATE (quality.services.versions). On PostgreSQL that makes lock_round wait for every save in flight
while saves of different units run side by side. SQLite has one writer at a time (transactions begin IMMEDIATE):
lock_round waits for the save as on PostgreSQL, and a second save waits too; that is SQLite's documented
behaviour, asserted as such. On SQLite the threads run on a file copy of the test database, because the test
database is an in-memory shared cache whose table locks fail at once instead of waiting.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections, transaction

from kartlegg.geography.models import ReportingUnit
from kartlegg.quality import services
from kartlegg.quality.services.versions import snapshot_texts
from kartlegg.responses import services as responses
from kartlegg.responses.models import Answer
from tests.factories.quality import TYPICAL, qa_round, write

from .factories import make_analyst

BERGEN, STAVANGER = "4601", "1103"
CELL = "B_arsverk.oppfolging.psykolog"
WAIT = 1.0  # seconds a waiting thread is watched before it is let go


class Worker(threading.Thread):
    """Runs `job` on its own database connection; keeps its result or its exception and when it ended."""

    def __init__(self, job: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.job, self.result, self.error, self.ended = job, None, None, 0.0

    def run(self) -> None:
        try:
            self.result = self.job()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc
        finally:
            self.ended = time.monotonic()
            connections.close_all()

    def outcome(self, timeout: float = 30) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "the thread never finished"
        if self.error is not None:
            raise self.error
        return self.result


def in_thread(job: Callable[[], Any]) -> Any:
    """`job` on a connection of its own (on SQLite: the file copy the threads share)."""
    worker = Worker(job)
    worker.start()
    return worker.outcome()


@pytest.fixture
def threads_db(transactional_db: None, tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Call the yielded function after the set-up: from then on new threads open connections of their own to the
    same data (on SQLite a file copy, WAL, with the project's busy timeout and IMMEDIATE transactions)."""
    settings_dict = connections.settings["default"]
    name = settings_dict["NAME"]
    # A transactional test ends by emptying the database (pytest-django runs such tests after the others); the
    # reference data the session loaded is gone after the first, so it is loaded again when missing.
    if not ReportingUnit.objects.exists():
        call_command("load_reference", "--dir", str(django_settings.KARTLEGG_REFERENCE_DIR), "--quiet")

    def share() -> None:
        if connection.vendor == "sqlite":
            target = tmp_path / "threads.sqlite3"
            with sqlite3.connect(target) as copy:
                connection.ensure_connection()
                connection.connection.backup(copy)
            settings_dict["NAME"] = str(target)

    yield share
    settings_dict["NAME"] = name


def _round() -> tuple[Any, Any]:
    analyst = make_analyst()
    round_obj = qa_round(2024, analyst=analyst)
    write(round_obj, BERGEN, {**TYPICAL, CELL: 50})
    write(round_obj, STAVANGER, TYPICAL)
    return analyst, round_obj


def _held_save(analyst: Any, round_id: int, unit: str, value: str, saved: threading.Event, release: threading.Event):  # type: ignore[no-untyped-def]
    """A save whose transaction stays open (its locks held) until `release`: a save in flight."""

    def job() -> Any:
        with transaction.atomic():
            _, result = responses.save_for_user(analyst, round_id, unit, {CELL: value})
            assert result.ok, result.errors
            saved.set()
            assert release.wait(30)
            return result

    return job


@pytest.mark.django_db(transaction=True)
def test_lock_round_waits_for_a_save_in_flight_and_stores_its_value(threads_db: Callable[[], None]) -> None:
    analyst, round_obj = _round()
    threads_db()
    saved, release = threading.Event(), threading.Event()
    save = Worker(_held_save(analyst, round_obj.pk, BERGEN, "77", saved, release))
    save.start()
    assert saved.wait(30), "the save never got its lock"
    lock = Worker(lambda: services.lock_round(round_obj, analyst))
    lock.start()
    lock.join(WAIT)
    assert lock.is_alive(), "lock_round did not wait for the save in flight"
    released = time.monotonic()
    release.set()
    assert save.outcome().ok
    version = lock.outcome()
    assert lock.ended >= released and save.ended <= lock.ended
    # The version holds the value the save in flight wrote, not the one before it.
    texts = in_thread(lambda: snapshot_texts(version))
    assert texts[BERGEN][CELL] == "77"
    assert in_thread(lambda: services.verify_version(version))


@pytest.mark.django_db(transaction=True)
def test_a_save_after_the_lock_is_refused(threads_db: Callable[[], None]) -> None:
    analyst, round_obj = _round()
    threads_db()
    in_thread(lambda: services.lock_round(round_obj, analyst))
    late = Worker(lambda: responses.save_for_user(analyst, round_obj.pk, STAVANGER, {CELL: "3"}))
    late.start()
    with pytest.raises(responses.NotWritable):
        late.outcome()
    stored = in_thread(lambda: Answer.objects.get(response__unit__code=STAVANGER, variable=CELL).value_text)
    assert stored != "3"


@pytest.mark.django_db(transaction=True)
def test_saves_of_one_round_for_two_units_do_not_wait_for_each_other(threads_db: Callable[[], None]) -> None:
    analyst, round_obj = _round()
    threads_db()
    saved, release = threading.Event(), threading.Event()
    first = Worker(_held_save(analyst, round_obj.pk, BERGEN, "60", saved, release))
    first.start()
    assert saved.wait(30)
    second = Worker(lambda: responses.save_for_user(analyst, round_obj.pk, STAVANGER, {CELL: "4"})[1])
    started = time.monotonic()
    second.start()
    if connection.vendor == "postgresql":
        # The other unit's save commits while the first still holds its locks (both hold the round FOR SHARE).
        assert second.outcome(timeout=WAIT * 10).ok
        assert second.ended - started < WAIT and first.is_alive()
    else:
        # SQLite: one writer at a time, so the second save waits for the first's commit, then succeeds.
        second.join(WAIT)
        assert second.is_alive(), "SQLite let two writers in at once"
    release.set()
    assert first.outcome().ok and second.outcome().ok
    stored = in_thread(
        lambda: dict(
            Answer.objects.filter(response__round=round_obj, variable=CELL).values_list(
                "response__unit__code", "value_text"
            )
        )
    )
    assert stored == {BERGEN: "60", STAVANGER: "4"}
