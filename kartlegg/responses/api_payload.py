"""Reading the API's PUT body and writing values as JSON. Pure functions, no ORM.

The body is parsed by hand with the strictest sensible JSON reading: numbers become Decimal (so 2.35 stays 2.35 and
1e400 is a number that the engine calls unreasonably large, not infinity), NaN/Infinity are refused, and nesting
too deep for Python's parser is a 400, not a crash. Anything that is not a JSON scalar or a flat list is refused per
variable before the engine sees it, so the engine only ever parses the types it knows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

# JSON numbers beyond this many digits are not a value anyone means; Python refuses > 4300 digits anyway.
MAX_NUMBER_TEXT = 400
# Variable codes are short (Answer.variable holds 80); a longer key is not worth echoing back in an error.
MAX_CODE_LENGTH = 200


class BodyError(ValueError):
    """The body cannot be read as a PUT request. The message names the field, e.g. "version: ..."."""


class PutBody(BaseModel):
    """The PUT body, for the OpenAPI document. parse_put_body applies the same rules by hand."""

    model_config = ConfigDict(extra="forbid", title="ResponsePut")

    values: dict[str, Any] = PydanticField(
        description="Values by variable code. A number, a string (decimal comma allowed), true/false, a list of "
        "choice codes (multichoice), or null to blank the variable.",
        examples=[{"B_arsverk.ledelse.psykolog": 1.5, "E_fact": "ja", "D_ledige": "2,5"}],
    )
    version: int = PydanticField(
        ge=0,
        description="The version read with GET (optimistic locking). An integer; a number with a zero fraction "
        "(3.0) is read as that integer, as JSON Schema counts it one.",
    )
    comments: dict[str, str | None] | None = PydanticField(
        None, description='Optional comments by variable or grid code; null or "" removes a comment.'
    )


@dataclass
class ParsedBody:
    values: dict[str, Any]
    version: int
    comments: dict[str, str]
    # Variables whose JSON type can never be a value (an object, a nested list): refused before the engine.
    type_errors: dict[str, str] = field(default_factory=dict)


def _no_constant(name: str) -> Any:
    raise BodyError(f"request: {name} er ikke gyldig JSON. Send tallet som tall, eller null for tomt.")


def _number(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_TEXT:
        raise BodyError("request: et tall i forespørselen har for mange sifre.")
    return Decimal(text)


def _integer(text: str) -> int | Decimal:
    if len(text) > MAX_NUMBER_TEXT:
        raise BodyError("request: et tall i forespørselen har for mange sifre.")
    return int(text)


def load_json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_float=_number, parse_int=_integer)
    except BodyError:
        raise
    except RecursionError:
        raise BodyError("request: JSON-dokumentet er for dypt nestet.") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8
        raise BodyError(f"request: ugyldig JSON ({_short(str(exc))}).") from None


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SCALARS = (str, bool, int, Decimal)
TYPE_MESSAGE = "Ugyldig verdi: bruk et tall, tekst, true/false, en liste med svaralternativer eller null."


def _value_type_error(value: Any) -> str:
    if value is None or isinstance(value, _SCALARS):
        return ""
    if isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value):
        return ""
    return TYPE_MESSAGE


SURROGATE_MESSAGE = "inneholder et ugyldig tegn (en enslig surrogat, U+D800–U+DFFF), som ikke er gyldig Unicode-tekst."


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shown(code: str) -> str:
    """A code as it can be echoed back: unpaired surrogates written as \\udxxx."""
    return code.encode("utf-8", "backslashreplace").decode("utf-8")[:MAX_CODE_LENGTH]


def _check_text(where: str, code: str, value: Any) -> None:
    """JSON may carry lone surrogates ("\\ud800"); no database can store them. BodyError (-> 400) naming the field."""
    if _has_surrogate(code):
        raise BodyError(f"{where}: variabelkoden {_shown(code)!r} {SURROGATE_MESSAGE}")
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, str) and _has_surrogate(item) for item in items):
        raise BodyError(f"{where}.{code}: {SURROGATE_MESSAGE}")


def parse_put_body(raw: bytes | str) -> ParsedBody:
    """The PUT body as values, version and comments; BodyError (-> 400) when its shape is wrong."""
    if not raw or not raw.strip():
        raise BodyError("request: tom forespørsel; send et JSON-objekt med «values» og «version».")
    data = load_json(raw)
    if not isinstance(data, dict):
        raise BodyError("request: må være et JSON-objekt med «values» og «version».")
    unknown = sorted(set(data) - {"values", "version", "comments"})
    if unknown:
        raise BodyError(f"{unknown[0]}: ukjent felt (tillatt: values, version, comments).")
    if "version" not in data:
        raise BodyError("version: mangler. Send versjonen du fikk fra GET.")
    version = data["version"]
    # JSON Schema counts 10927.0 as an integer (a number with no fraction), so the server takes it as 10927 too.
    if isinstance(version, Decimal) and version.is_finite() and version == version.to_integral_value():
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int):
        raise BodyError("version: må være et heltall.")
    if version < 0:
        raise BodyError("version: kan ikke være negativ.")
    if "values" not in data:
        raise BodyError("values: mangler. Send et objekt med verdier (det kan være tomt).")
    values = data["values"]
    if not isinstance(values, dict):
        raise BodyError("values: må være et JSON-objekt {variabel: verdi}.")
    comments_raw = data.get("comments")
    if comments_raw is None:
        comments_raw = {}
    if not isinstance(comments_raw, dict):
        raise BodyError("comments: må være et JSON-objekt {variabel: tekst}.")
    if any(len(code) > MAX_CODE_LENGTH for code in [*values, *comments_raw]):
        raise BodyError(f"values: en variabelkode er for lang (høyst {MAX_CODE_LENGTH} tegn).")
    for code, value in values.items():
        _check_text("values", code, value)
    for code, text in comments_raw.items():
        _check_text("comments", code, text)
    type_errors: dict[str, str] = {}
    for code, value in values.items():
        message = _value_type_error(value)
        if message:
            type_errors[code] = message
    comments: dict[str, str] = {}
    for code, text in comments_raw.items():
        if text is None:
            comments[code] = ""
        elif isinstance(text, str):
            comments[code] = text
        else:
            type_errors[f"{code}#comment"] = "Kommentaren må være tekst (eller null)."
    return ParsedBody(values=values, version=version, comments=comments, type_errors=type_errors)


TEXT_NUMBER_MESSAGE = "Dette er et tekstspørsmål: send svaret som en JSON-streng, ikke som et tall."


def text_type_errors(defn: Any, values: dict[str, Any]) -> dict[str, str]:
    """A JSON number (or true/false) sent to a text variable is refused by name, not silently stored as a string:
    a client that sends a number there has mixed up its variables. The web form and spreadsheets send text anyway."""
    errors: dict[str, str] = {}
    for code, value in values.items():
        if value is None or isinstance(value, str | list):
            continue
        question = defn.question_for(code)
        if question is not None and (question.cell_type if question.is_grid else question.type) == "text":
            errors[code] = TEXT_NUMBER_MESSAGE
    return errors


def json_value(value: Any) -> Any:
    """A stored python value as JSON: Decimal as a number (a string only if a float would change it)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < 2**53:
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return str(value)


def issue_list(issues: Any) -> list[dict[str, Any]]:
    return [
        {
            "rule": issue.rule_code,
            "message": issue.message,
            "variables": list(issue.variables),
            "explained": bool(getattr(issue, "explained", False)),
        }
        for issue in issues
    ]
