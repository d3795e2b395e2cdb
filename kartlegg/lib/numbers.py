"""Norwegian number formatting and parsing. Pure functions, used by templates, exports and forms.

Norwegians write `17 436` and `2,1 %`: a space (non-breaking on screen) between thousands and a decimal comma.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

NBSP = "\u00a0"
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")


class NumberParseError(ValueError):
    """The text is not a number a Norwegian user would write. The message says why, in Norwegian."""


def format_number(value: float | int | Decimal | None, decimals: int = 0, space: str = NBSP) -> str:
    """`17436` → `17 436`; `2.5, decimals=1` → `2,5`. None and NaN become an en dash (missing, never 0)."""
    if value is None:
        return "–"
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return "–"
    text = f"{abs(number):,.{decimals}f}"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", space)
    if number < 0 and float(text.replace(space, "").replace(",", ".")) != 0:
        text = "−" + text
    return text


def format_percent(value: float | Decimal | None, decimals: int = 1, space: str = NBSP) -> str:
    """`2.1` (already in per cent) → `2,1 %`."""
    if value is None:
        return "–"
    return f"{format_number(value, decimals, space)}{space}%"


def format_change(value: float | Decimal | None, decimals: int = 1, space: str = NBSP) -> str:
    """A signed change: `+2,1` or `−0,4`."""
    if value is None:
        return "–"
    text = format_number(value, decimals, space)
    if float(value) > 0 and text.strip("0,") != "":
        return "+" + text
    return text


def parse_decimal(text: str | int | float | Decimal | None, max_decimals: int | None = None) -> Decimal | None:
    """Read a number as a Norwegian user types it. Blank is None (not 0).

    Accepts `2,5`, `2.5`, `1 234,5` (any kind of space), and a leading minus or Unicode minus.
    Rejects letters, `1e308`, `NaN`, `50 %` and more decimals than allowed, with a message that says why.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise NumberParseError("Ja/nei er ikke et tall.")
    if isinstance(text, int | Decimal):
        value = Decimal(text)
    elif isinstance(text, float):
        if math.isnan(text) or math.isinf(text):
            raise NumberParseError("Verdien må være et endelig tall.")
        value = Decimal(str(text))
    else:
        raw = _SPACES.sub("", str(text)).replace("−", "-")
        if raw == "":
            return None
        if raw.endswith("%"):
            raise NumberParseError("Skriv tallet uten prosenttegn.")
        if not re.fullmatch(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)", raw):
            if raw.count(",") + raw.count(".") > 1 and re.fullmatch(r"[-+]?[\d.,]+", raw):
                raise NumberParseError("Bruk bare ett desimaltegn (komma), og mellomrom mellom tusener.")
            raise NumberParseError("Skriv et tall, for eksempel 2,5.")
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation as exc:  # pragma: no cover - the pattern above already guards this
            raise NumberParseError("Skriv et tall, for eksempel 2,5.") from exc
    if not value.is_finite():
        raise NumberParseError("Verdien må være et endelig tall.")
    if max_decimals is not None:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > max_decimals:
            raise NumberParseError(f"Bruk høyst {max_decimals} desimaler.")
    return value
