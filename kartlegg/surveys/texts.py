"""A questionnaire's texts in more than one language (pure, no ORM).

In the file every text may be a plain string (bokmål) or a mapping with bokmål and the other languages beside it:

    label:
      nb: Årsverk for voksne
      nn: Årsverk for vaksne
      en: FTEs for adults

`extract` takes the translations out of a parsed file, leaving bokmål strings behind, so everything that reads the
structure (the checks, the stored rows, the engine) sees one language. The translations are kept as one flat map
per language, keyed by where the text stands ("q.B_arsverk.row.ledelse"). `localize` gives a Definition whose texts
are in the wanted language, falling back to bokmål for every text that has no translation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

SOURCE_LANGUAGE = "nb"
LANGUAGES = ("nb", "nn", "en")
OTHER_LANGUAGES = ("nn", "en")

Translations = dict[str, dict[str, str]]  # language -> key -> text


def is_text_map(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, str) and k in LANGUAGES for k in value)


def _text_slots(data: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(key, the mapping holding the text, the field name) for every translatable text of a file."""
    if not isinstance(data, dict):
        return
    yield "title", data, "title"
    yield "intro", data, "intro"
    survey = data.get("survey")
    if isinstance(survey, dict):
        yield "survey.name", survey, "name"
    for section in data.get("sections") or []:
        if not isinstance(section, dict):
            continue
        code = section.get("code")
        yield f"section.{code}.title", section, "title"
        yield f"section.{code}.help", section, "help"
        for question in section.get("questions") or []:
            if not isinstance(question, dict):
                continue
            q = f"q.{question.get('code')}"
            for name in ("label", "help", "unit"):
                yield f"{q}.{name}", question, name
            for kind, items in (("choice", "choices"), ("row", "rows"), ("col", "columns")):
                for item in question.get(items) or []:
                    if isinstance(item, dict):
                        yield f"{q}.{kind}.{item.get('code')}", item, "label"
                        if kind != "choice":
                            yield f"{q}.{kind}_help.{item.get('code')}", item, "help"
    for rule in data.get("rules") or []:
        if isinstance(rule, dict):
            yield f"rule.{rule.get('code')}.message", rule, "message"


def extract(data: Any) -> Translations:
    """Collect the nn/en texts of a parsed file and replace every text mapping by its bokmål text, in place.

    Collects first and replaces afterwards: YAML anchors let two questions share one list of columns, and both
    must be collected before the shared list is changed."""
    found: Translations = {}
    slots = list(_text_slots(data))
    for key, holder, name in slots:
        value = holder.get(name)
        if isinstance(value, dict) and is_text_map(value):
            for language in OTHER_LANGUAGES:
                text = value.get(language)
                if isinstance(text, str | int) and str(text).strip():
                    found.setdefault(language, {})[key] = str(text)
    for _key, holder, name in slots:
        value = holder.get(name)
        if isinstance(value, dict) and is_text_map(value):
            holder[name] = value.get(SOURCE_LANGUAGE, "")
    return found


def coverage(translations: Translations, data: Any) -> dict[str, tuple[int, int]]:
    """{language: (translated texts, texts)} over the texts that are filled in bokmål."""
    keys = [key for key, holder, name in _text_slots(data) if holder.get(name)]
    return {
        language: (sum(1 for k in keys if k in translations.get(language, {})), len(keys)) for language in LANGUAGES
    }


def localize(defn: Any, language: str) -> Any:
    """The Definition with its texts in `language` (bokmål for any text without a translation)."""
    table = (getattr(defn, "translations", None) or {}).get(language)
    if language == SOURCE_LANGUAGE or not table:
        return defn

    def text(key: str, default: str) -> str:
        return table.get(key) or default

    def question(q: Any) -> Any:
        prefix = f"q.{q.code}"
        pairs: Callable[[str, list[tuple[str, str]]], list[tuple[str, str]]] = lambda kind, items: [  # noqa: E731
            (code, text(f"{prefix}.{kind}.{code}", label)) for code, label in items
        ]
        return dataclasses.replace(
            q,
            label=text(f"{prefix}.label", q.label),
            help=text(f"{prefix}.help", q.help),
            unit=text(f"{prefix}.unit", q.unit),
            choices=pairs("choice", q.choices),
            rows=pairs("row", q.rows),
            columns=pairs("col", q.columns),
            row_help={code: text(f"{prefix}.row_help.{code}", value) for code, value in q.row_help.items()},
            column_help={code: text(f"{prefix}.col_help.{code}", value) for code, value in q.column_help.items()},
        )

    sections = [
        dataclasses.replace(
            s,
            title=text(f"section.{s.code}.title", s.title),
            help=text(f"section.{s.code}.help", s.help),
            questions=[question(q) for q in s.questions],
        )
        for s in defn.sections
    ]
    rules = [dataclasses.replace(r, message=text(f"rule.{r.code}.message", r.message)) for r in defn.rules]
    return dataclasses.replace(
        defn,
        title=text("title", defn.title),
        intro=text("intro", defn.intro),
        survey_name=text("survey.name", defn.survey_name),
        sections=sections,
        rules=rules,
        language=language,
    )
