"""Pulse surveys: closing a wave and building its quick report, against reading the wave's answers (issue 16,
point 6).

On a throwaway SQLite database with the reference data, the 2020 pulse questionnaire and synthetic units (the 370
real units of 2020 at 1×; clones up to about 37 000 units at 100×), a series opens two waves through the schedule
(open_round: one response per unit), every unit answers in both (bulk, ~75 %), and then, per size:

- read: services.read_series up to the second wave (the answers of both waves, on time only), the floor;
- close: services.run_schedule at the second wave's closing time (closing it, idempotently);
- report: services.build_quick_report (trends, sentences, HTML and the PDF through the report machinery), after a
  first report in the same process (the JavaScript runtime of the charts and the fonts load once per process).

The growth per 10× units is (t(100×) / t(1×)) ** (1/2) for each; linear work grows about 10× per 10×. Targets:
closing and the report grow no faster than 12× per 10× (linear, with a fixed part), and closing + report at 100×
take at most 3× the read of the same run (the work on top of reading the answers is small).
Run: .venv/bin/python benchmarks/pulse.py [--factors 1,100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PYTHON, ROOT, Check, log, manage, summary  # noqa: E402

TARGET_GROWTH = 12.0
TARGET_RATIO = 3.0
FIRST = dt.date(2020, 3, 16)


def env_for(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"sqlite:///{database}", "DEBUG": "0", "KARTLEGG_DEMO_MODE": "1",
                "SECRET_KEY": "benchmark-only-" + "x" * 40, "DJANGO_SETTINGS_MODULE": "kartlegg.settings",
                "KARTLEGG_TASKS_BACKEND": "immediate"})  # fmt: skip
    return env


def worker(factor: int) -> dict[str, Any]:
    """One size, in a fresh process: units, a series with two answered waves, then the three timings."""
    import django

    django.setup()
    from django.utils import timezone

    from kartlegg.accounts.models import Role, User
    from kartlegg.geography.models import ReportingUnit
    from kartlegg.pulse import services
    from kartlegg.pulse.models import Wave
    from kartlegg.responses.models import Answer, Response, ResponseStatus
    from kartlegg.surveys.models import QuestionnaireVersion
    from kartlegg.surveys.services import import_questionnaire

    version = QuestionnaireVersion.objects.filter(survey__code="puls-korona").first() or import_questionnaire(
        ROOT / "questionnaires" / "pulse-2020.yaml"
    )
    analyst = User.objects.filter(username="bench-analyst").first() or User.objects.create_user(
        "bench-analyst", password="x" * 20, role=Role.ANALYST
    )
    real = list(ReportingUnit.objects.filter(year=2020).exclude(code__startswith="9").order_by("code"))
    wanted = len(real) * factor
    have = ReportingUnit.objects.filter(year=2020).count()
    clones = []
    for i in range(have, wanted):
        base = real[i % len(real)]
        clones.append(ReportingUnit(year=2020, code=f"9{i:05d}", name=f"{base.name} {i}", kind=base.kind,
                                    municipality_code=base.municipality_code, county_code=base.county_code,
                                    rhf_code=base.rhf_code, rhf_name=base.rhf_name, size_group=base.size_group,
                                    population_total=base.population_total))  # fmt: skip
    ReportingUnit.objects.bulk_create(clones, batch_size=2000)
    codes = list(ReportingUnit.objects.filter(year=2020).order_by("code").values_list("code", flat=True))[:wanted]
    series = services.start_series(version, name=f"Benchmark {factor}×", first_date=FIRST,
                                   end_date=FIRST + dt.timedelta(days=14), scope="list", unit_codes=codes,
                                   user=analyst)  # fmt: skip

    def at(day: dt.date, hour: int) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))

    rng = random.Random(factor)
    questions = services.data.questions_of(series)
    for number, day in ((1, FIRST), (2, FIRST + dt.timedelta(days=14))):
        services.run_schedule(at(day, 9))
        wave = Wave.objects.get(series=series, number=number)
        responses = list(Response.objects.filter(round=wave.round))
        answers = []
        for response in responses:
            if rng.random() >= 0.75:
                continue
            response.status, response.submitted_at = ResponseStatus.SUBMITTED, at(day, 12)
            for q in questions:
                value = rng.choice(q.categories)[0] if q.kind == "share" else str(round(rng.uniform(0, 5), 1))
                answers.append(Answer(response=response, variable=q.code, value_text=value))
        Response.objects.bulk_update(responses, ["status", "submitted_at"], batch_size=2000)
        Answer.objects.bulk_create(answers, batch_size=5000)
    second = Wave.objects.get(series=series, number=2)
    # The process's first chart and PDF start vl-convert's JavaScript runtime and load the fonts: a fixed cost a
    # running worker pays once. Paid here on the first wave, timed apart.
    started = time.perf_counter()
    services.build_quick_report(Wave.objects.select_related("series__version", "round").get(series=series, number=1))
    cold = time.perf_counter() - started

    started = time.perf_counter()
    data = services.read_series(series, up_to=second, on_time_only=True)
    read = time.perf_counter() - started
    started = time.perf_counter()
    report = services.run_schedule(second.closes_at + dt.timedelta(minutes=1))
    close = time.perf_counter() - started
    assert report.closed == [second.pk], report
    started = time.perf_counter()
    stored = services.build_quick_report(Wave.objects.select_related("series__version", "round").get(pk=second.pk))
    build = time.perf_counter() - started
    answered = sum(len(a) for a in data.answers)
    return {"factor": factor, "units": len(codes), "answered": answered, "cold": cold, "read": read, "close": close,
            "report": build, "pdf_kib": len(stored.pdf or b"") / 1024}  # fmt: skip


def run_worker(env: dict[str, str], factor: int) -> dict[str, Any]:
    done = subprocess.run([PYTHON, __file__, "--worker", str(factor)], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=7200, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"Målingen for {factor}× feilet:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--factors", default="1,100", help="unit multiples, the smallest first (default 1,100)")
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    factors = sorted({int(f) for f in args.factors.split(",") if f.strip()})
    if len(factors) < 2 or factors[0] < 1:
        parser.error("--factors: oppgi minst to multipler, f.eks. 1,100")
    with tempfile.TemporaryDirectory(prefix="kartlegg-pulse-bench-") as folder:
        env = env_for(Path(folder) / "bench.sqlite3")
        log("Database, referansedata")
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "load_reference", timeout=1800)
        results = []
        for factor in factors:
            log(f"{factor}× enheter")
            results.append(run_worker(env, factor))
            log(json.dumps(results[-1]))
    small, large = results[0], results[-1]
    decades = max(1e-9, (large["units"] / small["units"]))
    exponent = 1 / math.log10(decades)

    def growth(key: str) -> float:
        return float((large[key] / max(small[key], 1e-9)) ** exponent)

    checks = [
        Check(f"enheter {small['factor']}× / {large['factor']}×", f"{small['units']} / {large['units']}", "", None),
        Check("enheter med svar, begge målinger", str(large["answered"]), "", None),
        Check("første rapport i prosessen, s", f"{small['cold']:.2f} / {large['cold']:.2f}", "", None),
        Check("lese svarene, s", f"{small['read']:.2f} / {large['read']:.2f}", "", None),
        Check("stenge målingen, s", f"{small['close']:.3f} / {large['close']:.3f}", "", None),
        Check("hurtigrapporten, s", f"{small['report']:.2f} / {large['report']:.2f}", "", None),
        Check("vekst per 10×: lese", f"{growth('read'):.1f}×", "", None),
        Check("vekst per 10×: stenge", f"{growth('close'):.1f}×", f"≤ {TARGET_GROWTH:.0f}×",
              growth("close") <= TARGET_GROWTH),
        Check("vekst per 10×: rapport", f"{growth('report'):.1f}×", f"≤ {TARGET_GROWTH:.0f}×",
              growth("report") <= TARGET_GROWTH),
        Check("(stenge + rapport) ÷ lese, størst", f"{(large['close'] + large['report']) / large['read']:.2f}",
              f"≤ {TARGET_RATIO:.0f}", (large["close"] + large["report"]) / large["read"] <= TARGET_RATIO),
    ]  # fmt: skip
    notes = ["Vekst per 10× = (t(stor) / t(liten)) ^ (1 / log10(stor/liten)); lineært arbeid gir om lag 10×.",
             f"PDF: {large['pdf_kib']:.0f} KiB."]  # fmt: skip
    return 0 if summary("Pulsundersøkelser: stenge en måling og bygge hurtigrapporten", checks, notes) else 1


if __name__ == "__main__":
    sys.exit(main())
