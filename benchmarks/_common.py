"""Helpers shared by the benchmarks: a throwaway PostgreSQL, manage.py, gunicorn on loopback, figures.

Everything runs on 127.0.0.1 and is stopped again (by the process ids we started), and every wait is bounded.
Not a benchmark itself: `make bench` runs it too, and it then only says so.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"


class BenchmarkError(RuntimeError):
    """The benchmark cannot run (a tool or a piece of the app is missing); the message says what to do."""


def need_tools(*names: str) -> dict[str, str]:
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if not path]
    if missing:
        raise BenchmarkError(
            f"Mangler {', '.join(missing)}. Installer med: apt-get install {' '.join(missing)} (.ci/run gjør det)."
        )
    return {name: str(path) for name, path in found.items()}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@contextlib.contextmanager
def throwaway_postgres(durable: bool = False) -> Iterator[dict[str, str]]:
    """scripts/throwaway-pg.sh start … stop: yields {"PGDIR": …, "DATABASE_URL": …}. `durable` keeps PostgreSQL's
    production settings (fsync, synchronous commit, full-page writes) instead of the test suite's fast ones."""
    script = ROOT / "scripts" / "throwaway-pg.sh"
    # A free port, so a cluster someone else started on the default port does not get in the way.
    env = {**os.environ, "PGPORT_THROWAWAY": os.environ.get("PGPORT_THROWAWAY") or str(free_port())}
    if durable:
        env.update(PG_FSYNC="on", PG_SYNC_COMMIT="on", PG_FULL_PAGE_WRITES="on")
    done = subprocess.run([str(script), "start"], capture_output=True, text=True, timeout=120, check=False, env=env)
    if done.returncode != 0:
        raise BenchmarkError(f"Klarte ikke å starte PostgreSQL: {done.stderr.strip() or done.stdout.strip()}")
    found = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    if "PGDIR" not in found or "DATABASE_URL" not in found:
        raise BenchmarkError(f"Uventet svar fra throwaway-pg.sh: {done.stdout!r}")
    try:
        yield found
    finally:
        subprocess.run([str(script), "stop", found["PGDIR"]], capture_output=True, timeout=60, check=False)


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment the app and manage.py run with in a benchmark."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-" + "x" * 40,
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "KARTLEGG_DEMO_MODE": "1",
            "DB_CONN_MAX_AGE": "600",
            "LOG_LEVEL": "ERROR",
        }
    )
    env.update(extra)
    return env


def manage(env: Mapping[str, str], *args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchmarkError(f"manage.py {' '.join(args)} feilet:\n{done.stderr[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback URL we built
                if answer.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            last = exc
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise BenchmarkError(f"Serveren svarte ikke på {url} innen {timeout:.0f} s ({last}).")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    workers: int
    threads: int


@contextlib.contextmanager
def gunicorn(
    env: Mapping[str, str],
    workers: int = 4,
    threads: int = 4,
    timeout: float = 60,
    app: str = "kartlegg.wsgi:application",
) -> Iterator[Server]:
    """gunicorn with gthread workers on a free loopback port; stopped (TERM, then KILL) by its pid afterwards."""
    port = free_port()
    log_path = Path(env.get("BENCH_TMP") or tempfile.gettempdir()) / f"gunicorn-{port}.log"
    command = [
        PYTHON, "-m", "gunicorn", app,
        "--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "gthread",
        "--threads", str(threads), "--timeout", "60", "--keep-alive", "5", "--log-level", "warning",
        "--error-logfile", str(log_path),
    ]  # fmt: skip
    # The server's own output (startup notes, Django's 4xx warnings) goes to the log file, not into the figures.
    output = log_path.open("ab")
    process = subprocess.Popen(
        command, cwd=ROOT, env=dict(env), start_new_session=True, stdout=output, stderr=subprocess.STDOUT
    )
    server = Server(f"http://{HOST}:{port}", process, workers, threads)
    try:
        wait_for_http(server.url + "/api/v1/openapi.json", timeout)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        output.close()


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share 0.99 → p99); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Check:
    name: str
    value: str
    target: str
    ok: bool | None  # None: reported, no target


def errors_note(errors: Mapping[str, int]) -> list[str]:
    """The note line that counts a run's errors by kind (none when there were none)."""
    return ["Feil etter type: " + ", ".join(f"{k}: {v}" for k, v in sorted(errors.items()))] if errors else []


def summary(title: str, checks: Sequence[Check], notes: Sequence[str] = ()) -> bool:
    """Print the result block; True when every check with a target passed."""
    width = max(len(c.name) for c in checks) + 2
    line = "=" * 78
    print(f"\n{line}\n{title}\n{line}")
    for check in checks:
        verdict = "" if check.ok is None else ("OK" if check.ok else "FEIL")
        target = f"(mål {check.target})" if check.target else ""
        print(f"{check.name:<{width}}{check.value:>16}  {target:<22}{verdict}")
    for note in notes:
        print(note)
    passed = all(c.ok is not False for c in checks)
    print(f"{line}\n{'ALLE MÅL NÅDD' if passed else 'IKKE ALLE MÅL NÅDD'}\n{line}", flush=True)
    return passed


def read_json_lines(text: str) -> list[dict[str, Any]]:
    import json

    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
    return found


if __name__ == "__main__":
    print("benchmarks/_common.py: hjelpefunksjoner for benchmarkene, ingenting å kjøre.")
