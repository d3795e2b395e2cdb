"""The round's change log (/innsamling/runder/<round>/endringslogg.csv): does it stream a big round in flat memory?

In a throwaway SQLite file: migrate, load the reference data, open a 2024 round (one response per unit), write
`--per-unit` audit rows per response (value changes through the import channel), and stream the export through
the view's own generator twice: at 1× and at 10× the rows. Reports rows per second and the peak memory traced while
streaming. Target: the peak at 10× the rows at most 1,5 times the peak at 1× (memory does not grow with the round).

Run: .venv/bin/python benchmarks/audit_export.py [--per-unit 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import Check, log, summary  # noqa: E402 - the project root must be on the path first

TARGET_GROWTH = 1.5


def fill(round_obj: object, per_unit: int) -> int:
    from kartlegg.accounts.models import AuditEvent, Channel
    from kartlegg.responses.models import Response

    AuditEvent.objects.filter(channel=Channel.IMPORT).delete()
    rows = []
    for pk, code in Response.objects.filter(round=round_obj).values_list("pk", "unit__code"):
        for i in range(per_unit):
            rows.append(
                AuditEvent(
                    action="answer.changed", channel=Channel.IMPORT, object_type="responses.response",
                    object_id=str(pk), unit_code=code, variable="B_arsverk.ledelse.psykolog",
                    old_value=f"{i}.5", new_value=f"{i + 1}.5", detail={"round": round_obj.pk},  # type: ignore[attr-defined]
                )
            )  # fmt: skip
    AuditEvent.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def stream(round_obj: object) -> tuple[float, int, int, int]:
    """(seconds, bytes, chunks, peak traced bytes) for one full export."""
    from kartlegg.lib.exports import csv_stream
    from kartlegg.responses.services import history

    tracemalloc.start()
    started = time.perf_counter()
    size = chunks = 0
    for chunk in csv_stream(history.AUDIT_HEADER, history.audit_rows(round_obj)):  # type: ignore[arg-type]
        size += len(chunk)
        chunks += 1
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, size, chunks, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-unit", type=int, default=20, help="Loggrader per enhet ved 1× (standard 20).")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kartlegg-audit-bench-"))
    try:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "kartlegg.settings"
        os.environ["LOG_LEVEL"] = "ERROR"
        import django

        django.setup()
        return run(args.per_unit)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(per_unit: int) -> int:
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from kartlegg.accounts.models import Role, User
    from kartlegg.responses import services
    from kartlegg.surveys.services import import_questionnaire

    log("migrate og load_reference …")
    call_command("migrate", verbosity=0)
    call_command("load_reference", "--quiet")
    import_questionnaire(ROOT / "questionnaires" / "annual-2020.yaml")
    version = import_questionnaire(ROOT / "questionnaires" / "annual-2024.yaml")
    analyst = User.objects.create(username="bench-analyst", role=Role.ANALYST)
    opens = timezone.now() - dt.timedelta(days=10)
    round_obj = services.open_round(
        version, name="Endringslogg 2024", year=2024, opens_at=opens, deadline=(opens + dt.timedelta(days=30)).date(),
        user=analyst,
    )  # fmt: skip
    results = []
    peaks = []
    for factor in (1, 10):
        log(f"{factor}×: skriver loggrader …")
        rows = fill(round_obj, per_unit * factor)
        seconds, size, chunks, peak = stream(round_obj)
        peaks.append(peak)
        results.append(Check(f"{factor}×: rader", f"{rows}", "", None))
        results.append(Check(f"{factor}×: rader per sekund", f"{rows / seconds:.0f}", "", None))
        results.append(Check(f"{factor}×: MB skrevet, biter", f"{size / 1e6:.1f}, {chunks}", "", None))
        results.append(Check(f"{factor}×: største minnebruk (MB)", f"{peak / 1e6:.1f}", "", None))
    growth = peaks[1] / peaks[0]
    results.append(Check("minnebruk 10× / 1×", f"{growth:.2f}", f"≤ {TARGET_GROWTH}", growth <= TARGET_GROWTH))
    passed = summary("Endringslogg per runde: strømmet CSV", results)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
