"""manage.py compute_aggregates [--all | --round R] [--structure 2024] [--imputation carry_forward|none]

Idempotent: every slice (variable × year × structure) it computes is deleted and written again in one
transaction. --all (the default) computes everything from scratch; --round R recomputes what is stored for that
round's year and the later years (their imputation may rest on it).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kartlegg.analytics import services
from kartlegg.analytics.imputation import RULES
from kartlegg.lib.numbers import format_number
from kartlegg.responses.models import Round


class Command(BaseCommand):
    help = "Beregner og lagrer aggregater for statistikken (alle variabler, nivåer og år), eller for én runde."

    def add_arguments(self, parser: CommandParser) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--all", action="store_true", help="Alt fra bunnen av (standard).")
        scope.add_argument("--round", type=int, help="Bare denne rundens år og årene etter.")
        parser.add_argument("--structure", type=int, help="Strukturåret tallene harmoniseres til (standard: nyeste).")
        parser.add_argument("--imputation", choices=RULES, help="Imputeringsregel (standard: KARTLEGG_IMPUTATION).")
        parser.add_argument(
            "--all-levels",
            action="store_true",
            help="Lagre også enhetsnivået og fylkene slik de var for alle variabler (ellers lagres de ved behov).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Ingen fremdriftslinje.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rule = options["imputation"]
        try:
            if options["round"] is not None:
                round_obj = Round.objects.filter(pk=options["round"]).first()
                if round_obj is None:
                    raise CommandError(f"Fant ingen runde med id {options['round']}.")
                result = services.recompute_for_round(round_obj, rule=rule)
            else:
                catalogue = services.catalogue()
                with tqdm(
                    total=len(catalogue.variables),
                    desc="Aggregater",
                    unit="variabel",
                    file=sys.stderr,
                    disable=options["no_progress"],
                ) as bar:
                    result = services.compute(
                        structure=options["structure"],
                        rule=rule,
                        all_levels=options["all_levels"],
                        progress=lambda _variable: bar.update(1),
                    )
        except services.StatisticsError as error:
            raise CommandError(str(error)) from error
        seconds = time.monotonic() - started
        if not result.years:
            self.stdout.write("Ingenting å beregne (ingen årlige runder, eller ingenting lagret for runden ennå).")
            return
        versions = ", ".join(f"{y}: {v}" for y, v in sorted(result.data_versions.items()) if y in result.years)
        self.stdout.write(
            self.style.SUCCESS(
                f"{format_number(result.rows, space=' ')} aggregater for {result.variables} variabler, "
                f"år {result.years[0]}–{result.years[-1]}, på {format_number(seconds, 1, ' ')} s."
            )
        )
        self.stdout.write(f"Datagrunnlag: {versions}.")
