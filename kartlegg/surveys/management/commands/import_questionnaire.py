"""python manage.py import_questionnaire FILE [--replace]: check the whole file and import it, or list every
problem with its line number and import nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kartlegg.surveys.services import QuestionnaireImportError, import_questionnaire


class Command(BaseCommand):
    help = "Importer en skjemaversjon fra YAML (alt eller ingenting)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="YAML-fil(er) med skjemaversjoner, i kronologisk rekkefølge")
        parser.add_argument("--replace", action="store_true", help="erstatt en versjon som finnes fra før")
        parser.add_argument("--draft", action="store_true", help="importer som upublisert utkast")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for path in options["files"]:
            try:
                version = import_questionnaire(
                    path, replace=options["replace"], published=False if options["draft"] else None
                )
            except QuestionnaireImportError as exc:
                failed = True
                self.stderr.write(f"{path}: {len(exc.problems)} problem(er), ingenting er importert:")
                for problem in exc.problems:
                    self.stderr.write(
                        f"  {path}:{problem.line}: {problem.message}"
                        if problem.line
                        else f"  {path}: {problem.message}"
                    )
                continue
            defn = version.definition()
            self.stdout.write(
                f"{path}: importerte {version} (id {version.pk}) med {len(defn.sections)} deler, "
                f"{len(defn.questions)} spørsmål og {len(defn.rules)} regler."
            )
        if failed:
            raise CommandError("Minst én fil ble ikke importert.")
