"""The annual report: how long does it take to compute, render and serve? (issue 13, point 7)

On a temporary SQLite database with the reference data, the demo data (make_demo_data) and its aggregates:

1. Reading against computing, in the same run: the report's reads of the stored aggregates (warm) and metadata
   (sources.read_inputs), then the computation of the whole document from them (compute.compute_report, pure).
2. The HTML render (with every chart rendered to SVG by vl-convert).
3. The PDF of the whole report (appendix and one page per unit included) at 1× and 10× the units: seconds, pages,
   pages per second and peak memory (maxrss of a fresh process per size). 10× clones the units in memory (the
   unit-level figures, the appendix rows and the profiles grow tenfold; the national figures stay).
4. The stored HTML page served: an approved, published report fetched anonymously through Django's full stack
   (middleware, view, template) 200 times, p50/p99.

Targets: computation ≤ 3× the read; the full PDF under 60 s and 1 GiB; the stored page p99 < 100 ms.
Run: .venv/bin/python benchmarks/report.py [--years 2017-2024] [--year 2023] [--factors 1,10] [--requests 200]
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

from benchmarks._common import PYTHON, ROOT, Check, log, manage, percentile, summary  # noqa: E402

TARGET_RATIO = 3.0
TARGET_PDF_SECONDS = 60.0
TARGET_PDF_MIB = 1024.0
TARGET_P99_MS = 100.0


def env_for(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"sqlite:///{database}", "DEBUG": "0", "KARTLEGG_DEMO_MODE": "1",
                "SECRET_KEY": "benchmark-only-" + "x" * 40, "DJANGO_SETTINGS_MODULE": "kartlegg.settings"})  # fmt: skip
    return env


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


def worker_pdf(year: int, factor: int) -> dict[str, Any]:
    setup_django()
    from pypdf import PdfReader

    from kartlegg.reports.compute import compute_report
    from kartlegg.reports.render_pdf import render_pdf
    from kartlegg.reports.sources import read_inputs

    inputs = scale_inputs(read_inputs(year), factor)
    started = time.perf_counter()
    document = compute_report(inputs)
    computed = time.perf_counter() - started
    before = peak_mib()
    started = time.perf_counter()
    content = render_pdf(document)
    seconds = time.perf_counter() - started
    import io

    pages = len(PdfReader(io.BytesIO(content)).pages)
    return {"factor": factor, "compute": computed, "pdf_seconds": seconds, "pages": pages, "bytes": len(content),
            "peak_mib": peak_mib(), "peak_before_pdf_mib": before, "units": len(inputs.units)}  # fmt: skip


def worker_serve(year: int, requests: int) -> dict[str, Any]:
    setup_django()
    from django.test import Client
    from django.utils import timezone

    from kartlegg.analytics.models import Publication
    from kartlegg.reports import services
    from kartlegg.reports.models import ReportStatus

    stored = services.build_report(year)
    stored.status = ReportStatus.APPROVED
    stored.save(update_fields=["status"])
    Publication.objects.update_or_create(year=year, defaults={"published_at": timezone.now()})
    client = Client()
    url = f"/rapporter/{stored.pk}/"
    for _ in range(5):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {"p50": percentile(times, 0.5), "p99": percentile(times, 0.99), "bytes": len(response.content),
            "requests": requests}  # fmt: skip


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
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", help="an existing SQLite database with demo data and aggregates (reused)")
    args = parser.parse_args()
    if args.worker:
        task, *rest = args.worker
        if task == "compute":
            result = worker_compute(int(rest[0]))
        elif task == "pdf":
            result = worker_pdf(int(rest[0]), int(rest[1]))
        else:
            result = worker_serve(int(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return 0
    factors = [int(f) for f in args.factors.split(",") if f.strip()]
    with tempfile.TemporaryDirectory(prefix="kartlegg-report-bench-") as folder:
        database = Path(args.database) if args.database else Path(folder) / "bench.sqlite3"
        env = env_for(database)
        if not args.database:
            log(f"Demodata {args.years} og aggregater i {database} …")
            manage(env, "migrate", "--no-input", "-v0")
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
            checks.append(Check(
                f"PDF {factor}× ({pdf['units']} enheter)",
                f"{pdf['pdf_seconds']:.1f} s, {pdf['pages']} sider, {rate:.1f} sider/s, topp {pdf['peak_mib']:.0f} MiB",
                f"< {TARGET_PDF_SECONDS:.0f} s og {TARGET_PDF_MIB:.0f} MiB" if target else "",
                (pdf["pdf_seconds"] < TARGET_PDF_SECONDS and pdf["peak_mib"] < TARGET_PDF_MIB) if target else None,
            ))  # fmt: skip
            checks.append(Check(f"Beregning {factor}×", f"{pdf['compute']:.2f} s", "", None))
        log("Lagret HTML-side servert …")
        served = run_worker(env, "serve", str(args.year), str(args.requests))
        checks.append(Check("Lagret rapportside", f"p50 {served['p50']:.1f} ms, p99 {served['p99']:.1f} ms "
                            f"({served['bytes'] / 1e6:.1f} MB)", f"p99 < {TARGET_P99_MS:.0f} ms",
                            served["p99"] < TARGET_P99_MS))  # fmt: skip
    ok = summary(
        f"Årsrapporten {args.year}", checks, [f"Data {args.database or args.years}, SQLite, {os.cpu_count()} kjerner."]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
