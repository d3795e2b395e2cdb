"""The plain data the checks work on, what they return, and the registry that names them.

Everything here is ORM-free: a check is a function (unit, context) -> list[FlagCandidate], so it can be tested on
hand-made dictionaries and runs a whole round in a fraction of a second.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.utils.translation import gettext

from kartlegg.geography.logic import PopulationBands
from kartlegg.surveys.engine import Definition

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}

# Per-capita bases, as the statistics count them (docs/statistics.md): adults per 10 000 aged 18+, children per
# 10 000 aged 0–17, anything else per 1 000 inhabitants.
TARGET_BASES = {
    "voksne": ("age_18_plus", 10_000, "per 10 000 innbyggere 18 år og over"),
    "barn_og_unge": ("age_0_17", 10_000, "per 10 000 innbyggere 0–17 år"),
    "totalt": ("total", 1_000, "per 1 000 innbyggere"),
}


class QAConfigError(ValueError):
    """A QA configuration that cannot be used. The message names the check and the setting, in bokmål."""


# What the questionnaire looks like to the checks


@dataclass(frozen=True)
class Grid:
    """An årsverk grid: its cells are summed into the unit's FTE totals."""

    code: str
    label: str
    target: str  # a key of TARGET_BASES
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    previous_code: str = ""  # the grid it continues in last year's version ("" when new)

    @cached_property
    def cell_codes(self) -> tuple[str, ...]:
        return tuple(f"{self.code}.{r}.{c}" for r in self.rows for c in self.columns)

    def cells(self) -> list[str]:
        return list(self.cell_codes)

    def expand(self, spec: str) -> list[str]:
        """Cells named by `grid`, `grid.row`, `grid.*.col`, `grid.row.*` or a single cell."""
        parts = spec.split(".")
        if parts[0] != self.code:
            return []
        if len(parts) == 1:
            return self.cells()
        if len(parts) == 2:
            return [f"{self.code}.{parts[1]}.{c}" for c in self.columns] if parts[1] in self.rows else []
        row, col = parts[1], parts[2]
        rows = self.rows if row == "*" else ((row,) if row in self.rows else ())
        cols = self.columns if col == "*" else ((col,) if col in self.columns else ())
        return [f"{self.code}.{r}.{c}" for r in rows for c in cols]


@dataclass(frozen=True)
class SectionInfo:
    code: str
    title: str
    questions: tuple[str, ...]  # question codes (a grid is one question)
    value_codes: tuple[str, ...]
    grids: tuple[str, ...]  # årsverk grids in the section
    text_only: bool


@dataclass
class Layout:
    """What the checks need to know about one questionnaire version."""

    definition: Definition
    grids: tuple[Grid, ...]
    fte_questions: tuple[str, ...]  # numeric questions counted in årsverk (not grids)
    sections: tuple[SectionInfo, ...]
    labels: dict[str, str]

    def grid(self, code: str) -> Grid | None:
        return next((g for g in self.grids if g.code == code), None)

    def grid_for(self, reference: str) -> Grid | None:
        """A grid by code, or by target group: `@voksne` is the adults' årsverk grid whatever its code this year."""
        if reference.startswith("@"):
            return next((g for g in self.grids if g.target == reference[1:]), None)
        return self.grid(reference)

    def expand(self, spec: str) -> list[str]:
        """Value codes named by spec: a grid (or part of one, see Grid.expand; `@voksne.fact` names a row of the
        adults' grid) or a single variable. Names the questionnaire does not have give []."""
        head, dot, rest = spec.partition(".")
        grid = self.grid_for(head)
        if grid is not None and head.startswith("@"):
            spec = grid.code + dot + rest
        if grid is not None:
            return grid.expand(spec)
        question = self.definition.question_for(spec)
        if question is not None and question.is_grid:
            return [c for c in question.cell_codes() if c.startswith(spec + ".") or spec == question.code]
        return [spec] if spec in self.definition.questions else []

    def label(self, code: str) -> str:
        return self.labels.get(code, code)


@dataclass
class Previous:
    """Last year's answers, keyed by this year's variable codes (followed through `continues`) and carried onto this
    year's unit: a merged unit gets the sum of its predecessors, a split unit a population share (estimated)."""

    values: dict[str, Any]
    grid_totals: dict[str, float]  # this year's grid code → total of last year's grid (every cell it had)
    year: int
    sources: tuple[str, ...] = ()
    estimated: bool = False
    # For cells that take over several of last year's cells (a merged column): the one they continue, alone.
    primary: dict[str, Any] = field(default_factory=dict)

    @property
    def merged(self) -> bool:
        return len(self.sources) > 1


@dataclass
class UnitData:
    code: str
    name: str
    population: PopulationBands
    size_group: str = ""
    county_code: str = ""
    status: str = "submitted"
    submitted: bool = True  # submitted at least once (a reopened response still counts)
    values: dict[str, Any] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    previous: Previous | None = None
    unit_id: int | None = None  # the database id, carried through for the caller; checks never use it

    @property
    def has_values(self) -> bool:
        return any(not is_blank(v) for v in self.values.values())

    @cached_property
    def numbers(self) -> dict[str, float]:
        """The numeric values as floats (computed once: every check sums the same grids)."""
        found = {}
        for code, value in self.values.items():
            number = num(value)
            if number is not None:
                found[code] = number
        return found

    def total(self, codes: tuple[str, ...] | list[str]) -> tuple[float, int]:
        """(sum, number of cells holding a number) over `codes`, like cells_total but from the cached floats."""
        numbers = self.numbers
        present = [numbers[c] for c in codes if c in numbers]
        return math.fsum(present), len(present)


