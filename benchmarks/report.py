"""The annual report: how long does it take to compute, render and serve? (issue 13, point 7)

On a temporary SQLite database with the reference data, the demo data (make_demo_data) and its aggregates:

1. Reading against computing, in the same run: the report's reads of the stored aggregates (warm) and metadata
   (sources.read_inputs), then the computation of the whole document from them (compute.compute_report, pure).
2. The HTML render (with every chart rendered to SVG by vl-convert).
3. The PDF of the whole report (appendix and one page per unit included) at 1× and 10× the units: seconds, pages,
   pages per second and peak memory (maxrss of a fresh process per size). 10× clones the units in memory (the
   unit-level figures, the appendix rows and the profiles grow tenfold; the national figures stay).
   The PDF is laid out in parts in worker processes (reports/render_pdf.py); its peak memory is the sum over the
   process and its children, sampled from /proc.
4. The stored HTML page served: an approved, published report fetched anonymously by wrk from gunicorn (2 workers,
   2 threads) through the full stack (middleware, permission check, stored bytes), with and without the ETag; the
   baseline in the same run is a bare Django view returning the same bytes from the same kind of server
   (benchmarks/bare_report_page.py).

Targets: computation ≤ 3× the read; the full PDF under 60 s and 1 GiB; the stored page p99 < 100 ms.
Run: .venv/bin/python benchmarks/report.py [--years 2017-2024] [--year 2023] [--factors 1,10] [--seconds 15]
     [--database existing.sqlite3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PYTHON, ROOT, Check, app_env, log, manage, summary  # noqa: E402

TARGET_RATIO = 3.0
TARGET_PDF_SECONDS = 60.0
TARGET_PDF_MIB = 1024.0
TARGET_P99_MS = 100.0


def env_for(database: Path) -> dict[str, str]:
    return app_env(f"sqlite:///{database}", DJANGO_SETTINGS_MODULE="kartlegg.settings")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django() -> None:
    import django

    django.setup()


# Workers (each in a fresh process)


def scale_inputs(inputs: Any, factor: int) -> Any:
    """The inputs with every unit cloned `factor` times (unit-level series and the unit list)."""
    if factor == 1:
        return inputs
    from kartlegg.reports.inputs import UNIT

    units = [replace(u, code=f"{u.code}{i:02d}" if i else u.code, name=f"{u.name} {i}" if i else u.name)
             for i in range(factor) for u in inputs.units]  # fmt: skip
    series = {}
    for key, s in inputs.series.items():
        if s.level != UNIT:
            series[key] = s
            continue
        cells = dict(s.cells)
        regions = list(s.regions)
        for i in range(1, factor):
            cells.update({(f"{code}{i:02d}", year): fig for (code, year), fig in s.cells.items()})
            regions += [(f"{code}{i:02d}", f"{label} {i}") for code, label in s.regions]
        series[key] = replace(s, cells=cells, regions=regions)
    return replace(inputs, units=units, series=series)


def worker_compute(year: int) -> dict[str, Any]:
    setup_django()
    from kartlegg.reports.compute import compute_report
    from kartlegg.reports.render_html import render_html
    from kartlegg.reports.sources import read_inputs

    read_inputs(year)  # warms any cold slice (computed and stored once), so the timed read is a read
    started = time.perf_counter()
    inputs = read_inputs(year)
    read = time.perf_counter() - started
    started = time.perf_counter()
    document = compute_report(inputs)
    computed = time.perf_counter() - started
    svgs: dict[str, str] = {}
    started = time.perf_counter()
    render_html(document, svgs=svgs)
    html_cold = time.perf_counter() - started
    started = time.perf_counter()
    html = render_html(document, svgs=svgs)
    html_warm = time.perf_counter() - started
    return {"read": read, "compute": computed, "html_cold": html_cold, "html_warm": html_warm,
            "html_bytes": len(html), "figures": len(svgs), "units": len(inputs.units)}  # fmt: skip


class TreeMemory:
    """Peak resident memory of this process and all its children together (the PDF's worker processes), sampled
    from /proc every 50 ms: the figure the 1 GiB target is about (maxrss gives one process at a time)."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_rss_mib(pid) for pid in _tree(os.getpid())))
            self._stop.wait(0.05)


def _tree(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_pdf(year: int, factor: int) -> dict[str, Any]:
    setup_django()
    import io

    from pypdf import PdfReader

    from kartlegg.reports.compute import compute_report
    from kartlegg.reports.render_pdf import PdfStats, pdf_workers, render_pdf
    from kartlegg.reports.sources import read_inputs

    inputs = scale_inputs(read_inputs(year), factor)
    started = time.perf_counter()
    document = compute_report(inputs)
    computed = time.perf_counter() - started
    before = peak_mib()
    stats = PdfStats()
    cpu = time.process_time()
    with TreeMemory() as memory:
        started = time.perf_counter()
        content = render_pdf(document, stats=stats)
        seconds = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(content)).pages)
    layout_cpu = stats.cpu.get("count", 0.0) + stats.cpu.get("render", 0.0)
    return {"factor": factor, "compute": computed, "pdf_seconds": seconds, "pages": pages, "bytes": len(content),
            "peak_mib": memory.peak, "parent_peak_mib": peak_mib(), "worker_peak_mib": stats.worker_peak_mib,
            "peak_before_pdf_mib": before, "units": len(inputs.units), "parts": stats.parts, "passes": stats.passes,
            "workers": pdf_workers(), "cpu": layout_cpu + (time.process_time() - cpu), "steps": stats.seconds,
            "cpu_steps": stats.cpu}  # fmt: skip


