"""Open, remind and close pulse waves that are due, and queue the quick reports of the waves closed. Safe to run from
cron as often as wanted (idempotent; catches up on missed days without opening a wave twice)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kartlegg.pulse.tasks import run_and_queue


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", default="", help="Kjør som om klokka er dette (ISO 8601, f.eks. 2020-03-20T09:00)."
        )
        parser.add_argument("--base-url", default=None, help="Adressen lenkene i e-postene peker til.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                message = f"--now: «{options['now']}» er ikke et tidspunkt (ISO 8601, 2020-03-20T09:00)."
                raise CommandError(message) from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        report = run_and_queue(now, options["base_url"])
        self.stdout.write(
            f"Åpnet {len(report.opened)}, stengt {len(report.closed)}, hoppet over {len(report.skipped)}, "
            f"påminnet {len(report.reminded)}, ferdige serier {len(report.finished)}."
        )
        for problem in report.problems:
            self.stderr.write(problem)
