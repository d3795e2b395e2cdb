"""The quantified summary of coded answers, on plain data (no ORM): per theme and code the number and share of
units, the quantifier word from the scale, Norwegian bullet sentences, quotes, and breakdowns with suppression.

The denominator is the number of units with a coded, relevant answer: units whose only code is "ikke relevant /
annet", and units whose answer is not coded, do not count. A report chapter consumes `FreetextSummary` as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from kartlegg.lib.numbers import format_number, format_percent

DEFAULT_SCALE = ">=90:nesten alle;>50:de fleste;>=25:mange;>=10:flere;>=0:noen"
MIN_GROUP = 5  # breakdown groups with fewer units are suppressed
QUOTES_PER_THEME = 2
_STEP = re.compile(r"^\s*(>=|>)\s*(\d+(?:[.,]\d+)?)\s*:\s*(\S.*?)\s*$")
DEFINITE = {"kommuner": "kommunene", "enheter": "enhetene", "bydeler": "bydelene"}


class ScaleError(ValueError):
    pass


@dataclass(frozen=True)
class ScaleStep:
    percent: float
    strict: bool  # ">" rather than ">="
    word: str

    def matches(self, percent: float) -> bool:
        return percent > self.percent if self.strict else percent >= self.percent


def parse_scale(text: str) -> tuple[ScaleStep, ...]:
    """ ">=90:nesten alle;>50:de fleste;…" from the highest step down; the last step must be >=0."""
    steps = []
    for number, part in enumerate([p for p in text.split(";") if p.strip()], start=1):
        match = _STEP.match(part)
        if not match:
            raise ScaleError(f"Trinn {number} i skalaen («{part.strip()}») må se slik ut: >=90:nesten alle")
        steps.append(ScaleStep(float(match.group(2).replace(",", ".")), match.group(1) == ">", match.group(3)))
    if not steps or steps[-1].percent != 0 or steps[-1].strict:
        raise ScaleError("Skalaens siste trinn må være >=0, så alle andeler får et ord.")
    if any(a.percent < b.percent for a, b in zip(steps, steps[1:], strict=False)):
        raise ScaleError("Skalaen må gå fra høyeste til laveste andel.")
    return tuple(steps)


def quantifier(percent: float, scale: Sequence[ScaleStep]) -> str:
    for step in scale:
        if step.matches(percent):
            return step.word
    return scale[-1].word


def scale_text(scale: Sequence[ScaleStep]) -> str:
    return ", ".join(f"{'>' if s.strict else '≥'} {format_number(s.percent)} %: «{s.word}»" for s in scale)


@dataclass(frozen=True)
class CodeInfo:
    key: str
    label: str
    theme_key: str
    theme_label: str
    statement: str = ""
    is_other: bool = False


@dataclass(frozen=True)
class UnitCodes:
    unit: str
    codes: frozenset[str]
    county: str = ""
    size_group: str = ""


@dataclass(frozen=True)
class QuoteText:
    unit: str
    text: str  # already masked and confirmed
    codes: frozenset[str]


@dataclass
class CodeRow:
    key: str
    label: str
    count: int
    share: float  # per cent of the denominator
    quantifier: str
    sentence: str


@dataclass
class ThemeRow:
    key: str
    label: str
    count: int
    share: float
    quantifier: str
    codes: list[CodeRow] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


@dataclass
class GroupRow:
    dimension: str  # "fylke" or "størrelse"
    group: str
    units: int
    suppressed: bool
    shares: dict[str, float | None]  # code key → per cent of the group's units (None when suppressed)
    theme_shares: dict[str, float | None] = field(default_factory=dict)  # theme key → the same, any of its codes


@dataclass
class FreetextSummary:
    title: str
    question: str
    noun: str
    denominator: int  # units with a coded, relevant answer
    coded: int  # units with a coded answer (including "annet" only)
    answered: int  # units with an answer at all
    themes: list[ThemeRow]
    groups: list[GroupRow]
    scale: str
    method: str = ""  # the agreement sentence, when there is one
    min_group: int = MIN_GROUP
    note: str = ""  # added to the denominator text, e.g. that Oslo's bydeler count as units

    @property
    def denominator_text(self) -> str:
        return (
            f"Andelene er regnet av de {format_number(self.denominator)} {self.noun} som har et kodet, relevant svar "
            f"(av {format_number(self.answered)} som svarte på spørsmålet, {format_number(self.coded)} kodet). "
            f"Ordene følger skalaen {self.scale}." + (f" {self.note}" if self.note else "")
        )

    def bullets(self) -> list[tuple[str, list[str]]]:
        """(theme label, sentences) for the report: only codes that at least one unit mentions."""
        return [(t.label, [c.sentence for c in t.codes if c.count]) for t in self.themes if t.count]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["denominator_text"] = self.denominator_text
        return data


def sentence(word: str, noun: str, code: CodeInfo) -> str:
    """ "Nesten alle kommuner beskriver at dag- og gruppetilbud ble stengt." ("de fleste" takes the definite form)."""
    subject = f"{word} {DEFINITE.get(noun, noun) if word == 'de fleste' else noun}"
    subject = subject[0].upper() + subject[1:]
    if code.statement:
        return f"{subject} beskriver at {code.statement.rstrip('.')}."
    return f"{subject} nevner «{code.label}»."


def build_summary(
    codes: Sequence[CodeInfo],
    units: Sequence[UnitCodes],
    *,
    answered: int | None = None,
    quotes: Iterable[QuoteText] = (),
    scale: Sequence[ScaleStep] | None = None,
    noun: str = "kommuner",
    title: str = "",
    question: str = "",
    county_names: dict[str, str] | None = None,
    min_group: int = MIN_GROUP,
    method: str = "",
    note: str = "",
) -> FreetextSummary:
    scale = tuple(scale or parse_scale(DEFAULT_SCALE))
    relevant_keys = {c.key for c in codes if not c.is_other}
    relevant = [u for u in units if u.codes & relevant_keys]
    denominator = len(relevant)

    def share(count: int, of: int) -> float:
        return 100 * count / of if of else 0.0

    themes: dict[str, ThemeRow] = {}
    theme_codes: dict[str, set[str]] = {}
    for code in codes:
        if code.is_other:
            continue
        count = sum(1 for u in relevant if code.key in u.codes)
        pct = share(count, denominator)
        word = quantifier(pct, scale)
        theme = themes.setdefault(code.theme_key, ThemeRow(code.theme_key, code.theme_label, 0, 0.0, ""))
        theme.codes.append(CodeRow(code.key, code.label, count, pct, word, sentence(word, noun, code)))
        theme_codes.setdefault(code.theme_key, set()).add(code.key)
    for key, theme in themes.items():
        theme.count = sum(1 for u in relevant if u.codes & theme_codes[key])
        theme.share = share(theme.count, denominator)
        theme.quantifier = quantifier(theme.share, scale)
        theme.codes.sort(key=lambda c: -c.count)
    pool = sorted(quotes, key=lambda q: (len(q.text), q.unit))
    for key, theme in themes.items():
        theme.quotes = [q.text for q in pool if q.codes & theme_codes[key]][:QUOTES_PER_THEME]
    groups = _breakdowns(relevant, theme_codes, county_names or {}, min_group)
    return FreetextSummary(
        title=title,
        question=question,
        noun=noun,
        denominator=denominator,
        coded=len(units),
        answered=len(units) if answered is None else answered,
        themes=list(themes.values()),
        groups=groups,
        scale=scale_text(scale),
        method=method,
        min_group=min_group,
        note=note,
    )


def _breakdowns(
    relevant: Sequence[UnitCodes], theme_codes: dict[str, set[str]], county_names: dict[str, str], min_group: int
) -> list[GroupRow]:
    keys = [k for codes in theme_codes.values() for k in sorted(codes)]
    rows = []
    for dimension, attribute in (("fylke", "county"), ("størrelse", "size_group")):
        groups: dict[str, list[UnitCodes]] = {}
        for unit in relevant:
            groups.setdefault(getattr(unit, attribute) or "ukjent", []).append(unit)
        for group in sorted(groups):
            members = groups[group]
            suppressed = len(members) < min_group
            label = f"{group} {county_names[group]}" if dimension == "fylke" and group in county_names else group
            rows.append(
                GroupRow(
                    dimension,
                    label,
                    len(members),
                    suppressed,
                    {
                        k: None if suppressed else 100 * sum(1 for u in members if k in u.codes) / len(members)
                        for k in keys
                    },
                    {
                        t: None if suppressed else 100 * sum(1 for u in members if u.codes & c) / len(members)
                        for t, c in theme_codes.items()
                    },
                )
            )
    return rows


def percent_text(value: float | None) -> str:
    return "–" if value is None else format_percent(value, 0)
