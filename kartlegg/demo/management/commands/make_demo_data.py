"""manage.py make_demo_data --seed N [--years 2017-2024]: synthetic answers for the demo (see kartlegg/demo/).

Idempotent: every run first deletes the rounds earlier runs made, then makes them again, in one transaction, so the
same seed and years give the same data. The planted errors are listed in var/demo_planted_errors.json.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from kartlegg.demo.grids import DemoDataError
from kartlegg.demo.run import RunResult, make_demo_data
from kartlegg.demo.sim import GROUPS
from kartlegg.lib.numbers import format_number

FIRST_YEAR, LAST_YEAR = 2017, 2024
GROUP_LABELS = {"adults": "voksne", "children": "barn og unge"}


def parse_years(text: str) -> list[int]:
    """`2017-2024` or `2023`; the reference data has units for 2017–2024."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*", text or "")
    if not match:
        raise CommandError(f"Ugyldig --years «{text}». Bruk for eksempel 2017-2024 eller 2023.")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first > last or first < FIRST_YEAR or last > LAST_YEAR:
        raise CommandError(f"--years må ligge innenfor {FIRST_YEAR}-{LAST_YEAR}, med første år først.")
    return list(range(first, last + 1))


def parse_codes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    codes = [c.strip() for c in text.split(",") if c.strip()]
    for code in codes:
        if not re.fullmatch(r"\d{4}|\d{6}", code):
            raise CommandError(f"Ugyldig enhetskode i --leave-open: «{code}».")
    return codes


class Command(BaseCommand):
    help = (
        "Lager syntetiske demodata: årlige runder med svar som summerer seg til de publiserte nasjonale "
        "årsverkstallene, realistisk frafall, plantede feil for kvalitetskontrollen og pulsundersøkelsen 2020."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Samme frø gir samme data (standard 42).")
        parser.add_argument(
            "--years", default=f"{FIRST_YEAR}-{LAST_YEAR}", help="År, for eksempel 2017-2024 eller 2023."
        )
        parser.add_argument(
            "--errors-file",
            default=str(Path(settings.BASE_DIR) / "var" / "demo_planted_errors.json"),
            help="Hvor listen over plantede feil skrives.",
        )
        parser.add_argument(
            "--leave-open",
            default=None,
            help="Enheter (kommaseparert) som står som ikke påbegynt i nyeste runde; standard er enhetene til "
            "demo-innloggingene. Tom streng for ingen.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Ingen fremdriftslinje.")

    def handle(self, *args: Any, **options: Any) -> None:
        years = parse_years(options["years"])
        leave_open = parse_codes(options["leave_open"])
        started = time.monotonic()
        steps = len(years) + 2
        with tqdm(total=steps, desc="Demodata", unit="steg", file=sys.stderr, disable=options["no_progress"]) as bar:

            def tick(label: str) -> None:
                bar.set_postfix_str(label)
                bar.update(1)

            try:
                with transaction.atomic():
                    result = make_demo_data(options["seed"], years, leave_open, tick)
            except DemoDataError as exc:
                raise CommandError(str(exc)) from exc
        path = Path(options["errors_file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.report(), ensure_ascii=False, indent=2), encoding="utf-8")
        self._summary(result, path, time.monotonic() - started)

    def _summary(self, result: RunResult, path: Path, seconds: float) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(f"Syntetiske demodata (frø {result.seed}), {format_number(seconds, 1)} s:"))
        if result.deleted_rounds:
            out.write(f"  erstattet {result.deleted_rounds} runder fra forrige kjøring")
        for outcome in result.outcomes:
            units = len(outcome.responders) + len(outcome.non_responders)
            parts = []
            for group in GROUPS:
                total = outcome.national_total(group)
                parts.append(
                    f"{GROUP_LABELS[group]} {format_number(total, 0, ' ')} "
                    f"(mål {format_number(outcome.target.total(group), 0, ' ')}, {outcome.target.basis})"
                )
            out.write(
                f"  {outcome.year}: {units} enheter, {len(outcome.non_responders)} uten svar, "
                f"{len(outcome.errors)} plantede feil; årsverk etter imputering: " + "; ".join(parts)
            )
        if result.pulse_rounds:
            out.write(f"  pulsundersøkelse: {len(result.pulse_rounds)} runder")
        out.write(f"  {format_number(result.answers, 0, ' ')} svarverdier skrevet")
        errors = [e for o in result.outcomes for e in o.errors]
        if errors:
            out.write(f"Plantede feil ({len(errors)}), lagret i {path}:")
            for error in errors:
                out.write(f"  {error.year} {error.unit} {error.kind}: {error.note}")
