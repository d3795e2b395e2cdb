"""manage.py freetext_export --codebook ID --round ID --out ANSWERS.jsonl [--coder USERNAME]

One line per answer to the codebook's questions in the round: `{"id", "unit", "text", "codes"}`, where codes are
the final codes (or the given coder's), and absent for answers not yet coded."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kartlegg.freetext.jsonl import write_jsonl
from kartlegg.freetext.models import Codebook, Coding
from kartlegg.freetext.services.coding import answers_for, final_codes
from kartlegg.responses.models import Round


class Command(BaseCommand):
    help = "Skriver en rundes fritekstsvar og koder til en JSONL-fil."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--codebook", type=int, required=True, help="Kodebokens id.")
        parser.add_argument("--round", type=int, required=True, help="Rundens id.")
        parser.add_argument("--out", required=True)
        parser.add_argument("--coder", default="", help="Brukernavn: skriv denne koderens koder i stedet.")

    def handle(self, *args: Any, **options: Any) -> None:
        book = Codebook.objects.filter(pk=options["codebook"]).first()
        round_obj = Round.objects.filter(pk=options["round"]).first()
        if book is None:
            raise CommandError(f"Fant ingen kodebok med id {options['codebook']}.")
        if round_obj is None:
            raise CommandError(f"Fant ingen runde med id {options['round']}.")
        answers = list(answers_for(book, round_obj))
        if options["coder"]:
            coder = get_user_model().objects.filter(username=options["coder"]).first()
            if coder is None:
                raise CommandError(f"Fant ingen bruker «{options['coder']}».")
            codes = {
                c.answer_id: {x.key for x in c.codes.all()}
                for c in Coding.objects.filter(codebook=book, coder=coder, confirmed=True, consensus=False)
            }
        else:
            codes = final_codes(book, [a.pk for a in answers])
        rows = []
        for answer in answers:
            row: dict[str, Any] = {"id": answer.pk, "unit": answer.response.unit.code, "text": answer.value_text}
            if answer.pk in codes:
                row["codes"] = sorted(codes[answer.pk])
            rows.append(row)
        written = write_jsonl(options["out"], rows)
        self.stdout.write(f"Skrev {written} svar til {options['out']}.")