def worker_publish(year: int) -> dict[str, Any]:
    """Build the year's report, approve and publish it; answer its id and the stored page's size."""
    setup_django()
    from django.utils import timezone

    from kartlegg.analytics.models import Publication
    from kartlegg.reports import services
    from kartlegg.reports.models import ReportStatus

    stored = services.build_report(year)
    stored.status = ReportStatus.APPROVED
    stored.save(update_fields=["status"])
    Publication.objects.update_or_create(year=year, defaults={"published_at": timezone.now()})
    return {"pk": stored.pk, "html_bytes": len(stored.html.encode())}


def run_wrk(url: str, seconds: int, connections: int, etag: str = "") -> dict[str, Any]:
    from benchmarks._common import need_tools, read_json_lines

    wrk = need_tools("wrk")["wrk"]
    script = ROOT / "benchmarks" / "lua" / "latency.lua"
    command = [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False,
                          env={**os.environ, "KARTLEGG_BENCH_ETAG": etag})  # fmt: skip
    found = read_json_lines(done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"wrk feilet: {done.stderr.strip() or done.stdout.strip()}")
    return found[-1]


def measure_serving(env: dict[str, str], pk: int, seconds: int, connections: int) -> dict[str, Any]:
    """The stored page through the full stack (gunicorn, middleware, permission check), with and without the
    browser's ETag, against a bare Django view returning the same bytes on the same kind of server (same run)."""
    import urllib.request

    from benchmarks._common import gunicorn

    results: dict[str, Any] = {}
    with gunicorn(env, workers=2, threads=2) as server:
        url = f"{server.url}/rapporter/{pk}/"
        with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - loopback URL we built
            etag = answer.headers.get("ETag", "")
            results["page_bytes"] = len(answer.read())
        run_wrk(url, 2, connections)  # warm-up
        results["full"] = run_wrk(url, seconds, connections)
        results["etag"] = run_wrk(url, seconds, connections, etag=etag)
    with gunicorn({**env, "KARTLEGG_BENCH_REPORT": str(pk)}, workers=2, threads=2,
                  app="benchmarks.bare_report_page:application") as bare:  # fmt: skip
        run_wrk(f"{bare.url}/bare/", 2, connections)
        results["bare"] = run_wrk(f"{bare.url}/bare/", seconds, connections)
    return results


