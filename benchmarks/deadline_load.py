"""Deadline load: can the collection API take the last days before the deadline? (docs/benchmarks.md)

On a throwaway PostgreSQL with production durability (fsync, synchronous commit, full-page writes on, so an
acknowledged save is on disk and pgbench measures a real server), with gunicorn (gthread) on 127.0.0.1 and 300
respondents with API tokens:

1. Capacity: wrk PUTs 30-value sections with no pause for ~20 s → saves per second; then pgbench -N on the same
   server gives the machine's plain write rate, and saves/s ÷ pgbench tps says how much of it one save costs. A
   second baseline, with the same wrk load: a bare Django view doing only the same upsert and audit insert
   (benchmarks/bare_save.py), so the cost of the full stack (tokens, permission check, parsing, validation,
   conflict check) shows as full ÷ bare.
2. Deadline: 300 simulated respondents each save a section every 5–15 s for two minutes (a light asyncio client)
   → p50 and p99 latency and errors.
3. Every acknowledged save (200 with its returned version) is checked in the database: its values, its version
   and one audit row per changed value. A missing one is a lost write.

Run: .venv/bin/python benchmarks/deadline_load.py  (or `make bench`). Needs wrk and pgbench (.ci/run installs them).
Options: --respondents N, --capacity-seconds S, --deadline-seconds S.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402 - the project root must be on the path first
    HOST,
    ROOT,
    BenchmarkError,
    Check,
    app_env,
    errors_note,
    gunicorn,
    log,
    manage,
    need_tools,
    percentile,
    read_json_lines,
    summary,
    throwaway_postgres,
)

YEAR = 2024
SECTION_SIZE = 30
TARGET_RATIO = 0.05
TARGET_P99_MS = 300.0
TARGET_FULL_OF_BARE = 0.7
TURNS = 3  # capacity measured in turns: full stack, bare view, full stack, …
LATENCIES = ("p50_ms", "p99_ms")
PUT_PATH = "/api/v1/rounds/{round_id}/units/{unit_code}/response"
BARE_APP = "benchmarks.bare_save:application"


@dataclass
class Respondent:
    unit: str
    token: str
    response_id: int


@dataclass
class BenchData:
    round_id: int
    respondents: list[Respondent]
    sections: list[list[str]]
    units_in_round: int


@dataclass
class Attempt:
    """One PUT by one respondent, in the order it sent them. `version` is set when it was acknowledged (200)."""

    unit: str
    values: dict[str, str]
    version: int | None = None

    @property
    def acked(self) -> bool:
        return self.version is not None


@dataclass
class DeadlineResult:
    latencies_ms: list[float] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def acks(self) -> list[Attempt]:
        return [a for a in self.attempts if a.acked]

    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: int = 0


def django_setup(env: dict[str, str]) -> None:
    os.environ.update({k: v for k, v in env.items() if k in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartlegg.settings")
    import django

    django.setup()


def check_api() -> None:
    """Fail clearly when the collection API this benchmark drives is not there (it is built separately)."""
    try:
        from kartlegg.responses.api import router
    except ImportError as exc:
        raise BenchmarkError(f"Innsamlings-API-et kan ikke importeres ({exc}).") from exc
    view = router.path_operations.get(PUT_PATH.removeprefix("/api/v1"))
    methods = {method for operation in (view.operations if view else []) for method in operation.methods}
    if "PUT" not in methods or "GET" not in methods:
        raise BenchmarkError(
            f"API-et mangler GET/PUT {PUT_PATH} (kartlegg/responses/api.py); belastningstesten kan ikke kjøres."
        )


def prepare(respondents: int) -> BenchData:
    """A 2024 round (opened through the collection service) and `respondents` respondent users, each bound to one
    unit, each with an API token."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from kartlegg.accounts.models import Role, UnitAssignment, User
    from kartlegg.accounts.tokens import create_token
    from kartlegg.demo import store as demo_store
    from kartlegg.responses.models import Response
    from kartlegg.responses.services.rounds import open_round

    files = demo_store.source_files(demo_store.questionnaire_dir())
    versions = demo_store.ensure_versions(files)
    version = demo_store.version_for_year([v for f, v in versions.items() if f.kind == "annual"], YEAR)
    analyst = User.objects.create(username="bench-analytiker", role=Role.ANALYST, password=make_password(None))
    now = timezone.now()
    round_obj = open_round(
        version,
        name=f"Belastningstest {YEAR}",
        year=YEAR,
        opens_at=now - dt.timedelta(days=1),
        deadline=(now + dt.timedelta(days=14)).date(),
        user=analyst,
    )
    responses = list(Response.objects.filter(round=round_obj).select_related("unit").order_by("unit__code"))
    if len(responses) < respondents:
        raise BenchmarkError(f"Runden har bare {len(responses)} enheter; {respondents} respondenter ble bedt om.")
    users = User.objects.bulk_create(
        [
            User(username=f"bench{i:04d}", role=Role.RESPONDENT, email=f"bench{i}@example.invalid", password="!")
            for i in range(respondents)
        ]
    )
    UnitAssignment.objects.bulk_create(
        [UnitAssignment(user=u, unit_code=r.unit.code) for u, r in zip(users, responses, strict=False)]
    )
    chosen = [
        Respondent(r.unit.code, create_token(u, "belastningstest")[1], r.pk)
        for u, r in zip(users, responses, strict=False)
    ]
    defn = version.definition()
    cells: list[str] = []
    for tag in ("arsverk_voksne", "arsverk_barn_og_unge"):
        grid = next(q for q in defn.tagged(tag) if q.is_grid)
        cells += grid.cell_codes()
    if len(cells) < SECTION_SIZE:
        raise BenchmarkError("Skjemaet har færre enn 30 rutenettceller; kan ikke lage seksjoner på 30 verdier.")
    starts = range(0, len(cells) - SECTION_SIZE + 1, 15)
    sections = [cells[s : s + SECTION_SIZE] for s in starts]
    return BenchData(round_obj.pk, chosen, sections, len(responses))


