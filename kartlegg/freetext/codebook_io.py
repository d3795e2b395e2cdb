"""Codebooks as YAML: read (nested themes → codes, or a flat list of codes) and write. Pure, no ORM.

Nested:

    name: Konsekvenser av koronasituasjonen 2020
    questions: [I_korona]
    themes:
      - key: tjenester
        label: Konsekvenser for tjenestene
        codes:
          - key: tjenester.dagtilbud_stengt
            label: Dag- og gruppetilbud stengt
            statement: dag- og gruppetilbud ble stengt      # "Nesten alle kommuner beskriver at …"
            description: …
            include: [eksempel, …]
            exclude: [eksempel, …]
    other: {key: annet, label: Ikke relevant / annet}

Flat: a list of codes (`- key: …, label: …, description: …`, or `- "key: description"`), at the top or under
`codes:`. A key's part before the first dot names its theme ("tjenester.video" → theme "tjenester").
Every error names the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

KEY = re.compile(r"^[a-z0-9æøå_][a-z0-9æøå_.\-]{0,79}$")
OTHER_KEY = "annet"
OTHER_LABEL = "Ikke relevant / annet"
GENERAL_THEME = "generelt"


class CodebookError(ValueError):
    pass


@dataclass
class CodeData:
    key: str
    label: str
    description: str = ""
    statement: str = ""
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    is_other: bool = False


@dataclass
class ThemeData:
    key: str
    label: str
    description: str = ""
    codes: list[CodeData] = field(default_factory=list)


@dataclass
class CodebookData:
    name: str
    description: str = ""
    questions: list[str] = field(default_factory=list)
    themes: list[ThemeData] = field(default_factory=list)
    other: CodeData = field(default_factory=lambda: CodeData(OTHER_KEY, OTHER_LABEL, is_other=True))

    def codes(self) -> list[CodeData]:
        return [c for t in self.themes for c in t.codes] + [self.other]


class _LineLoader(yaml.SafeLoader):
    pass


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    value = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    value["__line__"] = node.start_mark.line + 1
    return value


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _line(item: Any, fallback: int = 1) -> int:
    return item.get("__line__", fallback) if isinstance(item, dict) else fallback


def _text(item: dict[str, Any], name: str, line: int, required: bool = False) -> str:
    value = item.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str | int | float):
        raise CodebookError(f"Linje {line}: «{name}» må være tekst.")
    value = str(value).strip()
    if required and not value:
        raise CodebookError(f"Linje {line}: «{name}» mangler.")
    return value


def _examples(item: dict[str, Any], name: str, line: int) -> list[str]:
    value = item.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CodebookError(f"Linje {line}: «{name}» må være en liste med tekster.")
    return [v.strip() for v in value if v.strip()]


def _key(value: str, line: int) -> str:
    if not KEY.match(value):
        raise CodebookError(
            f"Linje {line}: ugyldig nøkkel «{value}» (små bokstaver, tall, punktum, bindestrek og understrek)."
        )
    return value


def _code(item: Any, line: int) -> CodeData:
    if isinstance(item, str):
        key, _, description = item.partition(":")
        item = {"key": key.strip(), "label": description.strip() or key.strip(), "description": description.strip()}
    if not isinstance(item, dict):
        raise CodebookError(f"Linje {line}: en kode må være en tabell med key og label, eller «nøkkel: beskrivelse».")
    line = _line(item, line)
    plain = {k: v for k, v in item.items() if k != "__line__"}
    if len(plain) == 1 and not {"key", "code", "label"} & set(plain):  # "- nøkkel: beskrivelse"
        key, description = next(iter(plain.items()))
        description = str(description or "").strip()
        item = {"key": str(key), "label": description or str(key), "description": description, "__line__": line}
    key = _text(item, "key", line) or _text(item, "code", line)
    if not key:
        raise CodebookError(f"Linje {line}: «key» mangler.")
    key = _key(key, line)
    label = _text(item, "label", line) or key
    return CodeData(
        key=key,
        label=label,
        description=_text(item, "description", line),
        statement=_text(item, "statement", line),
        include=_examples(item, "include", line),
        exclude=_examples(item, "exclude", line),
    )


def parse_codebook(source: str, default_name: str = "Kodebok") -> CodebookData:
    """YAML text to a CodebookData; CodebookError names the line of the first problem."""
    try:
        raw = yaml.load(source, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"Linje {mark.line + 1}: " if mark is not None else ""
        raise CodebookError(f"{where}ugyldig YAML ({getattr(exc, 'problem', exc)}).") from exc
    if raw is None:
        raise CodebookError("Linje 1: filen er tom.")
    if isinstance(raw, list):
        raw = {"name": default_name, "codes": raw, "__line__": 1}
    if not isinstance(raw, dict):
        raise CodebookError("Linje 1: forventet en kodebok (tabell) eller en liste med koder.")
    book = CodebookData(
        name=_text(raw, "name", 1) or default_name,
        description=_text(raw, "description", 1),
        questions=[str(q) for q in (raw.get("questions") or [])],
    )
    themes: dict[str, ThemeData] = {}
    if "themes" in raw:
        if not isinstance(raw["themes"], list):
            raise CodebookError(f"Linje {_line(raw)}: «themes» må være en liste.")
        for item in raw["themes"]:
            line = _line(item, _line(raw))
            if not isinstance(item, dict):
                raise CodebookError(f"Linje {line}: et tema må ha key, label og codes.")
            key = _key(_text(item, "key", line, required=True), line)
            if key in themes:
                raise CodebookError(f"Linje {line}: temaet «{key}» finnes fra før.")
            theme = themes[key] = ThemeData(key, _text(item, "label", line) or key, _text(item, "description", line))
            codes = item.get("codes") or []
            if not isinstance(codes, list):
                raise CodebookError(f"Linje {line}: «codes» må være en liste.")
            theme.codes = [_code(c, line) for c in codes]
    flat = raw.get("codes") or []
    if not isinstance(flat, list):
        raise CodebookError(f"Linje {_line(raw)}: «codes» må være en liste.")
    for item in flat:
        code = _code(item, _line(raw))
        theme_key = code.key.split(".", 1)[0] if "." in code.key else GENERAL_THEME
        themes.setdefault(theme_key, ThemeData(theme_key, theme_key.capitalize())).codes.append(code)
    book.themes = list(themes.values())
    if "other" in raw and raw["other"]:
        other = _code(raw["other"], _line(raw))
        other.is_other = True
        book.other = other
    seen: set[str] = set()
    for code in book.codes():
        if code.key in seen:
            raise CodebookError(f"Koden «{code.key}» står to ganger i kodeboken.")
        seen.add(code.key)
    if not any(t.codes for t in book.themes):
        raise CodebookError("Linje 1: kodeboken har ingen koder.")
    return book


def dump_codebook(book: CodebookData) -> str:
    """The nested YAML that parse_codebook reads back to the same codebook."""

    def code_dict(code: CodeData) -> dict[str, Any]:
        out: dict[str, Any] = {"key": code.key, "label": code.label}
        for name in ("statement", "description"):
            if getattr(code, name):
                out[name] = getattr(code, name)
        if code.include:
            out["include"] = list(code.include)
        if code.exclude:
            out["exclude"] = list(code.exclude)
        return out

    data: dict[str, Any] = {"name": book.name}
    if book.description:
        data["description"] = book.description
    data["questions"] = list(book.questions)
    data["themes"] = [
        {
            "key": t.key,
            "label": t.label,
            **({"description": t.description} if t.description else {}),
            "codes": [code_dict(c) for c in t.codes],
        }
        for t in book.themes
    ]
    data["other"] = code_dict(book.other)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
