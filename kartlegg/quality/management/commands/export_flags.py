"""manage.py export_flags --round ROUND [--format csv|xlsx] [--out FILE] [--state STATE]: the flag list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kartlegg.quality.exports import flags_csv, flags_xlsx
from kartlegg.quality.models import Flag
from kartlegg.quality.states import FlagState

from ._common import find_round


class Command(BaseCommand):
    help = "Eksporterer flaggene i en runde som CSV eller XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--round", required=True, help="Rundens nummer (id) eller navn.")
        parser.add_argument("--format", default="csv", help="csv (standard) eller xlsx.")
        parser.add_argument("--out", default="", help="Filen det skrives til (standard: skjermen for CSV).")
        parser.add_argument("--state", action="append", default=[], help="Bare flagg med denne statusen.")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["format"].strip().lower()
        if kind not in ("csv", "xlsx"):
            raise CommandError(f"Ukjent format «{options['format']}». Bruk csv eller xlsx.")
        bad = [s for s in options["state"] if s not in FlagState.values]
        if bad:
            raise CommandError(f"Ukjent status {', '.join(bad)}. Gyldige er {', '.join(FlagState.values)}.")
        if kind == "xlsx" and not options["out"]:
            raise CommandError("XLSX må skrives til en fil: bruk --out FIL.xlsx.")
        round_obj = find_round(options["round"])
        flags = Flag.objects.filter(round=round_obj).select_related("unit").order_by("-impact", "unit__code", "id")
        if options["state"]:
            flags = flags.filter(state__in=options["state"])
        content = flags_xlsx(flags) if kind == "xlsx" else flags_csv(flags)
        if not options["out"]:
            self.stdout.write(content.decode("utf-8"), ending="")
            return
        path = Path(options["out"])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Kunne ikke skrive {path}: {exc.strerror or exc}") from exc
        self.stderr.write(f"{flags.count()} flagg skrevet til {path}.")
