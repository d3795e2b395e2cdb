"""Read and check a questionnaire YAML file, reporting every problem with its line number.

The YAML is composed into a node tree (not loaded straight to Python), so each mapping, key and list item keeps
the line it came from. Checking never stops at the first problem: authors fix a whole file in one round.
Nothing here touches the database; services.import_questionnaire adds the checks that need it. The line-aware
reading is in yaml_reader.py; its names are re-exported here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from kartlegg.surveys import expressions as ex
from kartlegg.surveys import texts
from kartlegg.surveys.definition import (
    CELL_VARIABLE,
    NUMERIC_TYPES,
    QUESTION_TYPES,
    SEVERITIES,
    TEXT_MAX_LENGTH,
    Definition,
    definition_from_dict,
)
from kartlegg.surveys.yaml_reader import (
    MAX_SOURCE_BYTES,
    Map,
    Problem,
    QuestionnaireImportError,
    Seq,
    line_index,
    plain,
    read_yaml,
)

CODE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
SURVEY_CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
MAX_CODE_LENGTH = 60
MAX_VALUE_CODE_LENGTH = 80

__all__ = [
    "MAX_SOURCE_BYTES",
    "Map",
    "Problem",
    "QuestionnaireImportError",
    "Seq",
    "check_document",
    "line_index",
    "plain",
    "read_yaml",
]

TOP_KEYS = {"survey", "year", "label", "title", "intro", "published", "sections", "rules"}
SURVEY_KEYS = {"code", "name", "kind", "interval_days", "description"}
SECTION_KEYS = {"code", "title", "help", "questions"}
QUESTION_KEYS = {
    "code", "type", "label", "help", "required", "min", "max", "decimals", "max_length", "unit", "choices",
    "relevance", "continues", "changed", "tags", "rows", "columns",
}  # fmt: skip
LINE_KEYS = {"code", "label", "help", "continues", "merges", "changed"}
# Texts that may carry translations beside the bokmål ({nb: …, nn: …, en: …}); codes and expressions may not.
TRANSLATABLE_KEYS = {"title", "intro", "name", "label", "help", "unit", "message"}
RULE_KEYS = {"code", "expression", "when", "each_cell", "severity", "message", "variables"}


class _Checker:
    def __init__(self, data: Any, problems: list[Problem]) -> None:
        self.data = data
        self.problems = problems

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def line_of(self, mapping: Map, key: str) -> int:
        return mapping.key_lines.get(key, mapping.line) if isinstance(mapping, Map) else 0

    def expect_map(self, value: Any, line: int, what: str) -> bool:
        if not isinstance(value, Map):
            self.add(line, f"{what} må være en oppslagstabell (nøkkel: verdi)")
            return False
        return True

    def unknown_keys(self, mapping: Map, allowed: set[str], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.add(self.line_of(mapping, key), f"ukjent nøkkel «{key}» i {what} (kjente: {known})")

    def text(self, mapping: Map, key: str, what: str, required: bool = False, limit: int = 20_000) -> str:
        value = mapping.get(key)
        if isinstance(value, Map) and key in TRANSLATABLE_KEYS:
            return self.text_map(mapping, key, what, required, limit)
        if value is None or value == "":
            if required:
                self.add(mapping.line, f"{what} mangler «{key}»")
            return ""
        if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
            self.add(self.line_of(mapping, key), f"{what}: «{key}» må være tekst")
            return ""
        if len(str(value)) > limit:
            self.add(self.line_of(mapping, key), f"{what}: «{key}» er for lang (høyst {limit} tegn)")
        return str(value)

    def text_map(self, mapping: Map, key: str, what: str, required: bool, limit: int) -> str:
        """A text with its translations beside it: {nb: ..., nn: ..., en: ...}; bokmål is required."""
        value = mapping[key]
        line = self.line_of(mapping, key)
        for language in value:
            if language not in texts.LANGUAGES:
                self.add(
                    value.key_lines.get(language, line),
                    f"{what}: «{key}» har ukjent språk «{language}» (kjente: {', '.join(texts.LANGUAGES)})",
                )
        for language in texts.LANGUAGES:
            if language in value:
                self.text(value, language, f"{what}: «{key}»", limit=limit)
        if not value.get(texts.SOURCE_LANGUAGE):
            if required or any(value.get(lang) for lang in texts.OTHER_LANGUAGES):
                self.add(line, f"{what}: «{key}» mangler bokmålsteksten «nb»")
            return ""
        return str(value[texts.SOURCE_LANGUAGE])

    def code(self, mapping: Map, what: str, pattern: re.Pattern[str] = CODE_RE) -> str:
        code = self.text(mapping, "code", what, required=True)
        if code and (not pattern.fullmatch(code) or len(code) > MAX_CODE_LENGTH):
            self.add(
                self.line_of(mapping, "code"),
                f"{what}: ugyldig kode «{code}» (bokstav først, så bokstaver a–z, sifre og _; høyst "
                f"{MAX_CODE_LENGTH} tegn)",
            )
        return code

    def number(self, mapping: Map, key: str, what: str) -> Decimal | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.add(self.line_of(mapping, key), f"{what}: «{key}» må være et tall, ikke «{value}»")
            return None
        return Decimal(value)

    def integer(self, mapping: Map, key: str, what: str, low: int, high: int) -> int | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(self.line_of(mapping, key), f"{what}: «{key}» må være et heltall fra {low} til {high}")
            return None
        return value

    def boolean(self, mapping: Map, key: str, what: str) -> None:
        if key in mapping and not isinstance(mapping[key], bool):
            self.add(self.line_of(mapping, key), f"{what}: «{key}» må være true eller false")

    def seq(self, mapping: Map, key: str, what: str, required: bool = False) -> Seq:
        value = mapping.get(key)
        if value is None:
            if required:
                self.add(mapping.line, f"{what} mangler «{key}»")
            return Seq()
        if not isinstance(value, Seq):
            self.add(self.line_of(mapping, key), f"{what}: «{key}» må være en liste")
            return Seq()
        if required and not value:
            self.add(self.line_of(mapping, key), f"{what}: «{key}» er tom")
        return value


def check_document(data: Any, problems: list[Problem]) -> Definition | None:
    """Check the composed file. Returns the Definition when there are no problems at all, else None."""
    c = _Checker(data, problems)
    if not c.expect_map(data, 1, "filen"):
        return None
    c.unknown_keys(data, TOP_KEYS, "filen")
    survey = data.get("survey")
    if c.expect_map(survey, c.line_of(data, "survey"), "survey"):
        c.unknown_keys(survey, SURVEY_KEYS, "survey")
        c.code(survey, "survey", SURVEY_CODE_RE)
        c.text(survey, "name", "survey", required=True, limit=200)
        kind = survey.get("kind", "annual")
        if kind not in ("annual", "pulse"):
            c.add(c.line_of(survey, "kind"), f"survey: ukjent kind «{kind}» (annual eller pulse)")
        c.integer(survey, "interval_days", "survey", 1, 365)
    c.integer(data, "year", "filen", 2000, 2100)
    if "year" not in data:
        c.add(data.line, "filen mangler «year»")
    c.text(data, "label", "filen", required=True, limit=40)
    c.text(data, "title", "filen", required=True, limit=300)
    c.text(data, "intro", "filen")
    c.boolean(data, "published", "filen")

    # Codes seen so far, in file order: relevance may only look backwards.
    seen: dict[str, tuple[int, int]] = {}  # code -> (line, position)
    question_lines: dict[str, int] = {}
    sections = c.seq(data, "sections", "filen", required=True)
    section_codes: dict[str, int] = {}
    for s_index, section in enumerate(sections):
        line = sections.item_lines[s_index]
        if not c.expect_map(section, line, f"del nr. {s_index + 1}"):
            continue
        code = c.code(section, f"del nr. {s_index + 1}")
        what = f"del «{code or s_index + 1}»"
        if code in section_codes:
            c.add(c.line_of(section, "code"), f"{what}: koden er brukt før (linje {section_codes[code]})")
        section_codes.setdefault(code, c.line_of(section, "code"))
        c.unknown_keys(section, SECTION_KEYS, what)
        c.text(section, "title", what, required=True, limit=300)
        c.text(section, "help", what)
        questions = c.seq(section, "questions", what)
        for q_index, question in enumerate(questions):
            q_line = questions.item_lines[q_index]
            if c.expect_map(question, q_line, f"{what}, spørsmål nr. {q_index + 1}"):
                _check_question(c, question, seen, question_lines)

    if not problems:
        # The other languages are taken out here; from now on every text is the bokmål string.
        translations = texts.extract(data)
        defn = definition_from_dict(data)
        defn.translations = translations
        _check_expressions(c, data, defn, seen, question_lines)
        return None if problems else defn
    # Expressions need a Definition, which needs sound structure. Still try on the sound parts, so an author
    # sees expression mistakes in the same round as structural ones; if even that fails, the structural
    # problems already reported are enough.
    try:
        texts.extract(data)
        partial = _sound_parts(data)
        _check_expressions(c, partial, definition_from_dict(partial), seen, question_lines)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        pass
    return None


def _sound_parts(data: Map) -> Map:
    """A copy of the file keeping only questions whose code and type are usable."""
    copy = Map(data)
    copy.line, copy.key_lines = data.line, data.key_lines
    sections = Seq()
    sections.line, sections.item_lines = 0, []
    for section in data.get("sections") or []:
        if not isinstance(section, Map):
            continue
        kept = Seq(
            q
            for q in section.get("questions") or []
            if isinstance(q, Map) and isinstance(q.get("code"), str) and q.get("type") in QUESTION_TYPES
        )
        kept.line, kept.item_lines = 0, [0] * len(kept)
        part = Map(section)
        part.line, part.key_lines = section.line, section.key_lines
        part["questions"] = kept
        sections.append(part)
        sections.item_lines.append(section.line)
    copy["sections"] = sections
    return copy


def _check_question(c: _Checker, q: Map, seen: dict[str, tuple[int, int]], question_lines: dict[str, int]) -> None:
    code = c.code(q, "spørsmål")
    what = f"spørsmål «{code or '?'}»"
    code_line = c.line_of(q, "code")
    if code in seen:
        c.add(code_line, f"{what}: koden er brukt før (linje {seen[code][0]})")
    elif code:
        seen[code] = (code_line, len(seen))
        question_lines[code] = q.line
    c.unknown_keys(q, QUESTION_KEYS, what)
    qtype = q.get("type")
    if qtype not in QUESTION_TYPES:
        c.add(c.line_of(q, "type"), f"{what}: ukjent type «{qtype}» (kjente: {', '.join(QUESTION_TYPES)})")
        qtype = None
    c.text(q, "label", what, required=True, limit=2000)
    c.text(q, "help", what)
    c.text(q, "unit", what, limit=40)
    c.boolean(q, "required", what)
    numeric = qtype in NUMERIC_TYPES or qtype == "grid"
    low = c.number(q, "min", what)
    high = c.number(q, "max", what)
    decimals = c.integer(q, "decimals", what, 0, 6)
    for key, value in (("min", low), ("max", high), ("decimals", decimals)):
        if value is not None and qtype is not None and not numeric:
            c.add(c.line_of(q, key), f"{what}: «{key}» gjelder bare tall og rutenett, ikke {qtype}")
    if low is not None and high is not None and low > high:
        c.add(c.line_of(q, "min"), f"{what}: min ({low}) er større enn max ({high})")
    if qtype == "integer" and decimals:
        c.add(c.line_of(q, "decimals"), f"{what}: et heltall kan ikke ha desimaler")
    if "max_length" in q:
        c.integer(q, "max_length", what, 1, TEXT_MAX_LENGTH)
        if qtype is not None and qtype != "text":
            c.add(c.line_of(q, "max_length"), f"{what}: «max_length» gjelder bare tekst")
    choices = c.seq(q, "choices", what, required=qtype in ("choice", "multichoice"))
    if choices and qtype not in ("choice", "multichoice", None):
        c.add(c.line_of(q, "choices"), f"{what}: «choices» gjelder bare choice og multichoice")
    # A choice's `continues` names the old answer it takes over when the question continues one of another type.
    _check_lines(c, choices, f"{what}, svaralternativ", with_continues=True)
    tags = c.seq(q, "tags", what)
    for t_index, tag in enumerate(tags):
        if not isinstance(tag, str) or not CODE_RE.fullmatch(tag):
            c.add(tags.item_lines[t_index], f"{what}: ugyldig merke «{tag}»")
    rows = c.seq(q, "rows", what, required=qtype == "grid")
    columns = c.seq(q, "columns", what, required=qtype == "grid")
    for key, items in (("rows", rows), ("columns", columns)):
        if items and qtype not in ("grid", None):
            c.add(c.line_of(q, key), f"{what}: «{key}» gjelder bare rutenett (grid)")
    row_codes = _check_lines(c, rows, f"{what}, rad", with_continues=True)
    col_codes = _check_lines(c, columns, f"{what}, kolonne", with_continues=True)
    longest = max((len(f"{code}.{r}.{col}") for r in row_codes for col in col_codes), default=0)
    if longest > MAX_VALUE_CODE_LENGTH:
        c.add(q.line, f"{what}: cellekodene blir for lange (høyst {MAX_VALUE_CODE_LENGTH} tegn)")
    continues = c.text(q, "continues", what, limit=MAX_VALUE_CODE_LENGTH)
    if continues and continues == code:
        c.add(c.line_of(q, "continues"), f"{what}: «continues» peker på seg selv; samme kode trenger ingen lenke")
    c.text(q, "changed", what, limit=500)
    c.text(q, "relevance", what, limit=ex.MAX_LENGTH + 1)


def _check_lines(c: _Checker, items: Seq, what: str, with_continues: bool) -> list[str]:
    codes: dict[str, int] = {}
    for index, item in enumerate(items):
        line = items.item_lines[index]
        if not c.expect_map(item, line, f"{what} nr. {index + 1}"):
            continue
        code = c.code(item, f"{what} nr. {index + 1}")
        c.unknown_keys(item, LINE_KEYS if with_continues else {"code", "label"}, what)
        c.text(item, "label", f"{what} «{code}»", required=True, limit=500)
        c.text(item, "help", what)
        c.text(item, "continues", what, limit=MAX_CODE_LENGTH)
        merges = c.text(item, "merges", what, limit=500)
        for part in (p.strip() for p in merges.split(",")):
            if merges and not CODE_RE.fullmatch(part):
                c.add(
                    c.line_of(item, "merges"), f"{what} «{code}»: «merges» må være koder skilt med komma, ikke «{part}»"
                )
        c.text(item, "changed", what, limit=500)
        if code in codes:
            c.add(c.line_of(item, "code"), f"{what}: koden «{code}» står to ganger (første på linje {codes[code]})")
        codes.setdefault(code, c.line_of(item, "code"))
    return list(codes)


def _expression_problem(c: _Checker, line: int, what: str, key: str, error: ex.ExpressionError) -> None:
    c.add(line, f"{what}: «{key}»: {error.message} (kolonne {error.position} i uttrykket)")


def _check_expressions(
    c: _Checker, data: Map, defn: Definition, seen: dict[str, tuple[int, int]], question_lines: dict[str, int]
) -> None:
    for section in data["sections"]:
        for q in section.get("questions") or []:
            relevance = q.get("relevance")
            if not relevance:
                continue
            what = f"spørsmål «{q['code']}»"
            line = c.line_of(q, "relevance")
            try:
                compiled = defn.compiled(str(relevance))
            except ex.ExpressionError as error:
                _expression_problem(c, line, what, "relevance", error)
                continue
            if compiled.type != ex.BOOL:
                c.add(line, f"{what}: «relevance» må gi ja/nei, ikke {compiled.type}")
            position = seen[q["code"]][1]
            for name in sorted(compiled.names):
                target = defn.question_for(defn.expand(name)[0])
                if target is not None and seen.get(target.code, (0, -1))[1] >= position:
                    c.add(line, f"{what}: «relevance» kan bare vise til spørsmål som kommer før ({name})")

    rules = c.seq(data, "rules", "filen")
    rule_codes: dict[str, int] = {}
    for index, rule in enumerate(rules):
        line = rules.item_lines[index]
        if not c.expect_map(rule, line, f"regel nr. {index + 1}"):
            continue
        code = c.code(rule, f"regel nr. {index + 1}")
        what = f"regel «{code or index + 1}»"
        if code in rule_codes:
            c.add(c.line_of(rule, "code"), f"{what}: koden er brukt før (linje {rule_codes[code]})")
        rule_codes.setdefault(code, c.line_of(rule, "code"))
        c.unknown_keys(rule, RULE_KEYS, what)
        c.text(rule, "message", what, required=True, limit=1000)
        severity = rule.get("severity", "error")
        if severity not in SEVERITIES:
            c.add(c.line_of(rule, "severity"), f"{what}: ukjent severity «{severity}» (error eller warning)")
        extra = None
        each_cell = c.text(rule, "each_cell", what)
        if each_cell:
            target = defn.questions.get(each_cell)
            if target is None or not target.is_grid:
                c.add(c.line_of(rule, "each_cell"), f"{what}: «each_cell» må være koden til et rutenett")
            extra = {CELL_VARIABLE: ex.NUMBER}
        for key in ("expression", "when"):
            text = c.text(rule, key, what, required=key == "expression", limit=ex.MAX_LENGTH + 1)
            if not text:
                continue
            try:
                compiled = defn.compiled(text, extra)
            except ex.ExpressionError as error:
                _expression_problem(c, c.line_of(rule, key), what, key, error)
                continue
            if compiled.type != ex.BOOL:
                c.add(c.line_of(rule, key), f"{what}: «{key}» må gi ja/nei (en påstand som skal holde)")
        variables = c.seq(rule, "variables", what)
        for v_index, variable in enumerate(variables):
            if not isinstance(variable, str) or defn.question_for(variable) is None:
                c.add(variables.item_lines[v_index], f"{what}: ukjent variabel «{variable}» i «variables»")
