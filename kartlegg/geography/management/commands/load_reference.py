"""`python manage.py load_reference [--dir DIR] [--quiet]`: load the reference folder (see shared/data/README.md).

Idempotent: the folder replaces the reference tables' content in one transaction, so a damaged file leaves the
database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kartlegg.geography.loader import ReferenceDataError, load_reference


class Command(BaseCommand):
    help = "Loads municipalities, reporting units, population, code changes, health regions and boundaries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", dest="directory", help="Reference folder (default: KARTLEGG_REFERENCE_DIR)")
        parser.add_argument("--quiet", action="store_true", help="Print nothing but errors")

    def handle(self, *args: Any, directory: str | None = None, quiet: bool = False, **options: Any) -> None:
        root = Path(directory or settings.KARTLEGG_REFERENCE_DIR)

        def progress(message: str) -> None:
            if not quiet:
                self.stdout.write(message)

        try:
            result = load_reference(root, progress=progress)
        except ReferenceDataError as error:
            raise CommandError(str(error)) from error
        if not quiet:
            for warning in result.warnings[:20]:
                self.stderr.write(f"Advarsel: {warning}")
            if len(result.warnings) > 20:
                self.stderr.write(f"… og {len(result.warnings) - 20} advarsler til")
            years = f"{result.years[0]}–{result.years[-1]}" if result.years else "ingen år"
            units = result.counts.get("ReportingUnit", 0)
            self.stdout.write(
                self.style.SUCCESS(f"Referansedata lastet fra {root} ({years}, {units} enheter) på {result.seconds} s.")
            )
