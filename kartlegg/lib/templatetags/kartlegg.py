from __future__ import annotations

import functools
import re
from decimal import Decimal

import pyphen
from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from kartlegg.lib import numbers

register = template.Library()


@register.filter
def nb_number(value: float | int | Decimal | None, decimals: int = 0) -> str:
    """`{{ 17436|nb_number }}` → `17 436`."""
    try:
        return numbers.format_number(value, int(decimals))
    except (TypeError, ValueError):
        return "–"


@register.filter
def nb_percent(value: float | Decimal | None, decimals: int = 1) -> str:
    """`{{ 2.1|nb_percent }}` → `2,1 %`."""
    try:
        return numbers.format_percent(value, int(decimals))
    except (TypeError, ValueError):
        return "–"


@register.filter
def nb_change(value: float | Decimal | None, decimals: int = 1) -> str:
    try:
        return numbers.format_change(value, int(decimals))
    except (TypeError, ValueError):
        return "–"


# Long Norwegian compounds ("Erfaringskonsulenter") in narrow table headers: break them at a syllable with a visible
# hyphen instead of anywhere in the word. Chromium on Linux has no hyphenation dictionaries for `hyphens: auto`, so
# the soft hyphens are put in on the server, with the dictionaries that WeasyPrint's pyphen ships.
_PYPHEN_LANG = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}
_LONG_WORD = 10


@functools.lru_cache(maxsize=8)
def _hyphenator(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=_PYPHEN_LANG.get(language, "nb_NO"))


@register.filter
def soft_hyphens(text: object) -> str:
    """`{{ label|soft_hyphens }}`: words of 10 letters or more get soft hyphens (U+00AD) at their syllables, in the
    page's language; shorter words and the escaping of the text are left as they were."""
    value = conditional_escape("" if text is None else str(text))
    hyphenator = _hyphenator((get_language() or "nb").split("-")[0])
    words = re.split(rf"(\w{{{_LONG_WORD},}})", str(value))
    out = [hyphenator.inserted(w, hyphen="\u00ad") if i % 2 else w for i, w in enumerate(words)]
    return mark_safe("".join(out))  # noqa: S308 - the text was escaped above; only U+00AD was added
