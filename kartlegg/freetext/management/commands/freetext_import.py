"""manage.py freetext_import --codebook ID --round ID --in CODED.jsonl --coder USERNAME

Reads `{"id", "codes"}` lines (id = the answer id that freetext_export wrote, or "unit" = the unit code) and stores
them as the coder's confirmed codes. The whole file is checked first and applied in one transaction, or not at all;
errors name the line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kartlegg.accounts.models import Channel
from kartlegg.freetext.jsonl import JsonlError, read_jsonl
from kartlegg.freetext.models import Codebook
from kartlegg.freetext.services.coding import answers_for, set_codes
from kartlegg.responses.models import Round


class Command(BaseCommand):
    help = "Leser koder for en rundes fritekstsvar fra en JSONL-fil (alt eller ingenting)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--codebook", type=int, required=True)
        parser.add_argument("--round", type=int, required=True)
        parser.add_argument("--in", dest="source", required=True)
        parser.add_argument("--coder", required=True, help="Brukernavnet kodene lagres på (en analytiker).")

    def handle(self, *args: Any, **options: Any) -> None:
        book = Codebook.objects.filter(pk=options["codebook"]).first()
        round_obj = Round.objects.filter(pk=options["round"]).first()
        coder = get_user_model().objects.filter(username=options["coder"]).first()
        if book is None:
            raise CommandError(f"Fant ingen kodebok med id {options['codebook']}.")
        if round_obj is None:
            raise CommandError(f"Fant ingen runde med id {options['round']}.")
        if coder is None or not coder.is_analyst:
            raise CommandError(f"«{options['coder']}» er ingen analytiker.")
        try:
            rows = read_jsonl(
                options["source"],
                need_text=False,
                need_codes=True,
                known_codes=book.active_codes().values_list("key", flat=True),
            )
        except JsonlError as exc:
            raise CommandError(str(exc)) from exc
        answers = list(answers_for(book, round_obj))
        by_id = {str(a.pk): a for a in answers}
        by_unit = {a.response.unit.code: a for a in answers}
        plan = []
        for row in rows:
            answer = by_id.get(row["id"]) or by_unit.get(str(row.get("unit", "")))
            if answer is None:
                raise CommandError(
                    f"{options['source']} linje {row['_line']}: fant ikke svaret «{row['id']}» i runden "
                    "(bruk id fra freetext_export)."
                )
            plan.append((answer, row["codes"]))
        with transaction.atomic():
            for answer, codes in plan:
                set_codes(book, answer, coder, codes, confirm=True, channel=Channel.IMPORT)
        self.stdout.write(f"Leste koder for {len(plan)} svar.")
