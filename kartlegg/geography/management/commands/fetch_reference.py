"""`python manage.py fetch_reference --to DIR [--years 2017-2024] [--only klass,kostra,population,health,geo] [--quiet]`

Downloads the reference tables from SSB (KLASS and StatBank), SKDE and Kartverket and writes them in the reference
folder's formats, so `load_reference --dir DIR` can read them. Atomic: a failed run leaves DIR as it was.
See docs/reference-data.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.geography.downloader import (
    DEFAULT_YEARS,
    PARTS,
    DownloadError,
    FetchOptions,
    fetch_reference,
    parse_only,
    parse_years,
)


class Command(BaseCommand):
    help = "Henter referansedata (kommuner, befolkning, helseregioner, kart) fra SSB, SKDE og Kartverket."
    # Tests hand in an HttpClient with a fake clock; there is no command-line flag for it.
    stealth_options = ("http_client",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--to", dest="destination", required=True, help="Mappen filene skrives til")
        parser.add_argument(
            "--years",
            default=f"{DEFAULT_YEARS[0]}-{DEFAULT_YEARS[1]}",
            help="År, f.eks. 2017-2024, 2024 eller 2017,2019 (standard: %(default)s)",
        )
        parser.add_argument(
            "--only", default=",".join(PARTS), help=f"Bare disse delene, kommaskilt: {', '.join(PARTS)}"
        )
        parser.add_argument("--quiet", action="store_true", help="Ingen fremdriftsvisning, bare feil")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            years = parse_years(options["years"])
            parts = parse_only(options["only"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        fetch_options = FetchOptions(years=years, parts=parts, quiet=options["quiet"])
        try:
            result = fetch_reference(options["destination"], fetch_options, client=options.get("http_client"))
        except DownloadError as error:
            raise CommandError(
                f"Henting av referansedata feilet, {options['destination']} er uendret. {error}"
            ) from error
        if not options["quiet"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Skrev {len(result.files)} filer til {result.destination} "
                    f"({result.requests} forespørsler, år {years[0]}–{years[-1]}, deler: {', '.join(parts)})."
                )
            )
