"""manage.py compute_aggregates [--all | --round R [--data-version N]] [--structure 2024] [--imputation …]

Idempotent: every slice (variable × year × structure × version) it computes is deleted and written again in one
transaction. --all (the default) computes the live figures from scratch, then pins every locked year's newest data
version that has no figures yet; --round R recomputes what is stored of the live figures for that round's year and
the years whose imputation rests on it; --round R --data-version N rebuilds the pinned figures of data version N
from the data they were first computed from (identical figures).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kartlegg.analytics import services
from kartlegg.analytics.imputation import RULES
from kartlegg.analytics.services import versions as services_versions
from kartlegg.lib.numbers import format_number
from kartlegg.responses.models import Round


class Command(BaseCommand):
    help = "Beregner og lagrer aggregater for statistikken (alle variabler, nivåer og år), eller for én runde."

    def add_arguments(self, parser: CommandParser) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--all", action="store_true", help="Alt fra bunnen av (standard).")
        scope.add_argument("--round", type=int, help="Bare denne rundens år og årene etter.")
        parser.add_argument(
            "--data-version", type=int, help="Med --round: bygg de festede tallene for denne dataversjonen på nytt."
        )
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
        if options["data_version"] is not None and options["round"] is None:
            raise CommandError("--data-version gjelder én runde: oppgi også --round.")
        if options["data_version"] is not None and options["data_version"] < 1:
            raise CommandError("--data-version må være et positivt heltall.")
        try:
            if options["round"] is not None:
                round_obj = Round.objects.filter(pk=options["round"]).first()
                if round_obj is None:
                    raise CommandError(f"Fant ingen runde med id {options['round']}.")
                if options["data_version"] is not None:
                    result = services_versions.pin(round_obj, options["data_version"], rule=rule, rebuild=True)
                else:
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
                pinned = services_versions.pin_missing(rule)
                if pinned.years:
                    self.stdout.write(
                        f"Festet dataversjoner: {', '.join(f'{y}: {k}' for y, k in sorted(pinned.keys.items()))}."
                    )
        except services.StatisticsError as error:
            raise CommandError(str(error)) from error
        seconds = time.monotonic() - started
        if not result.years:
            self.stdout.write("Ingenting å beregne (ingen årlige runder, eller ingenting lagret for runden ennå).")
            return
        versions = ", ".join(f"{y}: {v}" for y, v in sorted(result.data_versions.items()) if y in result.years)
        stored = ", ".join(sorted(set(result.keys.values())))
        self.stdout.write(
            self.style.SUCCESS(
                f"{format_number(result.rows, space=' ')} aggregater for {result.variables} variabler, "
                f"år {result.years[0]}–{result.years[-1]}, på {format_number(seconds, 1, ' ')} s."
            )
        )
        self.stdout.write(f"Datagrunnlag: {versions}. Lagret som: {stored}.")
