"""`manage.py prune_jobs [--days N]`: delete finished background jobs older than N days (KARTLEGG_JOBS_KEEP_DAYS)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kartlegg.jobs import services as jobs


class Command(BaseCommand):
    help = "Slett ferdige og feilede bakgrunnsoppgaver som ble avsluttet for mer enn N dager siden."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="Dager å beholde (standard KARTLEGG_JOBS_KEEP_DAYS)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = jobs.prune(options["days"])
        except jobs.JobError as error:
            raise CommandError(f"--days: {error}") from error
        self.stdout.write(f"Slettet {count} ferdige bakgrunnsoppgaver.")
