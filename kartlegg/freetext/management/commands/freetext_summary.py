"""manage.py freetext_summary --codebook BOOK.yaml --coded CODED.jsonl --out SUMMARY.json

Per code: count, share, quantifier and quotes, from coded lines (`{"id", "text", "codes"}`; optional "county",
"size_group", "publishable": true and "quote" (the masked text)). Quotes come only from publishable lines; first
names are masked automatically. Files only (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kartlegg.freetext import summary as pure
from kartlegg.freetext.jsonl import JsonlError, read_jsonl
from kartlegg.freetext.masking import Masker

from ._files import read_codebook


class Command(BaseCommand):
    help = "Lager et tallfestet sammendrag (antall, andel, kvantor, sitater) fra kodede svar i en fil."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--codebook", required=True)
        parser.add_argument("--coded", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--noun", default="kommuner", help="Hva enhetene kalles i setningene.")

    def handle(self, *args: Any, **options: Any) -> None:
        book = read_codebook(options["codebook"])
        try:
            scale = pure.parse_scale(settings.KARTLEGG_FREETEXT_SCALE)
            rows = read_jsonl(options["coded"], need_codes=True, known_codes=[c.key for c in book.codes()])
        except (JsonlError, pure.ScaleError) as exc:
            raise CommandError(str(exc)) from exc
        infos = [pure.CodeInfo(c.key, c.label, t.key, t.label, c.statement) for t in book.themes for c in t.codes] + [
            pure.CodeInfo(book.other.key, book.other.label, "", "", is_other=True)
        ]
        units = [
            pure.UnitCodes(r["id"], frozenset(r["codes"]), str(r.get("county", "")), str(r.get("size_group", "")))
            for r in rows
        ]
        masker = Masker([str(r["unit_name"]) for r in rows if r.get("unit_name")])
        quotes = [
            pure.QuoteText(r["id"], str(r.get("quote") or masker.mask(r["text"]).text), frozenset(r["codes"]))
            for r in rows
            if r.get("publishable") is True
        ]
        result = pure.build_summary(infos, units, quotes=quotes, scale=scale, noun=options["noun"], title=book.name)
        by_code = {}
        pool = sorted(quotes, key=lambda q: (len(q.text), q.unit))
        for theme in result.themes:
            for code in theme.codes:
                by_code[code.key] = {
                    "theme": theme.key,
                    "label": code.label,
                    "count": code.count,
                    "share": round(code.share / 100, 4),
                    "quantifier": code.quantifier,
                    "sentence": code.sentence,
                    "quotes": [q.text for q in pool if code.key in q.codes][: pure.QUOTES_PER_THEME],
                }
        out = {
            "codebook": book.name,
            "denominator": result.denominator,
            "denominator_text": result.denominator_text,
            "codes": by_code,
        }
        Path(options["out"]).write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
        self.stdout.write(
            f"Skrev sammendraget ({len(by_code)} koder, nevner {result.denominator}) til {options['out']}."
        )