def write_lua_data(data: BenchData, path: Path) -> None:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    units = ",\n".join(f"  {{code = {q(r.unit)}, token = {q(r.token)}}}" for r in data.respondents)
    sections = ",\n".join("  {" + ", ".join(q(c) for c in s) + "}" for s in data.sections)
    path.write_text(
        f"return {{\nround = {data.round_id},\nunits = {{\n{units}\n}},\nsections = {{\n{sections}\n}}\n}}\n",
        encoding="utf-8",
    )


def run_wrk(wrk: str, url: str, data_file: Path, threads: int, seconds: int) -> dict[str, Any]:
    script = ROOT / "benchmarks" / "lua" / "put_sections.lua"
    env = {**os.environ, "KARTLEGG_BENCH_DATA": str(data_file)}
    command = [wrk, "-t", str(threads), "-c", str(threads), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(script)]
    done = subprocess.run(
        [*command, url, "--", str(threads)], capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    found = read_json_lines(done.stdout)
    if done.returncode != 0 or not found:
        raise BenchmarkError(f"wrk feilet: {done.stderr.strip() or done.stdout.strip()}")
    return found[-1]


def merge_wrk(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several wrk runs as one: counts and durations summed, latencies the slowest run's (an upper bound)."""
    merged: dict[str, Any] = {key: sum(run.get(key, 0) for run in runs) for key in runs[0] if key not in LATENCIES}
    for key in LATENCIES:
        merged[key] = max(run.get(key, 0.0) for run in runs)
    return merged


def run_pgbench(pgbench: str, database_url: str, seconds: int) -> float:
    init = subprocess.run([pgbench, "-i", "-q", database_url], capture_output=True, text=True, timeout=300, check=False)
    if init.returncode != 0:
        raise BenchmarkError(f"pgbench -i feilet: {init.stderr.strip()}")
    done = subprocess.run(
        [pgbench, "-N", "-c", "8", "-j", "2", "-T", str(seconds), database_url],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("tps =") and "without initial connection" in line:
            return float(line.split("=")[1].split()[0])
    for line in done.stdout.splitlines():
        if line.startswith("tps ="):
            return float(line.split("=")[1].split()[0])
    raise BenchmarkError(f"Fant ikke tps i svaret fra pgbench:\n{done.stdout}\n{done.stderr}")


async def http(method: str, port: int, path: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request on a fresh loopback connection (a browser's keep-alive would have timed out between
    saves 5–15 s apart anyway)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    header, _, content = raw.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1]) if header.startswith(b"HTTP/") else 0
    if b"transfer-encoding: chunked" in header.lower():
        content = _unchunk(content)
    return status, content


def _unchunk(data: bytes) -> bytes:
    out, rest = b"", data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


async def respondent(
    who: Respondent, data: BenchData, port: int, until: float, rng: random.Random, result: DeadlineResult
) -> None:
    path = PUT_PATH.format(round_id=data.round_id, unit_code=who.unit)
    await asyncio.sleep(rng.uniform(0, 15))  # respondents do not start in step
    status, body = await http("GET", port, path, who.token)  # the form opens: read the current version
    if status != 200:
        result.errors[f"GET {status}"] += 1
        return
    version = json.loads(body)["version"]
    last: dict[str, str] = {}
    while time.monotonic() < until:
        section = rng.choice(data.sections)
        values = {}
        for code in section:
            value = f"{rng.uniform(0, 400):.2f}"
            while value == last.get(code):  # every value a change, so every save leaves audit rows
                value = f"{rng.uniform(0, 400):.2f}"
            values[code] = value
        payload = json.dumps({"values": {c: float(v) for c, v in values.items()}, "version": version}).encode()
        attempt = Attempt(who.unit, values)
        result.attempts.append(attempt)
        started = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(http("PUT", port, path, who.token, payload), timeout=30)
        except (TimeoutError, OSError) as exc:
            # Not acknowledged; the server may still store it later, which the check below allows.
            result.errors[type(exc).__name__] += 1
            status, body = 0, b""
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status == 200:
            version = json.loads(body)["version"]
            attempt.version = version
            last.update(values)
        elif status == 409:
            result.conflicts += 1
            result.errors["409"] += 1
            version = json.loads(body).get("version", version)
        elif status:
            result.errors[str(status)] += 1
        await asyncio.sleep(rng.uniform(5, 15))


async def deadline(data: BenchData, port: int, seconds: float) -> DeadlineResult:
    result = DeadlineResult()
    until = time.monotonic() + seconds
    rng = random.Random(2024)
    tasks = [respondent(r, data, port, until, random.Random(rng.random()), result) for r in data.respondents]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 120)
    return result


def lost_writes(data: BenchData, attempts: list[Attempt]) -> tuple[int, int]:
    """(acknowledged saves missing from the database, audit rows read).

    An acknowledged save (200 with its version) is kept when the response has reached at least that version, every
    value it sent has an audit row (channel api) with that new value, and each of its values is still the stored
    one unless a later attempt by the same respondent (acknowledged or not: a timed-out request may still have been
    stored) sent that variable again."""
    from kartlegg.accounts.models import AuditEvent
    from kartlegg.responses.models import Answer, Response

    ids = {r.unit: r.response_id for r in data.respondents}
    versions = dict(Response.objects.filter(pk__in=ids.values()).values_list("pk", "version"))
    audited: set[tuple[str, str, Decimal]] = set()
    rows = AuditEvent.objects.filter(
        object_type="responses.response", object_id__in=[str(i) for i in ids.values()], channel="api"
    ).values_list("object_id", "variable", "new_value")
    for object_id, variable, new in rows.iterator(chunk_size=20_000):
        if new is not None:
            audited.add((object_id, variable, Decimal(new)))
    final: dict[tuple[int, str], Decimal] = {}
    for response_id, variable, number in Answer.objects.filter(response_id__in=ids.values()).values_list(
        "response_id", "variable", "value_num"
    ):
        if number is not None:
            final[(response_id, variable)] = Decimal(number)
    by_unit: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_unit[attempt.unit].append(attempt)
    lost = 0
    for unit, mine in by_unit.items():
        pk = ids[unit]
        for index, attempt in enumerate(mine):
            if not attempt.acked:
                continue
            later = {code for other in mine[index + 1 :] for code in other.values}
            kept = versions.get(pk, 0) >= (attempt.version or 0)
            for code, text in attempt.values.items():
                kept = kept and (str(pk), code, Decimal(text)) in audited
                kept = kept and (code in later or final.get((pk, code)) == Decimal(text))
            lost += 0 if kept else 1
    return lost, len(audited)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=300)
    parser.add_argument("--capacity-seconds", type=int, default=20)
    parser.add_argument("--deadline-seconds", type=int, default=130)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if (
        not 1 <= args.respondents <= 2000
        or not 5 <= args.capacity_seconds <= 600
        or not 10 <= args.deadline_seconds <= 3600
    ):
        parser.error("respondenter 1–2000, kapasitet 5–600 s, frist 10–3600 s")
    try:
        tools = need_tools("wrk", "pgbench")
        with throwaway_postgres(durable=True) as pg, tempfile.TemporaryDirectory(prefix="kartlegg-bench-") as tmp:
            env = app_env(pg["DATABASE_URL"], BENCH_TMP=tmp)
            django_setup(env)
            check_api()
            log("Migrerer og laster referansedata …")
            manage(env, "migrate", "--no-input")
            manage(env, "load_reference", "--quiet")
            log(f"Lager runde {YEAR} og {args.respondents} respondenter med API-nøkler …")
            data = prepare(args.respondents)
            data_file = Path(tmp) / "bench_data.lua"
            write_lua_data(data, data_file)
            from django.db import connections

            connections.close_all()
            # The full stack and the bare view (the same upsert and audit insert, nothing else) are served side by
            # side and measured in turns with the same wrk load, so a busy moment on a shared machine hits both.
            with (
                gunicorn(env, workers=args.workers, threads=args.threads) as server,
                gunicorn(env, workers=args.workers, threads=args.threads, app=BARE_APP) as bare_server,
            ):
                port = int(server.url.rsplit(":", 1)[1])
                log(f"Kapasitet: wrk i {args.capacity_seconds} s mot full stakk og bar visning, {TURNS} runder hver …")
                for url in (server.url, bare_server.url):  # warm-up: every worker loads the questionnaire
                    run_wrk(tools["wrk"], url, data_file, 8, 3)
                turns: dict[str, list[dict[str, Any]]] = {"full": [], "bare": []}
                for _ in range(TURNS):
                    for name, url in (("full", server.url), ("bare", bare_server.url)):
                        seconds = max(2, args.capacity_seconds // TURNS)
                        turns[name].append(run_wrk(tools["wrk"], url, data_file, 8, seconds))
                capacity, bare = merge_wrk(turns["full"]), merge_wrk(turns["bare"])
                time.sleep(5)  # let saves still in flight when wrk stopped finish before the next phase reads versions
                log(
                    f"Frist: {args.respondents} respondenter, en lagring hvert 5.–15. sekund "
                    f"i {args.deadline_seconds} s …"
                )
                result = asyncio.run(deadline(data, port, args.deadline_seconds))
            log("Kontrollerer at hver bekreftet lagring finnes i databasen …")
            lost, audit_rows = lost_writes(data, result.attempts)
            connections.close_all()
            log(f"pgbench -N i {args.capacity_seconds} s mot samme server …")
            tps = run_pgbench(tools["pgbench"], pg["DATABASE_URL"], args.capacity_seconds)
    except BenchmarkError as exc:
        print(f"\nBELASTNINGSTESTEN KUNNE IKKE KJØRES: {exc}", file=sys.stderr)
        return 2
    return report(args, data, capacity, tps, result, lost, audit_rows, bare)


def report(
    args: argparse.Namespace,
    data: BenchData,
    capacity: dict[str, Any],
    tps: float,
    result: DeadlineResult,
    lost: int,
    audit_rows: int,
    bare: dict[str, Any],
) -> int:
    seconds = capacity["duration_us"] / 1e6
    saves = capacity["ok"] / seconds if seconds else 0.0
    ratio = saves / tps if tps else 0.0
    bare_seconds = bare["duration_us"] / 1e6
    bare_saves = bare["ok"] / bare_seconds if bare_seconds else 0.0
    full_of_bare = saves / bare_saves if bare_saves else 0.0
    p50, p99 = percentile(result.latencies_ms, 0.50), percentile(result.latencies_ms, 0.99)
    errors = sum(result.errors.values())
    checks = [
        Check("Kapasitet: lagringer/s", f"{saves:.1f}", "", None),
        Check("pgbench -N tps", f"{tps:.0f}", "", None),
        Check("lagringer/s ÷ pgbench tps", f"{ratio:.3f}", f"≥ {TARGET_RATIO}", ratio >= TARGET_RATIO),
        Check("Bar visning: lagringer/s", f"{bare_saves:.1f}", "", None),
        Check("Bar visning ÷ pgbench tps", f"{bare_saves / tps if tps else 0.0:.3f}", "", None),
        Check(
            "Full stakk ÷ bar visning (gunicorn, wrk, samme kjøring)",
            f"{full_of_bare:.2f}",
            f"≥ {TARGET_FULL_OF_BARE}",
            full_of_bare >= TARGET_FULL_OF_BARE,
        ),
        Check(
            "Kapasitet: 409 / andre feil",
            f"{capacity['conflicts']} / {capacity['other'] + capacity['socket_errors']}",
            "",
            None,
        ),
        Check("Frist: lagringer", f"{len(result.acks)}", "", None),
        Check("Frist: p50 (ms)", f"{p50:.1f}", "", None),
        Check("Frist: p99 (ms)", f"{p99:.1f}", f"≤ {TARGET_P99_MS:.0f}", p99 <= TARGET_P99_MS),
        Check("Frist: feil", f"{errors}", "0", errors == 0),
        Check("Tapte skrivinger", f"{lost}", "0", lost == 0),
    ]
    notes = [
        f"Størrelse: {args.respondents} respondenter, {data.units_in_round} enheter i runden, "
        f"{SECTION_SIZE} verdier per lagring, {args.workers}×{args.threads} gunicorn-tråder (gthread), 127.0.0.1; "
        "PostgreSQL med fsync og synkron commit på.",
        f"Kapasitet: {capacity['ok']} lagringer (og {capacity.get('reads', 0)} første lesinger av versjonen) på "
        f"{seconds:.1f} s, wrk p50 {capacity['p50_ms']:.1f} ms, "
        f"p99 {capacity['p99_ms']:.1f} ms. Kontrollert {audit_rows} logghendelser.",
        f"Vekst: én størrelse her ({args.respondents} respondenter); hver lagring skriver et fast antall rader "
        f"({SECTION_SIZE} svar og {SECTION_SIZE} logghendelser), så kostnaden vokser lineært med antall lagringer.",
    ]
    notes += errors_note(result.errors)
    passed = summary("deadline_load: innsending de siste dagene før fristen", checks, notes)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
