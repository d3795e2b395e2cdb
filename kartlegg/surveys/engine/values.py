"""Values of one variable: parsing what a user typed (parse_answer), checking an already typed value (check_value),
the stored text form and back (dump_value, load_value). Pure, no ORM.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from kartlegg.lib.numbers import NumberParseError, format_number, parse_decimal
from kartlegg.surveys.definition import (
    NUMBER_LIMIT,
    NUMERIC_TYPES,
    TEXT_MAX_LENGTH,
    Definition,
    Question,
)

_YES = {"ja", "j", "yes", "y", "true", "1", "sant"}
_NO = {"nei", "n", "no", "false", "0", "usant"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_DATE_NB = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class AnswerError(ValueError):
    """A value that cannot be stored for this variable. `message` is Norwegian and safe to show to respondents."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def value_codes(defn: Definition) -> list[str]:
    codes: list[str] = []
    for question in defn.questions.values():
        codes.extend(question.cell_codes() if question.is_grid else [question.code])
    return codes


def _short(raw: Any, limit: int = 40) -> str:
    text = str(raw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bound_text(value: Decimal) -> str:
    decimals = max(0, -int(value.normalize().as_tuple().exponent)) if value == value.to_integral_value() else 2
    return format_number(value, decimals if value != value.to_integral_value() else 0, space=" ")


def _parse_number(question: Question, code: str, raw: Any, kind: str) -> Decimal | None:
    if kind == "percent" and isinstance(raw, str):
        # A percent question may be typed with its sign; elsewhere `50 %` is a unit mistake and rejected.
        raw = raw.strip().removesuffix("%")
    max_decimals = question.effective_decimals()
    try:
        value = parse_decimal(raw, max_decimals=max_decimals)
    except NumberParseError as exc:
        message = str(exc)
        if kind == "integer" and "desimaler" in message:
            message = "Skriv et helt tall (uten desimaler)."
        raise AnswerError(code, message) from exc
    if value is None:
        return None
    if abs(value) >= NUMBER_LIMIT:
        raise AnswerError(code, "Tallet er urimelig stort.")
    low, high = question.effective_bounds()
    if low is not None and value < low:
        if low == 0:
            raise AnswerError(code, "Verdien kan ikke være negativ.")
        raise AnswerError(code, f"Verdien kan ikke være mindre enn {_bound_text(low)}.")
    if high is not None and value > high:
        raise AnswerError(code, f"Verdien kan ikke være større enn {_bound_text(high)}.")
    return value


def _parse_yesno(code: str, raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text == "":
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise AnswerError(code, "Svar ja eller nei.")


def _match_choice(question: Question, code: str, raw: Any) -> str:
    text = str(raw).strip()
    codes = [c for c, _ in question.choices]
    if text in codes:
        return text
    # Spreadsheet imports often carry the label rather than the code.
    for choice_code, label in question.choices:
        if text.casefold() in (choice_code.casefold(), label.casefold()):
            return choice_code
    raise AnswerError(code, f"«{_short(text)}» er ikke et av svaralternativene ({', '.join(codes)}).")


def _parse_multichoice(question: Question, code: str, raw: Any) -> list[str] | None:
    if isinstance(raw, str):
        items = [part for part in re.split(r"[,;\n]", raw) if part.strip()]
    elif isinstance(raw, list | tuple | set | frozenset):
        items = [item for item in raw if item is not None and str(item).strip()]
    else:
        raise AnswerError(code, "Velg ett eller flere svaralternativer.")
    chosen = {_match_choice(question, code, item) for item in items}
    ordered = [c for c, _ in question.choices if c in chosen]
    return ordered or None


def _parse_text(question: Question, code: str, raw: Any) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise AnswerError(code, "Svaret må være tekst.")
    text = unicodedata.normalize("NFC", str(raw)).replace("\r\n", "\n").replace("\r", "\n").strip()
    if text == "":
        return None
    if _CONTROL.search(text):
        raise AnswerError(code, "Teksten inneholder ugyldige kontrolltegn.")
    limit = question.max_length or TEXT_MAX_LENGTH
    if len(text) > limit:
        raise AnswerError(
            code,
            f"Teksten er for lang ({format_number(len(text), space=' ')} tegn); "
            f"høyst {format_number(limit, space=' ')} tegn er tillatt.",
        )
    return text


def _parse_date(code: str, raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    if text == "":
        return None
    try:
        if match := _DATE_NB.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise AnswerError(code, "Datoen finnes ikke.") from exc
    raise AnswerError(code, "Skriv datoen som dd.mm.åååå, for eksempel 15.03.2024.")


def parse_answer(defn: Definition, code: str, raw: Any) -> Any:
    """Parse one raw value (form text, JSON value or spreadsheet cell) for variable `code`. Blank is None."""
    question = defn.question_for(code)
    if question is None:
        raise AnswerError(code, f"Ukjent variabel «{_short(code)}».")
    if question.is_grid and code == question.code:
        raise AnswerError(code, "Et rutenett fylles ut celle for celle.")
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    kind = question.cell_type if question.is_grid else question.type
    if kind in NUMERIC_TYPES:
        return _parse_number(question, code, raw, kind)
    if kind == "yesno":
        return _parse_yesno(code, raw)
    if kind == "choice":
        return _match_choice(question, code, raw)
    if kind == "multichoice":
        return _parse_multichoice(question, code, raw)
    if kind == "date":
        return _parse_date(code, raw)
    return _parse_text(question, code, raw)


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (Decimal, int),
    "decimal": (Decimal, int),
    "percent": (Decimal, int),
    "yesno": (bool,),
    "choice": (str,),
    "multichoice": (list, tuple),
    "date": (dt.date,),
    "text": (str,),
}


def value_kind(question: Question) -> str:
    """The type of one stored value of the question (a grid's cells are integer or decimal)."""
    return question.cell_type if question.is_grid else question.type


def check_value(defn: Definition, code: str, value: Any) -> Any:
    """An already typed value (prefill, undo, a stored value carried over) checked against the question as it is
    now: its Python type, then the same rules as parse_answer (choices, ranges, decimals, length). Returns the value
    as parse_answer would give it; raises AnswerError. This is the write path's last guard, so "true" never lands
    in a choice question."""
    question = defn.question_for(code)
    if question is None:
        raise AnswerError(code, f"Ukjent variabel «{_short(code)}».")
    if value is None:
        return None
    kind = value_kind(question)
    expected = _PYTHON_TYPES.get(kind, (str,))
    wrong_bool = isinstance(value, bool) and bool not in expected
    if wrong_bool or not isinstance(value, expected) or (kind != "date" and isinstance(value, dt.datetime)):
        raise AnswerError(code, f"«{_short(dump_value(value))}» passer ikke til spørsmålet (type {kind}).")
    return parse_answer(defn, code, value)


def dump_value(value: Any) -> str | None:
    """The stored text form: numbers without exponent, booleans as true/false, lists comma-joined, ISO dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, int | float):
        return dump_value(Decimal(str(value)))
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) if value else None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def load_value(defn: Definition, code: str, text: str | None) -> Any:
    """Read a stored text back without re-checking ranges (the definition may have changed since it was saved)."""
    if text is None:
        return None
    question = defn.question_for(code)
    if question is None:
        return text
    kind = question.cell_type if question.is_grid else question.type
    try:
        if kind in NUMERIC_TYPES:
            return Decimal(text) if text != "" else None
        if kind == "yesno":
            return text.strip().lower() in _YES if text.strip() else None
        if kind == "multichoice":
            return [part for part in text.split(",") if part] or None
        if kind == "date":
            return dt.date.fromisoformat(text) if text else None
    except (InvalidOperation, ValueError):
        return None
    return text


def _coerce(defn: Definition, code: str, value: Any) -> Any:
    """Values from callers are normally parsed already; raw text is tolerated, and unparseable text is blank."""
    if value is None or isinstance(value, bool | Decimal | dt.date | list):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    try:
        return parse_answer(defn, code, value)
    except AnswerError:
        return None
