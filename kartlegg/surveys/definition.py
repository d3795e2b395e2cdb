"""The pure questionnaire definition: plain dataclasses built from a dict (the JSON/YAML shape), no ORM.

The engine package re-exports everything here; other apps import from engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kartlegg.surveys import expressions as ex

QUESTION_TYPES = ("integer", "decimal", "percent", "yesno", "choice", "multichoice", "text", "date", "grid")
NUMERIC_TYPES = ("integer", "decimal", "percent")
SEVERITIES = ("error", "warning")
TEXT_MAX_LENGTH = 10_000
# A hard ceiling on any number, well inside Answer.value_num (20 digits, 6 decimals), so nothing overflows later.
NUMBER_LIMIT = Decimal(10) ** 12
DEFAULT_DECIMALS = {"integer": 0, "decimal": 6, "percent": 2}

# Read-only variables that the caller supplies (validate(context=...)); rules may use them, answers never set them.
RESERVED_VARIABLES = {
    "_population_total": "innbyggere i alt",
    "_population_0_17": "innbyggere 0–17 år",
    "_population_18_plus": "innbyggere 18 år og eldre",
    "_year": "kartleggingsåret",
}
CELL_VARIABLE = "_cell"

_STATIC_TYPE = {
    "integer": ex.NUMBER,
    "decimal": ex.NUMBER,
    "percent": ex.NUMBER,
    "yesno": ex.BOOL,
    "choice": ex.STRING,
    "text": ex.STRING,
    "multichoice": ex.STRINGS,
    "date": ex.DATE,
    "grid": ex.CELLS,
}


@dataclass(frozen=True)
class Question:
    code: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    decimals: int | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    relevance: str = ""
    continues: str = ""
    tags: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)
    section: str = ""
    max_length: int | None = None
    unit: str = ""
    row_help: dict[str, str] = field(default_factory=dict)
    column_help: dict[str, str] = field(default_factory=dict)
    # For a grid that continues an earlier grid: row/column codes that were renamed ({new: old}).
    row_continues: dict[str, str] = field(default_factory=dict)
    column_continues: dict[str, str] = field(default_factory=dict)
    # For a choice that continues a question of another type: choice code → the old stored answer it takes over
    # ({"ja": "true", "nei": "false"} after a yes/no question). Without it nothing is carried across the change.
    choice_continues: dict[str, str] = field(default_factory=dict)
    # For a grid: rows/columns of the earlier grid merged into this one ({new: (old, …)}), e.g. 2020's
    # erfaringskonsulent column into 2024's ufaglart. Comparisons with last year add them to the cell's predecessor.
    row_merges: dict[str, tuple[str, ...]] = field(default_factory=dict)
    column_merges: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A declared change of definition since the version this one continues (what changed, in words): the question
    # as a whole, or grid rows/columns ({code: text}). Statistics mark a series break there.
    changed: str = ""
    row_changed: dict[str, str] = field(default_factory=dict)
    column_changed: dict[str, str] = field(default_factory=dict)

    @property
    def is_grid(self) -> bool:
        return self.type == "grid"

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def cell_type(self) -> str:
        """Grid cells are decimals unless the grid says integer (decimals: 0)."""
        return "integer" if self.decimals == 0 else "decimal"

    def cell_codes(self) -> list[str]:
        return [f"{self.code}.{r}.{c}" for r, _ in self.rows for c, _ in self.columns]

    def effective_decimals(self) -> int:
        if self.decimals is not None:
            return self.decimals
        return DEFAULT_DECIMALS.get(self.cell_type if self.is_grid else self.type, 6)

    def effective_bounds(self) -> tuple[Decimal | None, Decimal | None]:
        low, high = self.min_value, self.max_value
        if self.type == "percent":
            low = Decimal(0) if low is None else low
            high = Decimal(100) if high is None else high
        return low, high

    def choice_label(self, code: str) -> str:
        return dict(self.choices).get(code, code)


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    help: str = ""
    questions: list[Question] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    code: str
    expression: str
    severity: str = "error"
    message: str = ""
    variables: list[str] = field(default_factory=list)
    when: str = ""
    each_cell: str = ""


@dataclass
class Definition:
    survey_code: str
    year: int
    label: str
    title: str
    sections: list[Section]
    rules: list[Rule] = field(default_factory=list)
    survey_name: str = ""
    kind: str = "annual"
    pulse_interval_days: int | None = None
    intro: str = ""
    # Texts in other languages ({"nn": {key: text}}, see texts.py) and the language this copy is written in.
    translations: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    language: str = "nb"
    questions: dict[str, Question] = field(init=False, repr=False, compare=False)
    cells: dict[str, tuple[Question, str, str]] = field(init=False, repr=False, compare=False)
    _compiled: dict[str, ex.Compiled] = field(init=False, repr=False, compare=False)
    _verdicts: dict[str, dict[Any, bool]] = field(init=False, repr=False, compare=False)
    _expanded: dict[str, list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.questions = {q.code: q for s in self.sections for q in s.questions}
        self.cells = {}
        for q in self.questions.values():
            if q.is_grid:
                for r, _ in q.rows:
                    for c, _ in q.columns:
                        self.cells[f"{q.code}.{r}.{c}"] = (q, r, c)
        self._compiled = {}
        self._verdicts = {}
        self._expanded = {}

    def question_for(self, code: str) -> Question | None:
        """The question a value code belongs to (the grid for a cell code)."""
        if code in self.questions:
            return self.questions[code]
        cell = self.cells.get(code)
        return cell[0] if cell else None

    def all_questions(self) -> list[Question]:
        return list(self.questions.values())

    def tagged(self, tag: str) -> list[Question]:
        return [q for q in self.questions.values() if tag in q.tags]

    def static_type(self, name: str) -> str | None:
        """The expression type of a variable name, or None if the name means nothing in this questionnaire."""
        if name in RESERVED_VARIABLES:
            return ex.NUMBER
        question = self.questions.get(name)
        if question is not None:
            return _STATIC_TYPE[question.type]
        if name in self.cells:
            return ex.NUMBER
        parts = name.split(".")
        grid = self.questions.get(parts[0])
        if grid is None or not grid.is_grid:
            return None
        rows = {r for r, _ in grid.rows}
        cols = {c for c, _ in grid.columns}
        if len(parts) == 2 and parts[1] in rows:
            return ex.CELLS
        if len(parts) == 3 and parts[1] == "*" and parts[2] in cols:
            return ex.CELLS
        if len(parts) == 3 and parts[1] in rows and parts[2] == "*":
            return ex.CELLS
        return None

    def expand(self, name: str) -> list[str]:
        """The value codes a multi-cell name stands for (the name itself for a single variable). Kept per name, as
        validation looks the same names up on every save: do not change the list returned."""
        found = self._expanded.get(name)
        if found is None:
            if len(self._expanded) > MAX_VERDICTS:
                self._expanded.clear()
            found = self._expanded[name] = self._expand(name)
        return found

    def _expand(self, name: str) -> list[str]:
        question = self.questions.get(name)
        if question is not None and question.is_grid:
            return question.cell_codes()
        parts = name.split(".")
        grid = self.questions.get(parts[0])
        if grid is None or not grid.is_grid or len(parts) == 1:
            return [name]
        if len(parts) == 2:
            return [f"{grid.code}.{parts[1]}.{c}" for c, _ in grid.columns]
        if parts[1] == "*":
            return [f"{grid.code}.{r}.{parts[2]}" for r, _ in grid.rows]
        if parts[2] == "*":
            return [f"{grid.code}.{parts[1]}.{c}" for c, _ in grid.columns]
        return [name]

    def localized(self, language: str | None) -> Definition:
        """This questionnaire with its texts in `language` (nb, nn or en); bokmål where a text is not translated."""
        from kartlegg.surveys.texts import localize

        return localize(self, language or "nb")

    def compiled(self, text: str, extra: dict[str, str] | None = None) -> ex.Compiled:
        """Compile (and cache) an expression against this definition. Raises ExpressionError."""
        key = text if not extra else f"{sorted(extra.items())}|{text}"
        found = self._compiled.get(key)
        if found is None:

            def lookup(name: str) -> str | None:
                if extra and name in extra:
                    return extra[name]
                return self.static_type(name)

            found = ex.compile_expression(text, lookup)
            self._compiled[key] = found
        return found

    def cell_verdicts(self, rule_code: str) -> dict[Any, bool]:
        """A per-cell rule's verdicts by cell value, kept for as long as this definition is (engine._check_rule
        fills it for rules that read nothing but the cell). Bounded: emptied when it grows past MAX_VERDICTS."""
        found = self._verdicts.get(rule_code)
        if found is None or len(found) > MAX_VERDICTS:
            found = self._verdicts[rule_code] = {}
        return found


# Verdicts kept per per-cell rule (engine._check_rule); a key and a bool are about 200 bytes.
MAX_VERDICTS = 20_000


def _pairs(items: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items or []:
        if isinstance(item, dict):
            out.append((str(item["code"]), str(item.get("label", item["code"]))))
        else:
            out.append((str(item[0]), str(item[1])))
    return out


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value)).normalize()


def question_from_dict(data: dict[str, Any], section: str = "") -> Question:
    rows = data.get("rows") or []
    columns = data.get("columns") or []
    return Question(
        code=str(data["code"]),
        type=str(data["type"]),
        label=str(data.get("label", "")),
        help=str(data.get("help") or ""),
        required=bool(data.get("required", False)),
        min_value=_decimal(data.get("min", data.get("min_value"))),
        max_value=_decimal(data.get("max", data.get("max_value"))),
        decimals=None if data.get("decimals") is None else int(data["decimals"]),
        choices=_pairs(data.get("choices")),
        relevance=str(data.get("relevance") or ""),
        continues=str(data.get("continues") or ""),
        tags=[str(t) for t in data.get("tags") or []],
        rows=_pairs(rows),
        columns=_pairs(columns),
        section=section or str(data.get("section", "")),
        max_length=None if data.get("max_length") is None else int(data["max_length"]),
        unit=str(data.get("unit") or ""),
        row_help={str(r["code"]): str(r["help"]) for r in rows if isinstance(r, dict) and r.get("help")},
        column_help={str(c["code"]): str(c["help"]) for c in columns if isinstance(c, dict) and c.get("help")},
        row_continues={str(r["code"]): str(r["continues"]) for r in rows if isinstance(r, dict) and r.get("continues")},
        column_continues={
            str(c["code"]): str(c["continues"]) for c in columns if isinstance(c, dict) and c.get("continues")
        },
        row_merges=_merges(rows),
        column_merges=_merges(columns),
        choice_continues={
            str(c["code"]): _stored_text(c["continues"])
            for c in data.get("choices") or []
            if isinstance(c, dict) and c.get("continues") is not None and c.get("continues") != ""
        },
        changed=str(data.get("changed") or ""),
        row_changed={str(r["code"]): str(r["changed"]) for r in rows if isinstance(r, dict) and r.get("changed")},
        column_changed={str(c["code"]): str(c["changed"]) for c in columns if isinstance(c, dict) and c.get("changed")},
    )


def _merges(lines: Any) -> dict[str, tuple[str, ...]]:
    """{line code: earlier codes merged into it} from `merges: a, b` on grid rows or columns."""
    found: dict[str, tuple[str, ...]] = {}
    for line in lines:
        if isinstance(line, dict) and line.get("merges"):
            codes = tuple(part.strip() for part in str(line["merges"]).split(",") if part.strip())
            if codes:
                found[str(line["code"])] = codes
    return found


def _stored_text(value: Any) -> str:
    """An old answer as it is stored (YAML reads `true` as a boolean; the database holds "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def definition_from_dict(data: dict[str, Any]) -> Definition:
    """Build a Definition from the normalised dict shape (the same shape as the YAML file and the API JSON)."""
    survey = data.get("survey") or {}
    sections = [
        Section(
            code=str(s["code"]),
            title=str(s.get("title", "")),
            help=str(s.get("help") or ""),
            questions=[question_from_dict(q, str(s["code"])) for q in s.get("questions") or []],
        )
        for s in data.get("sections") or []
    ]
    rules = [
        Rule(
            code=str(r["code"]),
            expression=str(r["expression"]),
            severity=str(r.get("severity", "error")),
            message=str(r.get("message", "")),
            variables=[str(v) for v in r.get("variables") or []],
            when=str(r.get("when") or ""),
            each_cell=str(r.get("each_cell") or ""),
        )
        for r in data.get("rules") or []
    ]
    interval = survey.get("interval_days", survey.get("pulse_interval_days"))
    return Definition(
        survey_code=str(survey.get("code", "")),
        survey_name=str(survey.get("name", "")),
        kind=str(survey.get("kind", "annual")),
        pulse_interval_days=None if interval is None else int(interval),
        year=int(data.get("year", 0)),
        label=str(data.get("label", "")),
        title=str(data.get("title", "")),
        intro=str(data.get("intro") or ""),
        sections=sections,
        rules=rules,
        translations={str(k): dict(v) for k, v in (data.get("translations") or {}).items()},
    )


def _grid_line(
    code: str, label: str, help_text: str, continues: str, merges: tuple[str, ...] = (), changed: str = ""
) -> dict[str, str]:
    line = {"code": code, "label": label}
    if help_text:
        line["help"] = help_text
    if continues:
        line["continues"] = continues
    if merges:
        line["merges"] = ", ".join(merges)
    if changed:
        line["changed"] = changed
    return line


def question_to_dict(q: Question) -> dict[str, Any]:
    return {
        "code": q.code,
        "type": q.type,
        "label": q.label,
        "help": q.help,
        "required": q.required,
        "min": None if q.min_value is None else q.min_value,
        "max": None if q.max_value is None else q.max_value,
        "decimals": q.decimals,
        "max_length": q.max_length,
        "unit": q.unit,
        "choices": [
            {"code": c, "label": label, **({"continues": q.choice_continues[c]} if c in q.choice_continues else {})}
            for c, label in q.choices
        ],
        "relevance": q.relevance,
        "continues": q.continues,
        "tags": list(q.tags),
        "changed": q.changed,
        "rows": [
            _grid_line(
                c,
                label,
                q.row_help.get(c, ""),
                q.row_continues.get(c, ""),
                q.row_merges.get(c, ()),
                q.row_changed.get(c, ""),
            )
            for c, label in q.rows
        ],
        "columns": [
            _grid_line(
                c,
                label,
                q.column_help.get(c, ""),
                q.column_continues.get(c, ""),
                q.column_merges.get(c, ()),
                q.column_changed.get(c, ""),
            )
            for c, label in q.columns
        ],
    }


def definition_to_dict(defn: Definition) -> dict[str, Any]:
    """The inverse of definition_from_dict (Decimals stay Decimals; the API turns them into numbers)."""
    return {
        "survey": {
            "code": defn.survey_code,
            "name": defn.survey_name,
            "kind": defn.kind,
            "interval_days": defn.pulse_interval_days,
        },
        "year": defn.year,
        "label": defn.label,
        "title": defn.title,
        "intro": defn.intro,
        "sections": [
            {
                "code": s.code,
                "title": s.title,
                "help": s.help,
                "questions": [question_to_dict(q) for q in s.questions],
            }
            for s in defn.sections
        ],
        "rules": [
            {
                "code": r.code,
                "expression": r.expression,
                "when": r.when,
                "each_cell": r.each_cell,
                "severity": r.severity,
                "message": r.message,
                "variables": list(r.variables),
            }
            for r in defn.rules
        ],
    }
