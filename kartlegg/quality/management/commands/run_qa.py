"""manage.py run_qa --round ROUND [--unit CODE ...]: run the QA checks on a round and bring its flags up to date.

Idempotent: re-running updates and reopens flags without duplicating them; a flag that no longer fires is resolved
by data unless an analyst settled it. Safe to run from cron.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kartlegg.lib.numbers import format_number
from kartlegg.quality import services
from kartlegg.quality.checks import QAConfigError, check_labels
from kartlegg.responses.models import Response

from ._common import find_round


class Command(BaseCommand):
    help = "Kjører kvalitetskontrollene på en runde og oppdaterer flaggene (kan kjøres flere ganger)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--round", required=True, help="Rundens nummer (id) eller navn.")
        parser.add_argument("--unit", action="append", default=[], help="Bare denne enheten (kan gjentas).")
        parser.add_argument("--no-progress", action="store_true", help="Ingen fremdriftslinje.")

    def handle(self, *args: Any, **options: Any) -> None:
        round_obj = find_round(options["round"])
        units = options["unit"] or None
        if units:
            known = set(Response.objects.filter(round=round_obj).values_list("unit__code", flat=True))
            unknown = [code for code in units if code not in known]
            if unknown:
                raise CommandError(f"Enheten(e) {', '.join(unknown)} er ikke med i runden «{round_obj.name}».")
        total = len(units) if units else Response.objects.filter(round=round_obj).count()
        with tqdm(
            total=total, desc="Kontrollerer", unit="enhet", file=sys.stderr, disable=options["no_progress"]
        ) as bar:
            try:
                report = services.run_checks(round_obj, units=units, progress=lambda _unit: bar.update(1))
            except QAConfigError as exc:
                raise CommandError(f"Kontrolloppsettet for skjemaet er ugyldig: {exc}") from exc
        labels = check_labels()
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"{round_obj.name}: {format_number(report.units, space=' ')} enheter kontrollert på "
                f"{format_number(report.seconds, 2, space=' ')} s, {report.candidates} funn."
            )
        )
        out.write(
            f"  nye flagg {report.created}, oppdatert {report.updated}, åpnet igjen {report.reopened}, "
            f"løst av data {report.resolved}, uendret {report.unchanged}"
        )
        for check, count in sorted(report.by_check.items(), key=lambda item: -item[1]):
            out.write(f"  {labels.get(check, check)}: {count}")
