"""`manage.py restore FILE [--force]`: restore a backup, all or nothing, and compare every table's checksum."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.ops import backup


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database (or any, with --force), and verify it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The backup file.")
        parser.add_argument("--force", action="store_true", help="Replace a database that already holds data.")

    def handle(self, *args: Any, file: str, force: bool, **options: Any) -> None:
        started = time.monotonic()
        try:
            manifest, differing = backup.restore(Path(file), force=force)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        if differing:
            raise CommandError(f"Gjenopprettet, men sjekksummen stemmer ikke for: {', '.join(differing)}.")
        self.stdout.write(
            f"Gjenopprettet {file}: {len(manifest.tables)} tabeller, alle sjekksummer stemmer "
            f"({time.monotonic() - started:.1f} s)."
        )