@dataclass(frozen=True)
class FlagCandidate:
    """One thing an analyst should look at. `rule` tells findings of one check apart (percent_as_fte, tenfold…);
    (unit, check, rule, variable) is the flag's identity across re-runs."""

    unit: str
    variable: str
    check: str
    rule: str
    severity: str
    values: dict[str, Any]
    explanation: str
    impact: float  # estimated effect on the national total, in årsverk (0 when the variable is not årsverk)
    variables: tuple[str, ...] = ()  # the stored variables involved; a change to any of them counts as a correction

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.unit, self.check, self.rule, self.variable)


@dataclass
class CheckContext:
    layout: Layout
    config: dict[str, Any]
    peers: Any = None  # peers.PeerTable, built once per run
    year: int = 0


CheckFunction = Callable[[UnitData, CheckContext], list[FlagCandidate]]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    label: str
    function: CheckFunction
    defaults: dict[str, Any]
    description: str = ""


REGISTRY: dict[str, CheckSpec] = {}


def register(
    name: str, label: str, defaults: dict[str, Any], description: str = ""
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under `name` with its default settings (every check has `enabled`)."""

    def decorate(function: CheckFunction) -> CheckFunction:
        REGISTRY[name] = CheckSpec(name, label, function, {"enabled": True, **defaults}, description)
        return function

    return decorate


def check_labels() -> dict[str, str]:
    """Each check's name in the page's language (the labels are marked with gettext_noop where they are registered)."""
    return {name: gettext(spec.label) for name, spec in REGISTRY.items()}


def default_config() -> dict[str, dict[str, Any]]:
    return {name: copy.deepcopy(spec.defaults) for name, spec in REGISTRY.items()}


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float) and isinstance(value, int | float):
        return math.isfinite(value)
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, str):
        return isinstance(value, str) or (default == "auto" and isinstance(value, list))
    return isinstance(value, type(default))


def effective_config(overrides: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The defaults with a version's overrides laid over them. Unknown checks or settings, and values of the wrong
    kind, are refused with a message that names them, so a typo in the JSON cannot silently switch a check off."""
    config = default_config()
    if overrides is None:
        return config
    if not isinstance(overrides, Mapping):
        raise QAConfigError("Oppsettet må være et JSON-objekt med én nøkkel per kontroll.")
    for name, settings in overrides.items():
        if name not in config:
            raise QAConfigError(f"Ukjent kontroll «{name}». Gyldige er {', '.join(REGISTRY)}.")
        if not isinstance(settings, Mapping):
            raise QAConfigError(f"Oppsettet for «{name}» må være et JSON-objekt.")
        for key, value in settings.items():
            if key not in config[name]:
                raise QAConfigError(
                    f"Ukjent innstilling «{key}» for kontrollen «{name}». Gyldige er {', '.join(config[name])}."
                )
            if not _same_kind(config[name][key], value):
                raise QAConfigError(
                    f"Innstillingen «{name}.{key}» har feil type: {value!r} (standard er {config[name][key]!r})."
                )
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise QAConfigError(f"Innstillingen «{name}.{key}» kan ikke være negativ: {value!r}.")
            config[name][key] = copy.deepcopy(value)
    return config


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def num(value: Any) -> float | None:
    """A number as float, or None for blanks, text, booleans and anything non-finite."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | int | float):
        result = float(value)
        return result if math.isfinite(result) else None
    return None


def cells_total(values: Mapping[str, Any], codes: list[str]) -> tuple[float, int]:
    """(sum, number of cells holding a number) over `codes`; blanks count as nothing, never as 0."""
    total = 0.0
    filled = 0
    for code in codes:
        value = num(values.get(code))
        if value is not None:
            total += value
            filled += 1
    return total, filled


def figure(value: float | None, decimals: int = 2) -> float | None:
    """A number for the JSON `values` of a flag: rounded, so re-runs compare equal when nothing changed."""
    return None if value is None else round(float(value), decimals)


def base_population(unit: UnitData, target: str) -> tuple[int, int, str]:
    band, per, label = TARGET_BASES.get(target, TARGET_BASES["totalt"])
    return int(getattr(unit.population, band)), per, label


def commented(unit: UnitData, codes: list[str], grid: str = "") -> str:
    """The first non-empty comment on the grid or any of `codes` ("" when none)."""
    for code in ([grid] if grid else []) + codes:
        text = (unit.comments.get(code) or "").strip()
        if text:
            return text
    return ""


def fmt(value: float | Decimal | None, decimals: int = 2) -> str:
    """A number for an explanation, the Norwegian way and without trailing zeros: `0,5`, `1 234`, `12,25`."""
    from kartlegg.lib.numbers import format_number

    if value is None:
        return "–"
    rounded = round(float(value), decimals)
    shown = 0
    for places in range(decimals, -1, -1):
        if abs(rounded - round(rounded, places)) > 10 ** -(decimals + 2):
            break
        shown = places
    return format_number(rounded, shown, space=" ")


def previous_note(unit: UnitData) -> str:
    """A sentence saying where last year's figures come from when the unit changed in a municipal reform."""
    previous = unit.previous
    if previous is None:
        return ""
    if previous.estimated:
        return (
            " Fjorårets tall er anslått: kommunen er delt siden i fjor, og tallene til "
            + ", ".join(previous.sources)
            + " er fordelt etter folketall."
        )
    if previous.merged:
        return " Fjorårets tall er summen for " + ", ".join(previous.sources) + ", som er slått sammen siden i fjor."
    return ""
