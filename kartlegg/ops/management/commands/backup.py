"""`manage.py backup --out FILE`: the whole database in one file, with every table's checksum (kartlegg.ops.backup)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.ops import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump or SQLite's online backup) with per-table checksums."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="The backup file to write (a tar file).")

    def handle(self, *args: Any, out: str, **options: Any) -> None:
        started = time.monotonic()
        try:
            manifest = backup.backup(Path(out))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(t.rows for t in manifest.tables.values())
        self.stdout.write(
            f"Sikkerhetskopi {out}: {len(manifest.tables)} tabeller, {rows} rader, "
            f"{Path(out).stat().st_size / 1e6:.1f} MB, {time.monotonic() - started:.1f} s."
        )
