"""Norwegian text to features: words, Snowball stems (PyStemmer) and negation scopes. Pure functions, no ORM.

A negation word ("ikke", "ingen", "aldri", …) marks the next few words, up to a comma or a full stop, as negated:
"dagtilbudet er ikke stengt" gives the word features `dagtilbud er ikke NEG_stengt`, so a classifier can tell it
from "dagtilbudet er stengt". The character n-gram text leaves negated words out for the same reason.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

NEGATORS = frozenset({"ikke", "ingen", "intet", "aldri", "uten", "verken", "hverken", "ikkje", "inga", "ingenting"})
# Words that end a negation scope early ("ikke stengt, men redusert": "redusert" is not negated).
SCOPE_BREAKERS = frozenset({"men", "og", "samt", "mens", "selv", "derimot", "likevel"})
NEGATION_WINDOW = 4
# Very common words that carry no theme; kept out of the keyword rules (the classifiers weigh words themselves).
STOPWORDS = frozenset(
    [
        "og",
        "i",
        "på",
        "til",
        "av",
        "for",
        "med",
        "er",
        "som",
        "det",
        "en",
        "et",
        "at",
        "har",
        "ble",
        "var",
        "vi",
        "de",
        "den",
        "fra",
        "ikke",
        "om",
        "så",
        "men",
        "har",
        "hadde",
        "blir",
        "kan",
        "må",
        "skal",
        "vil",
        "noe",
        "noen",
        "mer",
        "mye",
        "flere",
        "andre",
        "alle",
        "også",
        "eller",
        "der",
        "da",
        "nå",
        "enn",
        "hos",
        "seg",
        "sin",
        "sine",
        "sitt",
        "våre",
        "vår",
        "vårt",
        "oss",
        "dem",
        "deres",
        "hverandre",
        "fått",
        "få",
        "ut",
        "inn",
        "opp",
        "ned",
        "over",
        "under",
        "etter",
        "før",
        "mellom",
        "gjennom",
        "være",
        "vært",
        "blitt",
        "bli",
        "dette",
        "disse",
        "denne",
        "hele",
        "helt",
        "bare",
        "ved",
        "når",
        "hvor",
        "hva",
        "hvem",
    ]
)
_TOKEN = re.compile(r"[a-zæøåéèüö0-9]+(?:-[a-zæøåéèüö0-9]+)*|[.,;:!?()]")
_CLAUSE_END = frozenset(".,;:!?()")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("norwegian")


def tokens(text: str) -> list[str]:
    """Lower-cased words and punctuation, in order."""
    return _TOKEN.findall((text or "").lower())


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def analyse(text: str) -> list[tuple[str, bool]]:
    """(stem, negated) for each word of `text`; the negation words themselves are kept, not negated."""
    out: list[tuple[str, bool]] = []
    left = 0
    for token in tokens(text):
        if token in _CLAUSE_END:
            left = 0
            continue
        if token in NEGATORS:
            out.append((token, False))
            left = NEGATION_WINDOW
            continue
        if token in SCOPE_BREAKERS:
            left = 0
        out.append((stem(token), left > 0))
        if left:
            left -= 1
    return out


def word_text(text: str) -> str:
    """Stems separated by spaces, negated ones prefixed `NEG_`: the input of the word TF-IDF."""
    return " ".join(("NEG_" + s) if negated else s for s, negated in analyse(text))


def char_text(text: str) -> str:
    """The words that are not negated, for character n-grams (catches spelling variants and compounds)."""
    return " ".join(s for s, negated in analyse(text) if not negated)


@lru_cache(maxsize=1)
def _stop_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in STOPWORDS) | STOPWORDS


def content_stems(text: str) -> set[str]:
    """The non-negated content stems: what a keyword rule looks for."""
    stop = _stop_stems()
    return {s for s, negated in analyse(text) if not negated and s not in stop and len(s) > 2}


def negated_stems(text: str) -> set[str]:
    return {s for s, negated in analyse(text) if negated}
