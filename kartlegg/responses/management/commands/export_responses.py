"""Export a round's responses: a long CSV (one row per value) or a wide XLSX (one row per unit).

Both are formula-injection safe and carry the demo mark in demo mode (kartlegg.lib.exports), and both can be
imported again with import_responses.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.responses import exports
from kartlegg.responses.models import Round


class Command(BaseCommand):
    help = "Exports a round's responses as long CSV or wide XLSX."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--round", type=int, dest="round_id", required=True, help="The round's id.")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv", dest="fmt")
        parser.add_argument("--out", help="Output file (default: standard output).")

    def handle(self, *args: Any, round_id: int, fmt: str, out: str | None, **options: Any) -> None:
        round_obj = Round.objects.select_related("version").filter(pk=round_id).first()
        if round_obj is None:
            raise CommandError(f"Fant ingen runde med id {round_id}.")
        data = exports.long_csv(round_obj) if fmt == "csv" else exports.wide_xlsx(round_obj)
        if out:
            try:
                Path(out).write_bytes(data)
            except OSError as exc:
                raise CommandError(f"Kan ikke skrive {out}: {exc.strerror or exc}") from None
            self.stderr.write(f"Skrev {out} ({len(data)} byte).")
            return
        stream = getattr(self.stdout, "_out", sys.stdout)
        buffer = getattr(stream, "buffer", None)
        if fmt == "xlsx" and (buffer is None or stream.isatty()):
            raise CommandError("XLSX er binært; bruk --out FIL.")
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:  # a text stream (as in tests)
            stream.write(data.decode("utf-8"))
