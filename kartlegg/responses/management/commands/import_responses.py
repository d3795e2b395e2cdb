"""Import responses for a round from a long CSV or a wide XLSX, all or nothing.

Every row is checked first and every problem is printed with its row number; if there is one, nothing is written.
Otherwise the file is written in one transaction through the same service as the web form (channel "import"), so
each change is audited. --dry-run checks and counts the changes without writing anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.accounts.models import User
from kartlegg.responses.importers import ResponseImportError, import_responses
from kartlegg.responses.models import Round
from kartlegg.responses.spreadsheets import FileFormatError

MAX_FILE_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = "Imports responses from CSV (unit_code,variable,value[,comment]) or XLSX (one row per unit), all or nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV (UTF-8, comma or semicolon) or XLSX file.")
        parser.add_argument("--round", type=int, dest="round_id", required=True, help="The round's id.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count changes; write nothing.")
        parser.add_argument("--user", help="Username the changes are attributed to in the audit log (an analyst).")

    def handle(self, *args: Any, file: str, round_id: int, dry_run: bool, user: str | None, **options: Any) -> None:
        round_obj = Round.objects.select_related("version").filter(pk=round_id).first()
        if round_obj is None:
            raise CommandError(f"Fant ingen runde med id {round_id}.")
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None or not actor.is_analyst:
                raise CommandError(f"Fant ingen analytiker med brukernavnet «{user}».")
        path = Path(file)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"Filen er større enn {MAX_FILE_BYTES // (1024 * 1024)} MB.")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Kan ikke lese {file}: {exc.strerror or exc}") from None
        try:
            report = import_responses(round_obj, data, user=actor, dry_run=dry_run, source=path.name)
        except FileFormatError as exc:
            raise CommandError(str(exc)) from None
        except ResponseImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            count = len(exc.problems)
            raise CommandError(f"{count} feil i {path.name}. Ingenting er importert.") from None
        self.stdout.write(report.summary())
        if options.get("verbosity", 1) > 1:
            for code, changed in sorted(report.by_unit.items()):
                self.stdout.write(f"  {code}: {changed} endret")