def run_worker(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run([PYTHON, __file__, "--worker", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=3600, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} feilet:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--years", default="2017-2024")
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--factors", default="1,10")
    parser.add_argument("--seconds", type=int, default=15, help="seconds of wrk load per server")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--database", help="an existing SQLite database with demo data and aggregates (reused)")
    args = parser.parse_args()
    if args.worker:
        task, *rest = args.worker
        if task == "compute":
            result = worker_compute(int(rest[0]))
        elif task == "pdf":
            result = worker_pdf(int(rest[0]), int(rest[1]))
        else:
            result = worker_publish(int(rest[0]))
        print(json.dumps(result))
        return 0
    factors = [int(f) for f in args.factors.split(",") if f.strip()]
    with tempfile.TemporaryDirectory(prefix="kartlegg-report-bench-") as folder:
        database = Path(args.database) if args.database else Path(folder) / "bench.sqlite3"
        env = env_for(database)
        manage(env, "migrate", "--no-input", "-v0")  # a reused database gets the newest migrations too
        if not args.database:
            log(f"Demodata {args.years} og aggregater i {database} …")
            manage(env, "load_reference")
            manage(env, "make_demo_data", "--years", args.years, timeout=3600)
            manage(env, "compute_aggregates", "--all", timeout=3600)
        log("Lesing mot beregning, og HTML …")
        measured = run_worker(env, "compute", str(args.year))
        ratio = measured["compute"] / measured["read"] if measured["read"] else float("inf")
        checks = [
            Check("Lesing av aggregatene", f"{measured['read']:.2f} s", "", None),
            Check("Beregning av rapporten", f"{measured['compute']:.2f} s ({ratio:.2f}× lesingen)",
                  f"≤ {TARGET_RATIO:.0f}×", ratio <= TARGET_RATIO),
            Check("HTML (diagrammer til SVG)", f"{measured['html_cold']:.2f} s, {measured['figures']} figurer",
                  "", None),
            Check("HTML (SVG gjenbrukt)", f"{measured['html_warm']:.2f} s, "
                  f"{measured['html_bytes'] / 1e6:.1f} MB", "", None),
        ]  # fmt: skip
        for factor in factors:
            log(f"PDF ved {factor}× …")
            pdf = run_worker(env, "pdf", str(args.year), str(factor))
            rate = pdf["pages"] / pdf["pdf_seconds"] if pdf["pdf_seconds"] else 0.0
            target = factor == 1
            steps = ", ".join(f"{k} {v:.1f}" for k, v in pdf["steps"].items())
            checks.append(Check(
                f"PDF {factor}× ({pdf['units']} enheter)",
                f"{pdf['pdf_seconds']:.1f} s, {pdf['pages']} sider, {rate:.1f} sider/s, topp {pdf['peak_mib']:.0f} MiB",
                f"< {TARGET_PDF_SECONDS:.0f} s og {TARGET_PDF_MIB:.0f} MiB" if target else "",
                (pdf["pdf_seconds"] < TARGET_PDF_SECONDS and pdf["peak_mib"] < TARGET_PDF_MIB) if target else None,
            ))  # fmt: skip
            checks.append(Check(f"  PDF {factor}× i deler", f"{pdf['parts']} deler, {pdf['passes']} pass, "
                                f"{pdf['workers']} prosesser; CPU {pdf['cpu']:.1f} s; steg (s): {steps}; "
                                f"hovedprosess {pdf['parent_peak_mib']:.0f} MiB, største arbeider "
                                f"{pdf['worker_peak_mib']:.0f} MiB", "", None))  # fmt: skip
            checks.append(Check(f"Beregning {factor}×", f"{pdf['compute']:.2f} s", "", None))
        log("Lagret HTML-side servert (gunicorn + wrk) …")
        published = run_worker(env, "publish", str(args.year))
        served = measure_serving(env, published["pk"], args.seconds, args.connections)
        full, etag, bare = served["full"], served["etag"], served["bare"]
        checks.append(
            Check(
                "Lagret rapportside (full stakk)",
                f"p50 {full['p50_ms']:.1f} ms, p99 {full['p99_ms']:.1f} ms, {full['requests']} kall "
                f"({served['page_bytes'] / 1e6:.2f} MB), {full['other']} feil",
                f"p99 < {TARGET_P99_MS:.0f} ms",
                full["p99_ms"] < TARGET_P99_MS and not full["other"],
            )
        )
        checks.append(
            Check(
                "  samme med If-None-Match (304)",
                f"p50 {etag['p50_ms']:.1f} ms, p99 {etag['p99_ms']:.1f} ms, "
                f"{etag['not_modified']} av {etag['requests']} svar 304",
                "",
                None,
            )
        )
        checks.append(Check("  grunnlinje: bar Django-visning, samme bytes",
                            f"p50 {bare['p50_ms']:.1f} ms, p99 {bare['p99_ms']:.1f} ms; full/bar p99 "
                            f"{full['p99_ms'] / max(bare['p99_ms'], 0.01):.2f}×", "", None))  # fmt: skip
    ok = summary(
        f"Årsrapporten {args.year}", checks, [f"Data {args.database or args.years}, SQLite, {os.cpu_count()} kjerner."]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
