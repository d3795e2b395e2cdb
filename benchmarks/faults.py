"""Faults at the deadline (issue 18.3): the deadline load on gunicorn and a throwaway PostgreSQL, and while it runs

1. one gunicorn worker is killed with SIGKILL (the master starts a new one);
2. the task worker (`manage.py run_worker`) is killed with SIGKILL in the middle of the statistics computation, and
   started again;
3. the task worker is killed again in the middle of a report build, and started again;
4. PostgreSQL is restarted (`pg_ctl restart -m fast`).

The respondents behave as the form does (kartlegg/static/js/form.js): a save that fails (no answer, a 5xx) keeps its
values and is sent again after a pause until the server takes it. At the end every acknowledged save (200 with its
version) is compared with the database (values, version, one audit row per value: deadline_load.lost_writes), and
each interrupted job must have finished after the restart (tasks left RUNNING by the dead worker are put back by
the new worker, kartlegg.ops.worker.recover_abandoned, and run again; jobs are safe to run twice).

Run: .venv/bin/python benchmarks/faults.py  [--respondents 300 --seconds 100 --workers 2 --threads 4]
Bounded: the load runs --seconds, the waits for jobs are capped (--job-timeout), everything is stopped by pid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402 - the project root must be on the path first
    PYTHON,
    ROOT,
    BenchmarkError,
    Check,
    app_env,
    errors_note,
    gunicorn,
    log,
    manage,
    percentile,
    summary,
    throwaway_postgres,
)
from benchmarks.deadline_load import (  # noqa: E402
    PUT_PATH,
    Attempt,
    BenchData,
    Respondent,
    django_setup,
    http,
    lost_writes,
    prepare,
)

DEMO_YEAR = 2023  # a submitted year for the computation and the report; the deadline round is 2024
RETRY_SECONDS = 2.0  # the form waits 5 s; shorter here so a short run sees the recovery


@dataclass
class Load:
    """What the simulated respondents saw."""

    attempts: list[Attempt] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    recovered: int = 0  # saves that failed at least once and were then acknowledged
    recovery_s: list[float] = field(default_factory=list)
    unsaved: int = 0  # saves still not acknowledged when the run ended


class TaskWorker:
    """`manage.py run_worker` as a child process we can kill and start again."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env, self.log_path, self.process = env, log_path, None
        self.exits: list[int] = []

    def start(self) -> None:
        with self.log_path.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own manage.py
                [PYTHON, str(ROOT / "manage.py"), "run_worker", "--queue-name", "*", "--interval", "0.5"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def restart_postgres(pgdir: str) -> float:
    """pg_ctl restart -m fast as the postgres user; seconds it took."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not bins:
        raise BenchmarkError("Fant ikke pg_ctl under /usr/lib/postgresql.")
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - fixed command
        ["runuser", "-u", "postgres", "--", str(bins[-1]), "-D", f"{pgdir}/data", "-m", "fast", "-w", "restart",
         "-l", f"{pgdir}/server.log"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchmarkError(f"PostgreSQL startet ikke på nytt: {done.stderr.strip() or done.stdout.strip()}")
    return time.monotonic() - started


async def respondent(who: Respondent, data: BenchData, port: int, until: float, rng: random.Random, load: Load) -> None:
    path = PUT_PATH.format(round_id=data.round_id, unit_code=who.unit)
    await asyncio.sleep(rng.uniform(0, 10))
    version = None
    while version is None and time.monotonic() < until:
        try:
            status, body = await asyncio.wait_for(http("GET", port, path, who.token), timeout=30)
        except (TimeoutError, OSError):
            status, body = 0, b""
        if status == 200:
            version = json.loads(body)["version"]
        else:
            load.errors[f"GET {status or 'tilkobling'}"] += 1
            await asyncio.sleep(RETRY_SECONDS)
    while version is not None and time.monotonic() < until:
        section = rng.choice(data.sections)
        values = {code: f"{rng.uniform(0, 400):.2f}" for code in section}
        first_try, failed = time.monotonic(), False
        # As the form: the values stay until the server has them; a failure is retried after a pause.
        while True:
            attempt = Attempt(who.unit, values)
            load.attempts.append(attempt)
            payload = json.dumps({"values": {c: float(v) for c, v in values.items()}, "version": version}).encode()
            started = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(http("PUT", port, path, who.token, payload), timeout=30)
            except (TimeoutError, OSError) as exc:
                status, body = 0, b""
                load.errors[type(exc).__name__] += 1
            load.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status == 200:
                attempt.version = version = json.loads(body)["version"]
                if failed:
                    load.recovered += 1
                    load.recovery_s.append(time.monotonic() - first_try)
                break
            if status == 409:  # a conflict with itself after a lost answer: read the version, send again
                load.errors["409"] += 1
                version = json.loads(body).get("version", version)
            elif status:
                load.errors[str(status)] += 1
            failed = True
            if time.monotonic() > until + 60:
                load.unsaved += 1
                return
            await asyncio.sleep(RETRY_SECONDS)
        await asyncio.sleep(rng.uniform(5, 15))


def run_load(data: BenchData, port: int, seconds: float, load: Load) -> None:
    async def main() -> None:
        until = time.monotonic() + seconds
        rng = random.Random(18)
        tasks = [respondent(r, data, port, until, random.Random(rng.random()), load) for r in data.respondents]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 180)

    asyncio.run(main())


def wait_running(check: Any, timeout: float) -> bool:
    """Poll until check() says the job is running (True) or has finished before we saw it run (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = check()
        if state in ("running", "done", "failed"):
            return state == "running"
        time.sleep(0.05)
    return False


@dataclass
class Interrupted:
    name: str
    caught_running: bool = False
    finished: bool = False
    detail: str = ""
    seconds_after_restart: float = 0.0


def kill_mid_job(
    name: str, worker: TaskWorker, start: Any, state: Any, job_timeout: float, *, after: float = 0.5
) -> Interrupted:
    """Start a job, SIGKILL the worker while it runs, start the worker again, wait until the job is finished."""
    found = Interrupted(name)
    key = start()
    found.caught_running = wait_running(lambda: state(key), 120)
    if found.caught_running:
        time.sleep(after)
        still = state(key) == "running"
        found.caught_running = still
        worker.kill()
    log(f"  {name}: arbeideren drept {'midt i jobben' if found.caught_running else '(jobben var alt ferdig)'}")
    time.sleep(1)
    worker.start()
    restarted = time.monotonic()
    deadline = restarted + job_timeout
    while time.monotonic() < deadline:
        current = state(key)
        if current in ("done", "failed"):
            found.finished = current == "done"
            found.detail = current
            break
        time.sleep(0.5)
    else:
        found.detail = f"ikke ferdig etter {job_timeout:.0f} s"
    found.seconds_after_restart = time.monotonic() - restarted
    log(f"  {name}: {found.detail} {found.seconds_after_restart:.1f} s etter omstart")
    return found


def compute_job() -> tuple[Any, Any]:
    from django.db import close_old_connections

    from kartlegg.analytics.tasks import compute_all
    from kartlegg.jobs import services as jobs
    from kartlegg.jobs.models import Job

    def start() -> int:
        close_old_connections()
        return jobs.start(compute_all, key="analytics.compute_all").pk

    def state(pk: int) -> str:
        close_old_connections()
        status = Job.objects.filter(pk=pk).values_list("status", flat=True).first()
        return {"queued": "queued", "running": "running", "done": "done"}.get(str(status), "failed")

    return start, state


def report_job(year: int) -> tuple[Any, Any]:
    from django.db import close_old_connections

    from kartlegg.reports.models import BuildState, ReportStatus
    from kartlegg.reports.models import Report as StoredReport
    from kartlegg.reports.tasks import build_report_task

    def start() -> int:
        close_old_connections()
        stored = StoredReport.objects.create(
            year=year, language="nb", status=ReportStatus.DRAFT, build_state=BuildState.QUEUED, progress=0
        )
        build_report_task.enqueue(stored.pk)
        return int(stored.pk)

    def state(pk: int) -> str:
        close_old_connections()
        build = StoredReport.objects.filter(pk=pk).values_list("build_state", flat=True).first()
        return {
            BuildState.QUEUED: "queued",
            BuildState.RUNNING: "running",
            BuildState.DONE: "done",
        }.get(build, "failed")

    return start, state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=100, help="how long the deadline load runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--job-timeout", type=int, default=180, help="longest wait for an interrupted job")
    args = parser.parse_args()
    if not 1 <= args.respondents <= 2000 or not 40 <= args.seconds <= 1800:
        parser.error("respondenter 1–2000, sekunder 40–1800")
    try:
        with throwaway_postgres(durable=True) as pg, tempfile.TemporaryDirectory(prefix="kartlegg-faults-") as tmp:
            # A worker not heard from for six beats is dead; one-second beats let a short run see the recovery.
            env = app_env(pg["DATABASE_URL"], BENCH_TMP=tmp, KARTLEGG_WORKER_HEARTBEAT_SECONDS="1")
            django_setup(env)
            log("Migrerer, laster referansedata og lager demodata for 2023 …")
            manage(env, "migrate", "--no-input")
            manage(env, "load_reference", "--quiet")
            manage(env, "make_demo_data", "--years", str(DEMO_YEAR), "--no-progress", "--leave-open", "")
            log(f"Lager runde 2024 og {args.respondents} respondenter med API-nøkler …")
            data = prepare(args.respondents)
            from django.db import connections

            connections.close_all()
            worker = TaskWorker(env, Path(tmp) / "worker.log")
            worker.start()
            load = Load()
            results: list[Interrupted] = []
            events: list[str] = []
            try:
                with gunicorn(env, workers=args.workers, threads=args.threads) as server:
                    port = int(server.url.rsplit(":", 1)[1])
                    log(f"Frist: {args.respondents} respondenter i {args.seconds} s, med feil underveis …")
                    client = threading.Thread(target=run_load, args=(data, port, args.seconds, load), daemon=True)
                    began = time.monotonic()
                    client.start()
                    time.sleep(args.seconds * 0.15)
                    pids = children(server.process.pid)
                    if pids:
                        os.kill(pids[0], signal.SIGKILL)
                        events.append(
                            f"gunicorn-arbeider {pids[0]} drept med SIGKILL etter {time.monotonic() - began:.0f} s"
                        )
                        log("  " + events[-1])
                    start, state = compute_job()
                    # The computation of two demo years takes well under a second now (issue 11): the worker is
                    # killed as soon as the job is seen running, not half a second later.
                    results.append(
                        kill_mid_job("statistikkberegningen", worker, start, state, args.job_timeout, after=0.0)
                    )
                    start, state = report_job(DEMO_YEAR)
                    results.append(kill_mid_job("rapportbyggingen", worker, start, state, args.job_timeout))
                    remaining = args.seconds * 0.7 - (time.monotonic() - began)
                    time.sleep(max(0.0, remaining))
                    took = restart_postgres(pg["PGDIR"])
                    events.append(
                        f"PostgreSQL startet på nytt etter {time.monotonic() - began:.0f} s ({took:.1f} s nede)"
                    )
                    log("  " + events[-1])
                    connections.close_all()  # this process's own connection did not survive the restart either
                    # The worker must outlive the restart: one more job, not interrupted, must run to the end.
                    start, state = compute_job()
                    after = Interrupted("jobb etter PostgreSQL-omstarten", caught_running=True)
                    key, deadline = start(), time.monotonic() + args.job_timeout
                    while after.detail not in ("done", "failed") and time.monotonic() < deadline:
                        time.sleep(0.5)
                        after.detail = state(key)
                    after.finished = after.detail == "done"
                    results.append(after)
                    client.join(args.seconds + 240)
                    if client.is_alive():
                        raise BenchmarkError("Lasten ble ikke ferdig innen tidsgrensen.")
                    worker_alive = worker.alive()
                    if not worker_alive:
                        tail = (Path(tmp) / "worker.log").read_text(errors="replace")[-1500:]
                        events.append(f"Oppgavearbeideren stoppet; slutten av loggen:\n{tail}")
            finally:
                worker.stop()
            connections.close_all()
            log("Kontrollerer at hver bekreftet lagring finnes i databasen …")
            lost, audit_rows = lost_writes(data, load.attempts)
    except BenchmarkError as exc:
        print(f"\nFEILTESTEN KUNNE IKKE KJØRES: {exc}", file=sys.stderr)
        return 2
    return report(args, load, lost, audit_rows, results, events, worker_alive)


def report(
    args: argparse.Namespace,
    load: Load,
    lost: int,
    audit_rows: int,
    results: list[Interrupted],
    events: list[str],
    worker_alive: bool,
) -> int:
    acked = sum(1 for a in load.attempts if a.acked)
    errors = sum(load.errors.values())
    checks = [
        Check("Bekreftede lagringer", f"{acked}", "", None),
        Check("Bekreftede lagringer som mangler", f"{lost}", "0", lost == 0),
        Check("Feil sett av klientene (forsøk)", f"{errors}", "", None),
        Check("Lagringer som feilet og så lyktes", f"{load.recovered}", "", None),
        Check(
            "Tid til lagret etter feil, maks (s)",
            f"{max(load.recovery_s) if load.recovery_s else 0:.1f}",
            "",
            None,
        ),
        Check("Lagringer aldri bekreftet", f"{load.unsaved}", "0", load.unsaved == 0),
        Check("p99 alle forsøk (ms)", f"{percentile(load.latencies_ms, 0.99):.0f}", "", None),
    ]
    checks.append(Check("Oppgavearbeideren lever ved slutten", "ja" if worker_alive else "nei", "ja", worker_alive))
    for found in results[:2]:
        checks.append(Check(f"{found.name}: avbrutt midt i", "ja" if found.caught_running else "nei", "ja",
                            found.caught_running))  # fmt: skip
    for found in results:
        checks.append(Check(f"{found.name}: ferdig", found.detail, "done", found.finished))
    notes = [
        f"Størrelse: {args.respondents} respondenter, {args.seconds} s last, gunicorn {args.workers}×{args.threads} "
        "(gthread), én oppgavearbeider (hjerteslag hvert sekund), PostgreSQL med fsync og synkron commit.",
        "Klientene gjør som skjemaet: verdiene beholdes og sendes på nytt etter "
        f"{RETRY_SECONDS:.0f} s til serveren tar dem. Kontrollert {audit_rows} logghendelser.",
        *events,
    ]
    notes += errors_note(load.errors)
    passed = summary("faults: feil under fristen (drept gunicorn-arbeider, oppgavearbeider, PostgreSQL)", checks, notes)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
