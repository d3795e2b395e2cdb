"""manage.py freetext_suggest --codebook BOOK.yaml --train CODED.jsonl --predict ANSWERS.jsonl --out PRED.jsonl

Trains the suggester on the coded lines and writes, for each answer, the suggested codes and every code's
confidence. Works on files only (no database)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kartlegg.freetext.classify import CodeSpec, Suggester
from kartlegg.freetext.jsonl import JsonlError, read_jsonl, write_jsonl

from ._files import read_codebook


class Command(BaseCommand):
    help = "Foreslår koder for fritekstsvar ut fra kodede svar og en kodebok (filer inn, fil ut)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--codebook", required=True, help="Kodeboken (YAML).")
        parser.add_argument("--train", required=True, help="Kodede svar (JSONL med id, text, codes).")
        parser.add_argument("--predict", required=True, help="Svar som skal få forslag (JSONL med id, text).")
        parser.add_argument("--out", required=True, help="Forslagene (JSONL med id, codes, scores).")

    def handle(self, *args: Any, **options: Any) -> None:
        book = read_codebook(options["codebook"])
        specs = [CodeSpec(c.key, c.label, tuple(c.include), tuple(c.exclude), c.is_other) for c in book.codes()]
        try:
            train = read_jsonl(options["train"], need_codes=True, known_codes=[s.key for s in specs])
            answers = read_jsonl(options["predict"])
        except JsonlError as exc:
            raise CommandError(str(exc)) from exc
        suggester = Suggester(specs).fit([r["text"] for r in train], [set(r["codes"]) for r in train])
        predictions = suggester.predict([r["text"] for r in answers])
        written = write_jsonl(
            options["out"],
            (
                {"id": r["id"], "codes": p.codes(), "scores": p.scores}
                for r, p in zip(answers, predictions, strict=True)
            ),
        )
        source = "modeller" if suggester.models else "nøkkelordregler"
        self.stdout.write(f"Skrev forslag for {written} svar til {options['out']} ({source}).")
