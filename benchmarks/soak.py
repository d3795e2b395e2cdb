"""Soak (issue 18.5): mixed load on gunicorn and a throwaway PostgreSQL for --minutes (default 15):

- respondents saving 30-value sections through the API, each every 5–15 s (as benchmarks/deadline_load.py);
- readers of the statistics API (the catalogue and one variable at a time, as an analyst with a token);
- QA runs of the round (the quality job) and report builds, one after the other through the task worker.

Every few seconds it reads the resident memory (RSS, /proc) of the gunicorn master and workers and of the task
worker. Growth is measured from the end of the warm-up (the first fifth of the run, at least a minute) to the end,
each as the median of its last samples; the target is < 10 % for every process. Errors (any answer but 200 from
the API, a job that fails) must be 0, and every acknowledged save must be in the database (lost writes 0).

Run: .venv/bin/python benchmarks/soak.py  [--minutes 15 --respondents 100 --readers 5 --workers 2 --threads 4]
Bounded: the load stops after --minutes; each job is waited for at most --job-timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
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
from benchmarks.deadline_load import PUT_PATH, Attempt, BenchData, django_setup, http, lost_writes, prepare  # noqa: E402
from benchmarks.faults import DEMO_YEAR, TaskWorker, children, report_job  # noqa: E402

TARGET_GROWTH = 0.10
SAMPLE_SECONDS = 5.0


@dataclass
class Soak:
    attempts: list[Attempt] = field(default_factory=list)
    save_ms: list[float] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reads: int = 0
    jobs: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rss: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def saver(who: Any, data: BenchData, port: int, until: float, rng: random.Random, soak: Soak) -> None:
    path = PUT_PATH.format(round_id=data.round_id, unit_code=who.unit)
    await asyncio.sleep(rng.uniform(0, 15))
    status, body = await http("GET", port, path, who.token)
    if status != 200:
        soak.errors[f"GET svar {status}"] += 1
        return
    version = json.loads(body)["version"]
    while time.monotonic() < until:
        values = {code: f"{rng.uniform(0, 400):.2f}" for code in rng.choice(data.sections)}
        attempt = Attempt(who.unit, values)
        soak.attempts.append(attempt)
        payload = json.dumps({"values": {c: float(v) for c, v in values.items()}, "version": version}).encode()
        started = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(http("PUT", port, path, who.token, payload), timeout=30)
        except (TimeoutError, OSError) as exc:
            status, body = 0, b""
            soak.errors[f"PUT {type(exc).__name__}"] += 1
        soak.save_ms.append((time.perf_counter() - started) * 1000)
        if status == 200:
            attempt.version = version = json.loads(body)["version"]
        elif status:
            soak.errors[f"PUT {status}"] += 1
            if status == 409:
                version = json.loads(body).get("version", version)
        await asyncio.sleep(rng.uniform(5, 15))


async def reader(token: str, variables: list[str], port: int, until: float, rng: random.Random, soak: Soak) -> None:
    levels = ("nation", "county", "municipality", "rhf")
    while time.monotonic() < until:
        if rng.random() < 0.1:
            path = "/api/v1/statistics"
        else:
            path = (
                f"/api/v1/statistics/{rng.choice(variables)}?level={rng.choice(levels)}&years={DEMO_YEAR}&version=live"
            )
        started = time.perf_counter()
        try:
            status, _body = await asyncio.wait_for(http("GET", port, path, token), timeout=30)
        except (TimeoutError, OSError) as exc:
            status = 0
            soak.errors[f"GET {type(exc).__name__}"] += 1
        soak.read_ms.append((time.perf_counter() - started) * 1000)
        soak.reads += 1
        if status and status != 200:
            soak.errors[f"GET statistikk {status}"] += 1
        await asyncio.sleep(rng.uniform(0.5, 1.5))


def run_clients(data: BenchData, token: str, variables: list[str], port: int, seconds: float, readers: int,
                soak: Soak) -> None:  # fmt: skip
    async def main() -> None:
        until = time.monotonic() + seconds
        rng = random.Random(5)
        tasks = [saver(r, data, port, until, random.Random(rng.random()), soak) for r in data.respondents]
        tasks += [reader(token, variables, port, until, random.Random(rng.random()), soak) for _ in range(readers)]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 120)

    asyncio.run(main())


def qa_job(round_id: int) -> tuple[Any, Any]:
    from django.db import close_old_connections

    from kartlegg.jobs.models import Job
    from kartlegg.quality.tasks import start_round_checks
    from kartlegg.responses.models import Round

    def start() -> int:
        close_old_connections()
        return start_round_checks(Round.objects.get(pk=round_id), None, "").pk

    def state(pk: int) -> str:
        close_old_connections()
        status = Job.objects.filter(pk=pk).values_list("status", flat=True).first()
        return {"queued": "queued", "running": "running", "done": "done"}.get(str(status), "failed")

    return start, state


def drive_jobs(until: float, job_timeout: float, round_id: int, soak: Soak) -> None:
    """QA runs and report builds, one after the other, until the time is up (each bounded)."""
    kinds = [("kontroll", qa_job(round_id)), ("rapport", report_job(DEMO_YEAR))]
    turn = 0
    while time.monotonic() < until:
        name, (start, state) = kinds[turn % len(kinds)]
        turn += 1
        key = start()
        deadline = time.monotonic() + job_timeout
        current = state(key)
        while current not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(1)
            current = state(key)
        soak.jobs[f"{name} {current if current in ('done', 'failed') else 'tidsavbrudd'}"] += 1
        if current != "done":
            soak.errors[f"jobb {name} {current}"] += 1
        time.sleep(2)


def sample_memory(pids: dict[str, int], until: float, soak: Soak) -> None:
    began = time.monotonic()
    while time.monotonic() < until:
        for name, pid in pids.items():
            value = rss_kib(pid)
            if value is not None:
                soak.rss[name].append((time.monotonic() - began, value))
        time.sleep(SAMPLE_SECONDS)


def growth(samples: list[tuple[float, int]], warm: float) -> tuple[float, float, float]:
    """(RSS after warm-up, RSS at the end, growth): medians of the five samples after warm-up and the last five."""
    after = [v for t, v in samples if t >= warm]
    if len(after) < 2:
        return (0.0, 0.0, 0.0)
    first = statistics.median(after[:5])
    last = statistics.median(after[-5:])
    return (first, last, (last - first) / first if first else 0.0)


def setup_readers() -> tuple[str, list[str]]:
    from django.contrib.auth.hashers import make_password

    from kartlegg.accounts.models import Role, User
    from kartlegg.accounts.tokens import create_token
    from kartlegg.analytics import services

    analyst = User.objects.create(username="soak-analytiker", role=Role.ANALYST, password=make_password(None))
    _token, key = create_token(analyst, "soak")
    variables = list(services.catalogue().variables)[:40]
    if not variables:
        raise BenchmarkError("Katalogen har ingen statistikkvariabler.")
    return key, variables


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--respondents", type=int, default=100)
    parser.add_argument("--readers", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--job-timeout", type=int, default=300)
    args = parser.parse_args()
    if not 1 <= args.minutes <= 240 or not 1 <= args.respondents <= 2000 or not 0 <= args.readers <= 200:
        parser.error("minutter 1–240, respondenter 1–2000, lesere 0–200")
    seconds = args.minutes * 60
    warm = max(60.0, seconds / 5)
    soak = Soak()
    try:
        with throwaway_postgres(durable=True) as pg, tempfile.TemporaryDirectory(prefix="kartlegg-soak-") as tmp:
            env = app_env(pg["DATABASE_URL"], BENCH_TMP=tmp)
            django_setup(env)
            log("Migrerer, laster referansedata og lager demodata for 2023, og beregner statistikken …")
            manage(env, "migrate", "--no-input")
            manage(env, "load_reference", "--quiet")
            manage(env, "make_demo_data", "--years", str(DEMO_YEAR), "--no-progress", "--leave-open", "")
            from kartlegg.analytics import services

            services.compute()
            data = prepare(args.respondents)
            token, variables = setup_readers()
            from django.db import connections

            connections.close_all()
            worker = TaskWorker(env, Path(tmp) / "worker.log")
            worker.start()
            try:
                with gunicorn(env, workers=args.workers, threads=args.threads) as server:
                    port = int(server.url.rsplit(":", 1)[1])
                    pids = {"gunicorn-master": server.process.pid, "oppgavearbeider": worker.process.pid}  # type: ignore[union-attr]
                    for index, pid in enumerate(sorted(children(server.process.pid))):
                        pids[f"gunicorn-arbeider {index + 1}"] = pid
                    worker_pids = children(worker.process.pid)  # type: ignore[union-attr]
                    if worker_pids:  # manage.py runs in the process itself; a wrapper would show here
                        pids["oppgavearbeider (barn)"] = worker_pids[0]
                    until = time.monotonic() + seconds
                    log(f"Blandet last i {args.minutes:g} min: {args.respondents} respondenter, {args.readers} lesere, "
                        "kontroller og rapporter gjennom arbeideren …")  # fmt: skip
                    threads = [
                        threading.Thread(target=run_clients, daemon=True,
                                         args=(data, token, variables, port, seconds, args.readers, soak)),
                        threading.Thread(target=drive_jobs, args=(until, args.job_timeout, data.round_id, soak),
                                         daemon=True),
                        threading.Thread(target=sample_memory, args=(pids, until, soak), daemon=True),
                    ]  # fmt: skip
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join(seconds + args.job_timeout + 180)
                        if thread.is_alive():
                            raise BenchmarkError("En del av lasten ble ikke ferdig innen tidsgrensen.")
                    restarted = sorted(children(server.process.pid)) != sorted(
                        pid for name, pid in pids.items() if name.startswith("gunicorn-arbeider")
                    )
                    if restarted:
                        soak.errors["gunicorn-arbeider startet på nytt"] += 1
                    if not worker.alive():
                        soak.errors["oppgavearbeideren stoppet"] += 1
            finally:
                worker.stop()
            connections.close_all()
            log("Kontrollerer at hver bekreftet lagring finnes i databasen …")
            lost, audit_rows = lost_writes(data, soak.attempts)
    except BenchmarkError as exc:
        print(f"\nSOAK-TESTEN KUNNE IKKE KJØRES: {exc}", file=sys.stderr)
        return 2
    return report(args, soak, lost, audit_rows, warm)


def report(args: argparse.Namespace, soak: Soak, lost: int, audit_rows: int, warm: float) -> int:
    acked = sum(1 for a in soak.attempts if a.acked)
    errors = sum(soak.errors.values())
    checks = [
        Check("Lagringer bekreftet / sendt", f"{acked} / {len(soak.attempts)}", "", None),
        Check("Statistikklesinger", f"{soak.reads}", "", None),
        Check("Jobber", ", ".join(f"{k}: {v}" for k, v in sorted(soak.jobs.items())) or "0", "", None),
        Check(
            "Lagring p50 / p99 (ms)",
            f"{percentile(soak.save_ms, 0.5):.0f} / {percentile(soak.save_ms, 0.99):.0f}",
            "",
            None,
        ),  # fmt: skip
        Check(
            "Lesing p50 / p99 (ms)",
            f"{percentile(soak.read_ms, 0.5):.0f} / {percentile(soak.read_ms, 0.99):.0f}",
            "",
            None,
        ),  # fmt: skip
        Check("Feil", f"{errors}", "0", errors == 0),
        Check("Tapte skrivinger", f"{lost}", "0", lost == 0),
    ]
    for name, samples in sorted(soak.rss.items()):
        first, last, grew = growth(samples, warm)
        checks.append(
            Check(
                f"RSS {name} (MiB, etter oppvarming → slutt)",
                f"{first / 1024:.0f} → {last / 1024:.0f} ({grew:+.1%})",
                f"< {TARGET_GROWTH:.0%}",
                grew < TARGET_GROWTH,
            )  # fmt: skip
        )
    notes = [
        f"Størrelse: {args.minutes:g} min, {args.respondents} respondenter (en lagring av 30 verdier hvert 5.–15. s), "
        f"{args.readers} lesere (hvert 0,5–1,5 s), gunicorn {args.workers}×{args.threads}, én oppgavearbeider, "
        f"PostgreSQL med fsync og synkron commit. Oppvarming de første {warm:.0f} s. "
        f"Kontrollert {audit_rows} logghendelser.",
    ]
    notes += errors_note(soak.errors)
    passed = summary("soak: blandet last over tid (lagringer, statistikk, kontroller, rapporter)", checks, notes)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
