"""Automatic masking of quotes: names of municipalities, counties and other places (from the reference geography)
and first names (a shipped list) become «[sted]» and «[navn]». Pure; the analyst confirms or corrects the result.

Matching is on whole, capitalised words, with a genitive -s too ("Bergens"). A few names are also ordinary words
("Liv", "Per", "Hole", "Moss"); those are not masked at the start of a sentence, where any word is capitalised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PLACE = "[sted]"
PERSON = "[navn]"
NAMES_FILE = Path(__file__).parent / "data" / "fornavn.txt"
# Names that are also common Norwegian words when capitalised at the start of a sentence.
ORDINARY_WORDS = frozenset(
    {
        "Liv",
        "Per",
        "Hole",
        "Moss",
        "Vik",
        "Nes",
        "Os",
        "Bø",
        "Sel",
        "Lom",
        "Ski",
        "Hå",
        "Ål",
        "Eid",
        "Dag",
        "Odd",
        "Tor",
        "Frank",
        "Even",
        "Gro",
        "Alf",
        "Rune",
        "Stein",
        "Vang",
        "Sande",
        "Våler",
        "Ås",
        "Bygland",
        "Finn",
        "Grue",
        "Hol",
        "Ringebu",
        "Fjord",
        "Sula",
        "Hurum",
        "Rana",
        "Gran",
        "Leka",
        "Lund",
        "Tana",
        "Aure",
        "Nore",
        "Ulstein",
    }
)


@dataclass(frozen=True)
class Masked:
    text: str
    replaced: tuple[str, ...]  # the words that were masked, in order

    @property
    def changed(self) -> bool:
        return bool(self.replaced)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.split())


def place_variants(names: Iterable[str]) -> set[str]:
    """ "Porsanger - Porsángu - Porsanki" and "Nordre Land" → each spelling that can stand in a text."""
    out = set()
    for name in names:
        for part in re.split(r"\s+-\s+|/", name or ""):
            part = part.strip()
            if len(part) >= 2 and part[0].isupper():
                out.add(part)
    return out


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(words), key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ordered) + r")(s?)(?![\w-])")


class Masker:
    def __init__(self, places: Iterable[str], names: Iterable[str] | None = None) -> None:
        self.places = place_variants(places)
        self.names = set(first_names() if names is None else names) - self.places
        self._place = _pattern(self.places)
        self._name = _pattern(self.names)

    def mask(self, text: str) -> Masked:
        replaced: list[str] = []
        for pattern, token in ((self._place, PLACE), (self._name, PERSON)):
            if pattern is None:
                continue

            def substitute(match: re.Match[str], token: str = token) -> str:
                word = match.group(1)
                named = re.match(r"\s+(kommune|bydel|fylke)", match.string[match.end() :])
                if word in ORDINARY_WORDS and _sentence_start(match.string, match.start()) and not named:
                    return match.group(0)
                replaced.append(match.group(0))
                return token

            text = pattern.sub(substitute, text)
        return Masked(text, tuple(replaced))


def _sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in '.!?:«"('
