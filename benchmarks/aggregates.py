"""Aggregates: how long do the precomputed statistics take, how do they grow with the number of units, and how fast
does the statistics API answer from them? (docs/benchmarks.md)

On SQLite (a temporary file) and on PostgreSQL (scripts/throwaway-pg.sh), each with the reference data and the demo
data for 2017–2024 (make_demo_data):

1. From scratch: every aggregate for 2017–2024 at 1× (manage.py compute_aggregates does the same), timed against
   a baseline measured in the same run: one plain SQL scan summing every value of the same rounds by variable.
2. Scaling: the latest year alone, with all its variables, at 1×, 10× and 100× the units. The extra units are
   synthetic copies of the demo units with copies of their answers, loaded in bulk (COPY on PostgreSQL) from a
   stream, never held in memory. Each size is computed in a fresh process: time, peak memory (maxrss), the ratio
   to the same baseline scan of that year, and the growth per 10×.
3. With warm aggregates (PostgreSQL, 1×): gunicorn on 127.0.0.1; 50 clients each ask the statistics API once a
   second for ~30 s (p50/p99), then a short closed-loop burst gives the most requests per second sustained.

4. Incremental (issue 11): in one fresh process, a full recompute of everything, then one unit changes one årsverk
   answer and services.recompute_for_response runs; at 1× (a unit of 2022) and at 100× of the latest year (the
   earlier years stay at 1×: 100× of all eight years would take too long on two cores; a unit of 2024).

Targets: ratio ≤ 3 at 1×, the full computation ≤ 5× its floor (set-up + fastest fetch), one unit's recompute
≤ 5 % of a full recompute at 1× and 100×, growth 8×–12× per 10×, peak memory < 2 GiB at 100×, API p99 < 100 ms.
Run: .venv/bin/python benchmarks/aggregates.py [--skip-sqlite-100] [--load-seconds 30] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402 - the project root must be on the path first
    HOST,
    PYTHON,
    ROOT,
    BenchmarkError,
    Check,
    app_env,
    gunicorn,
    log,
    manage,
    percentile,
    read_json_lines,
    summary,
    throwaway_postgres,
)

LATEST = 2024
INCREMENTAL_YEAR = 2022  # a year with later years to carry into and earlier ones before it
TARGET_FLOOR_RATIO = 5.0  # the full computation against its floor (set-up + fastest fetch), issue 11
TARGET_INCREMENTAL = 0.05  # one unit's recompute against a full recompute
FACTORS = (1, 10, 100)
TARGET_RATIO = 3.0
GROWTH = (8.0, 12.0)
MAX_MEMORY_MIB = 2048
TARGET_P99_MS = 100.0
CLIENTS = 50
COPY_PREFIX = "9"  # synthetic unit codes 9xxxxx: six digits, never a real municipality or bydel


# The worker: one measurement in a fresh Django process


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartlegg.settings")
    import django

    django.setup()


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _baseline(year: int | None) -> dict[str, Any]:
    """One plain SQL scan: every value of the annual rounds (or one year's) summed by variable; the best of three."""
    from django.db import connection

    from kartlegg.analytics.services.extract import annual_rounds
    from kartlegg.responses.models import Answer, Response

    rounds = annual_rounds()
    ids = [r.pk for y, r in rounds.items() if year is None or y == year]
    answer, response = Answer._meta.db_table, Response._meta.db_table
    sql = (
        f"SELECT a.variable, SUM(a.value_num), COUNT(a.value_num) FROM {answer} a "
        f"JOIN {response} r ON r.id = a.response_id WHERE r.round_id IN ({', '.join(['%s'] * len(ids))}) "
        "GROUP BY a.variable"
    )
    best, values = float("inf"), 0
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(sql, ids)
            rows = cursor.fetchall()
            best = min(best, time.perf_counter() - started)
            values = sum(int(r[2]) for r in rows)
    return {"seconds": best, "values": values, "variables": len(rows)}


def _floor(year: int | None) -> dict[str, Any]:
    """What any computation must do before it computes anything, in a fresh process like _compute: read the rounds,
    the questionnaire definitions (the catalogue: `continues` links, tags) and the reference geography (fixed), then
    bring the values into the process, once by the production path (read_data) and once by the fastest plain fetch
    (best of three, as the baseline). Nothing is computed or written."""
    from django.db import connection

    from kartlegg.analytics import services
    from kartlegg.analytics.services.extract import annual_rounds, load_geography
    from kartlegg.responses.models import Answer, Response

    started = time.perf_counter()
    rounds = annual_rounds()
    if year is not None:
        rounds = {y: r for y, r in rounds.items() if y == year}
    cat = services.catalogue(rounds)
    load_geography(sorted(rounds) + [services.default_structure()])
    fixed = time.perf_counter() - started
    started = time.perf_counter()
    services.read_data(rounds, cat, list(cat.variables.values()), sorted(rounds))
    read = time.perf_counter() - started
    answer, response = Answer._meta.db_table, Response._meta.db_table
    ids = [r.pk for r in rounds.values()]
    sql = (
        f"SELECT r.unit_id, a.variable, CAST(a.value_num AS {'REAL' if connection.vendor == 'sqlite' else 'float8'}) "
        f"FROM {answer} a JOIN {response} r ON r.id = a.response_id "
        f"WHERE r.round_id IN ({', '.join(['%s'] * len(ids))}) AND a.value_num IS NOT NULL"
    )
    fetch = float("inf")
    with connection.cursor() as cursor:
        for _ in range(3):
            begun = time.perf_counter()
            cursor.execute(sql, ids)
            cursor.fetchall()
            fetch = min(fetch, time.perf_counter() - begun)
    return {"fixed": fixed, "read": read, "fetch": fetch}


def _compute(year: int | None) -> dict[str, Any]:
    from kartlegg.analytics import services

    started = time.perf_counter()
    # One year alone reads only that year's round: nothing earlier to carry forward, as the docstring says.
    result = services.compute() if year is None else services.compute(years=[year], history=False)
    return {"seconds": time.perf_counter() - started, "rows": result.rows, "maxrss_mib": _maxrss_mib()}


def _incremental(year: int) -> dict[str, Any]:
    """In one fresh process, as the task worker runs them: a full recompute of everything stored (compute(),
    replacing the rows), then one unit of `year` changes one årsverk answer and the recompute of what it touched
    runs (recompute_for_response: the unit's region chain at every stored level, in the years its figure reaches).
    Both are timed; the ratio is the figure."""
    from decimal import Decimal

    from kartlegg.analytics import services
    from kartlegg.responses.models import Answer, Response

    started = time.perf_counter()
    full = services.compute()
    full_seconds = time.perf_counter() - started
    response = (
        Response.objects.filter(round__year=year, submitted_at__isnull=False)
        .exclude(unit__code__startswith=COPY_PREFIX)
        .order_by("unit__code")
        .first()
    )
    if response is None:
        raise SystemExit(f"ingen innsendt svar i {year}")
    answer = Answer.objects.filter(response=response, variable__contains="arsverk", value_num__isnull=False).first()
    if answer is None or answer.value_num is None:
        raise SystemExit(f"{response.unit.code} har ingen årsverk i {year}")
    Answer.objects.filter(pk=answer.pk).update(value_num=answer.value_num + Decimal("1.5"))
    started = time.perf_counter()
    result = services.recompute_for_response(response)
    seconds = time.perf_counter() - started
    return {
        "full": full_seconds,
        "full_rows": full.rows,
        "seconds": seconds,
        "rows": result.rows,
        "years": result.years,
        "unit": response.unit.code,
    }


def _copies(factor: int) -> dict[str, Any]:
    """Grow the latest round to `factor` × its units: copies of every unit (same regions and population) with copies
    of its answers, streamed into the database (COPY on PostgreSQL, executemany on SQLite)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kartlegg.analytics.services.extract import annual_rounds
    from kartlegg.geography.models import ReportingUnit
    from kartlegg.responses.models import Answer, Response, ResponseStatus

    started = time.perf_counter()
    round_obj = annual_rounds()[LATEST]
    originals = list(ReportingUnit.objects.filter(year=LATEST).exclude(code__startswith=COPY_PREFIX).order_by("code"))
    have = ReportingUnit.objects.filter(year=LATEST, code__startswith=COPY_PREFIX).count() // len(originals) + 1
    if factor <= have:
        return {"seconds": 0.0, "units": len(originals) * have, "answers": 0}
    status = dict(Response.objects.filter(round=round_obj).values_list("unit__code", "status"))
    answers: dict[str, list[tuple[Any, ...]]] = {}
    for code, variable, text, number, comment in Answer.objects.filter(response__round=round_obj).values_list(
        "response__unit__code", "variable", "value_text", "value_num", "comment"
    ):
        answers.setdefault(code, []).append((variable, text, number, comment))
    now = timezone.now()
    written = 0
    serial = ReportingUnit.objects.filter(year=LATEST, code__startswith=COPY_PREFIX).count()
    with transaction.atomic():
        for copy in range(have, factor):
            units = []
            for unit in originals:
                serial += 1
                clone = ReportingUnit(
                    **{
                        f.attname: getattr(unit, f.attname)
                        for f in ReportingUnit._meta.concrete_fields
                        if not f.primary_key
                    }
                )
                clone.code = f"{COPY_PREFIX}{serial:05d}"
                clone.name = f"{unit.name} (kopi {copy})"
                units.append((unit.code, clone))
            ReportingUnit.objects.bulk_create([c for _, c in units], batch_size=5000)
            responses = Response.objects.bulk_create(
                [
                    Response(
                        round=round_obj,
                        unit=clone,
                        status=status.get(code, ResponseStatus.NOT_STARTED),
                        version=1,
                        submitted_at=now if status.get(code) == ResponseStatus.SUBMITTED else None,
                    )
                    for code, clone in units
                ],
                batch_size=5000,
            )
            rows = (
                (response.pk, variable, text, number, comment, 1, now, None)
                for (code, _), response in zip(units, responses, strict=True)
                for variable, text, number, comment in answers.get(code, ())
            )
            written += _load_answers(connection, Answer, rows)
    return {"seconds": time.perf_counter() - started, "units": len(originals) * factor, "answers": written}


def _load_answers(connection: Any, model: Any, rows: Any) -> int:
    fields = {f.name: f.column for f in model._meta.concrete_fields}
    names = ["response", "variable", "value_text", "value_num", "comment", "version", "updated_at", "updated_by"]
    columns = ", ".join(fields[n] for n in names)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"
        stamp = connection.ops.adapt_datetimefield_value
        batch = []
        for row in rows:
            batch.append((*row[:6], stamp(row[6]), row[7]))
            if len(batch) >= 20_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def worker(task: str, argument: str) -> None:
    _setup()
    year = None if argument == "all" else int(argument)
    if task == "baseline":
        out = _baseline(year)
    elif task == "compute":
        out = _compute(year)
    elif task == "floor":
        out = _floor(year)
    elif task == "incremental":
        out = _incremental(int(argument))
    elif task == "copies":
        out = _copies(int(argument))
    else:
        raise SystemExit(f"unknown task {task}")
    print(json.dumps(out), flush=True)


def run_worker(env: dict[str, str], task: str, argument: str, timeout: float = 1200) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--worker", task, argument],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    found = read_json_lines(done.stdout)
    if done.returncode != 0 or not found:
        raise BenchmarkError(f"{task} {argument} feilet:\n{done.stderr[-3000:]}")
    return found[-1]


async def fetch(port: int, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
    return status, (time.perf_counter() - started) * 1000


async def open_loop(port: int, paths: list[str], clients: int, seconds: int) -> tuple[list[float], int]:
    """Each client asks once a second (staggered), whatever the answers' speed: latencies and failures."""
    latencies: list[float] = []
    failures = 0
    start = time.perf_counter() + 0.5

    async def client(index: int) -> None:
        nonlocal failures
        rng = random.Random(index)
        for tick in range(seconds):
            await asyncio.sleep(max(0.0, start + tick + index / clients - time.perf_counter()))
            status, ms = await fetch(port, rng.choice(paths))
            if status == 200:
                latencies.append(ms)
            else:
                failures += 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, failures


async def closed_loop(port: int, paths: list[str], concurrency: int, seconds: float) -> tuple[int, float]:
    """Back-to-back requests from `concurrency` clients: answered requests and the time they took."""
    done = 0
    end = time.perf_counter() + seconds
    started = time.perf_counter()

    async def client(index: int) -> None:
        nonlocal done
        rng = random.Random(1000 + index)
        while time.perf_counter() < end:
            status, _ = await fetch(port, rng.choice(paths))
            done += status == 200

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return done, time.perf_counter() - started


def api_paths(env: dict[str, str]) -> list[str]:
    """Requests whose slices a full computation stores (warm): the headline series at every level and other
    variables at the group levels, several measures."""
    base = "/api/v1/statistics/"
    return [
        base + "arsverk_totalt?level=county&years=2017-2024",
        base + "arsverk_voksne_per_10000?level=hf",
        base + "arsverk_barn_og_unge?level=dps&years=2024",
        base + "arsverk_totalt?level=unit&years=2023-2024",
        base + "arsverk_totalt?level=nation&measure=change_percent",
        base + "arsverk_voksne?level=size_group&measure=median",
        base + "B_arsverk.*.psykolog?level=county&measure=per_capita",
        base + "B_arsverk.oppfolging.*?level=rhf&years=2020-2024",
        base + "E_fact?level=county&years=2024",
        base + "arsverk_totalt?level=county&format=csv",
    ]


def load_test(env: dict[str, str], seconds: int) -> dict[str, Any]:
    with gunicorn(env, workers=4, threads=4) as server:
        port = int(server.url.rsplit(":", 1)[1])
        paths = api_paths(env)
        for path in paths:  # every worker fills its caches before the measurement
            for _ in range(server.workers * 2):
                status, _ = asyncio.run(fetch(port, path))
                if status != 200:
                    raise BenchmarkError(f"{path} svarte {status}; aggregatene er ikke varme.")
        latencies, failures = asyncio.run(open_loop(port, paths, CLIENTS, seconds))
        answered, elapsed = asyncio.run(closed_loop(port, paths, 16, 10.0))
    return {
        "requests": len(latencies) + failures,
        "failures": failures,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "rps": answered / elapsed,
    }


def prepare(env: dict[str, str]) -> None:
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_reference", "--quiet")
    manage(env, "make_demo_data", "--no-progress", "--years", f"2017-{LATEST}", "--errors-file", os.devnull)


def measure(name: str, env: dict[str, str], factors: tuple[int, ...], load_seconds: int | None) -> dict[str, Any]:
    log(f"{name}: migrate, referansedata og demodata 2017–{LATEST}")
    prepare(env)
    result: dict[str, Any] = {"name": name}
    base = run_worker(env, "baseline", "all")
    full = run_worker(env, "compute", "all")
    result["full"] = {
        **full,
        "baseline": base["seconds"],
        "values": base["values"],
        "ratio": full["seconds"] / base["seconds"],
        "floor": run_worker(env, "floor", "all"),
    }
    log(f"{name}: alt fra bunnen av {full['seconds']:.1f} s ({full['rows']} rader), grunnlinje {base['seconds']:.3f} s")
    result["incremental"] = [{"factor": 1, **run_worker(env, "incremental", str(INCREMENTAL_YEAR))}]
    log_incremental(name, result["incremental"][-1])
    if load_seconds:
        log(f"{name}: API-last med varme aggregater ({CLIENTS} klienter, {load_seconds} s)")
        result["api"] = load_test(env, load_seconds)
    result["scaling"] = []
    for factor in factors:
        copies = run_worker(env, "copies", str(factor), timeout=1800)
        base = run_worker(env, "baseline", str(LATEST))
        year = run_worker(env, "compute", str(LATEST), timeout=1800)
        row = {
            "factor": factor,
            **year,
            "baseline": base["seconds"],
            "values": base["values"],
            "units": copies["units"],
        }
        row["ratio"] = year["seconds"] / base["seconds"]
        row["load_seconds"] = copies["seconds"]
        if factor == 1:
            row["floor"] = run_worker(env, "floor", str(LATEST))
        if factor == max(FACTORS):
            # 100× of the latest year (the earlier years stay at 1×): a full recompute of everything, then one
            # unit of the latest year changes.
            result["incremental"].append({"factor": factor, **run_worker(env, "incremental", str(LATEST), 1800)})
            log_incremental(name, result["incremental"][-1])
        result["scaling"].append(row)
        log(
            f"{name}: {factor}× ({row['units']} enheter, {row['values']} verdier): {year['seconds']:.1f} s, "
            f"{year['maxrss_mib']:.0f} MiB, grunnlinje {base['seconds']:.3f} s"
        )
    return result


def log_incremental(name: str, inc: dict[str, Any]) -> None:
    log(
        f"{name}: {inc['factor']}×, full omberegning {inc['full']:.2f} s, én enhet ({inc['unit']}) "
        f"{inc['seconds']:.3f} s = {inc['seconds'] / inc['full'] * 100:.1f} %, år {inc['years']}, {inc['rows']} rader"
    )


def checks_for(result: dict[str, Any]) -> list[Check]:
    name = result["name"]
    full = result["full"]
    out = [
        Check(f"{name}: alt 2017–{LATEST}, 1×", f"{full['seconds']:.1f} s", "", None),
        Check(f"{name}: grunnlinje (SQL-skann)", f"{full['baseline'] * 1000:.0f} ms", "", None),
        Check(f"{name}: forhold alt/skann", f"{full['ratio']:.1f}", "≤ 3", full["ratio"] <= TARGET_RATIO),
        Check(f"{name}: minne, alt 1×", f"{full['maxrss_mib']:.0f} MiB", "", None),
    ]
    out += floor_checks(f"{name}: alt 2017–{LATEST}, 1×", full)
    if full.get("floor"):
        least = full["floor"]["fixed"] + full["floor"]["fetch"]
        ratio = full["seconds"] / least
        out.append(
            Check(f"{name}: alt/gulv (oppsett + raskeste henting)", f"{ratio:.1f}", "≤ 5", ratio <= TARGET_FLOOR_RATIO)
        )
    for inc in result.get("incremental", []):
        share = inc["seconds"] / inc["full"]
        label = f"{name}: én enhet endret, {inc['factor']}×"
        out.append(Check(f"{label}: full omberegning", f"{inc['full']:.2f} s ({inc['full_rows']} rader)", "", None))
        out.append(Check(f"{label}: inkrementell", f"{inc['seconds']:.3f} s ({inc['rows']} rader)", "", None))
        out.append(Check(f"{label}: inkrementell/full", f"{share * 100:.1f} %", "≤ 5 %", share <= TARGET_INCREMENTAL))
    previous = None
    for row in result["scaling"]:
        label = f"{name}: {LATEST}, {row['factor']}×"
        out.append(Check(f"{label} tid", f"{row['seconds']:.1f} s", "", None))
        biggest = row["factor"] == max(FACTORS)
        memory = f"{row['maxrss_mib']:.0f} MiB"
        target = "< 2 GiB" if biggest else ""
        out.append(
            Check(f"{label} minne (maxrss)", memory, target, row["maxrss_mib"] < MAX_MEMORY_MIB if biggest else None)
        )
        if row["factor"] == 1:
            out.append(Check(f"{label} forhold/skann", f"{row['ratio']:.1f}", "≤ 3", row["ratio"] <= TARGET_RATIO))
            out += floor_checks(label, row)
        else:
            out.append(Check(f"{label} forhold/skann", f"{row['ratio']:.1f}", "", None))
        if previous is not None and row["factor"] == previous["factor"] * 10:
            growth = row["seconds"] / previous["seconds"]
            ok = GROWTH[0] <= growth <= GROWTH[1]
            out.append(Check(f"{label} vekst per 10×", f"{growth:.1f}×", "8–12×", ok))
        previous = row
    if "api" in result:
        api = result["api"]
        out += [
            Check(f"{name}: API p50", f"{api['p50']:.1f} ms", "", None),
            Check(f"{name}: API p99", f"{api['p99']:.1f} ms", "< 100 ms", api["p99"] < TARGET_P99_MS),
            Check(f"{name}: API feil", f"{api['failures']} av {api['requests']}", "0", api["failures"] == 0),
            Check(f"{name}: API maks req/s", f"{api['rps']:.0f}", "", None),
        ]
    return out


def floor_checks(label: str, row: dict[str, Any]) -> list[Check]:
    """The floor, as ratios to the same baseline: fixed set-up, the production read, the fastest plain fetch, and
    set-up + fastest fetch (the least any computation in the process costs before it computes or writes)."""
    floor, base = row.get("floor"), row["baseline"]
    if not floor:
        return []
    least = floor["fixed"] + floor["fetch"]
    return [
        Check(
            f"{label} gulv: skjema og geografi",
            f"{floor['fixed'] * 1000:.0f} ms = {floor['fixed'] / base:.1f}",
            "",
            None,
        ),
        Check(
            f"{label} gulv: lese verdiene (read_data)",
            f"{floor['read'] * 1000:.0f} ms = {floor['read'] / base:.1f}",
            "",
            None,
        ),
        Check(
            f"{label} gulv: raskeste henting", f"{floor['fetch'] * 1000:.0f} ms = {floor['fetch'] / base:.1f}", "", None
        ),
        Check(f"{label} gulv: oppsett + raskeste henting", f"{least / base:.1f}", "", None),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("TASK", "ARG"), help=argparse.SUPPRESS)
    parser.add_argument("--skip-sqlite-100", action="store_true", help="100× bare på PostgreSQL.")
    parser.add_argument("--no-postgres", action="store_true", help="Bare SQLite.")
    parser.add_argument("--load-seconds", type=int, default=30, help="Lengden på API-lasten (sekunder).")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    started = time.monotonic()
    results = []
    notes = []
    tmp = Path(tempfile.mkdtemp(prefix="kartlegg-agg-"))
    try:
        # The years are not published in the benchmark's database: the statistics preview lets the API answer.
        sqlite_env = app_env(f"sqlite:///{tmp / 'bench.sqlite3'}", BENCH_TMP=str(tmp), KARTLEGG_STATISTICS_PREVIEW="1")
        sqlite_factors = FACTORS[:-1] if args.skip_sqlite_100 else FACTORS
        if args.skip_sqlite_100:
            notes.append("100× er kjørt bare på PostgreSQL (--skip-sqlite-100).")
        results.append(measure("SQLite", sqlite_env, sqlite_factors, None))
        if args.no_postgres:
            notes.append("PostgreSQL er hoppet over (--no-postgres); API-lasten kjøres bare der.")
        elif not shutil.which("runuser") or not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
            notes.append(
                "PostgreSQL finnes ikke på maskinen; bare SQLite er målt (API-lasten kjøres bare på PostgreSQL)."
            )
        else:
            with throwaway_postgres() as pg:
                pg_env = app_env(pg["DATABASE_URL"], BENCH_TMP=str(tmp), KARTLEGG_STATISTICS_PREVIEW="1")
                results.append(measure("PostgreSQL", pg_env, FACTORS, args.load_seconds))
    except BenchmarkError as error:
        print(f"aggregates: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    checks = [c for r in results for c in checks_for(r)]
    for r in results:
        for row in r["scaling"]:
            notes.append(
                f"{r['name']} {row['factor']}×: {row['units']} enheter, {row['values']} verdier i {LATEST}, "
                f"{row['rows']} aggregater; lastet inn på {row['load_seconds']:.1f} s."
            )
    notes.append(
        "Grunnlinjen er én SQL-spørring som summerer alle verdiene i de samme rundene per variabel (beste av tre). "
        "Minne er maxrss for prosessen som beregner (Python og Django medregnet)."
    )
    notes.append(
        "Gulvet er det enhver beregning må gjøre før den regner: lese runder, skjemadefinisjoner (katalogen) og "
        "referansegeografi i en ny prosess, og hente verdiene inn i prosessen (produksjonsveien read_data, og den "
        "raskeste rene hentingen, beste av tre). Ingenting beregnes eller skrives."
    )
    for r in results:
        for inc in r.get("incremental", []):
            notes.append(
                f"{r['name']} {inc['factor']}×: enhet {inc['unit']} endret; omberegnet år {inc['years']}, "
                f"{inc['rows']} av {inc['full_rows']} rader."
            )
    notes.append(
        "Inkrementell: én enhets årsverk endres, og bare regionkjeden dens (enheten, kommunen, fylket, HF, RHF, DPS, "
        "størrelsesgruppen, landet) skrives på nytt, i årene tallet når. 100× gjelder siste år (de tidligere årene "
        "er 1×); full omberegning og inkrementell kjøres i samme prosess, som i arbeideren."
    )
    notes.append(f"Hele kjøringen tok {(time.monotonic() - started) / 60:.1f} min.")
    passed = summary("aggregates: forhåndsberegnet statistikk og statistikk-API", checks, notes)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
