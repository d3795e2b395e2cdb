"""Compare two questionnaire versions: which questions are new, gone, changed, unchanged, or continued from an
earlier code. Pure functions on Definitions, so the page, the API and tests share one answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from kartlegg.lib.numbers import format_number
from kartlegg.surveys.definition import Definition, Question, Rule

ADDED, REMOVED, CHANGED, UNCHANGED, CONTINUED = "added", "removed", "changed", "unchanged", "continued"
STATUS_LABELS = {
    ADDED: "Ny",
    REMOVED: "Fjernet",
    CHANGED: "Endret",
    UNCHANGED: "Uendret",
    CONTINUED: "Videreført fra annen kode",
}


@dataclass(frozen=True)
class QuestionDiff:
    status: str
    old: Question | None
    new: Question | None
    changes: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return (self.new or self.old).code  # type: ignore[union-attr]

    @property
    def old_code(self) -> str:
        return self.old.code if self.old else ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class RuleDiff:
    status: str
    old: Rule | None
    new: Rule | None
    changes: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return (self.new or self.old).code  # type: ignore[union-attr]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Comparison:
    old: Definition
    new: Definition
    questions: list[QuestionDiff]
    rules: list[RuleDiff]

    def by_status(self, status: str) -> list[QuestionDiff]:
        return [d for d in self.questions if d.status == status]

    def counts(self) -> dict[str, int]:
        return {status: len(self.by_status(status)) for status in STATUS_LABELS}

    def continued_pairs(self) -> list[tuple[str, str]]:
        return [(d.old_code, d.code) for d in self.questions if d.status == CONTINUED]


def _number(value: object) -> str:
    return "–" if value is None else format_number(value, 6, space=" ").rstrip("0").rstrip(",")  # type: ignore[arg-type]


def _lines_changes(
    what: str, old: list[tuple[str, str]], new: list[tuple[str, str]], renamed: dict[str, str]
) -> list[str]:
    changes: list[str] = []
    old_labels = dict(old)
    matched_old = set()
    for code, label in new:
        source = renamed.get(code, code)
        if source in old_labels:
            matched_old.add(source)
            if source != code:
                changes.append(f"{what} «{label}» viderefører «{source}»")
            elif old_labels[source] != label:
                changes.append(f"{what} «{code}» har ny tekst: «{old_labels[source]}» → «{label}»")
        else:
            changes.append(f"ny {what}: «{label}»")
    for code, label in old:
        if code not in matched_old:
            changes.append(f"fjernet {what}: «{label}»")
    return changes


def question_changes(old: Question, new: Question) -> list[str]:
    changes: list[str] = []
    if old.type != new.type:
        changes.append(f"type: {old.type} → {new.type}")
    if old.label != new.label:
        changes.append(f"spørsmålstekst: «{old.label}» → «{new.label}»")
    if old.help != new.help:
        changes.append("hjelpeteksten er endret")
    if old.required != new.required:
        changes.append("er nå påkrevd" if new.required else "er ikke lenger påkrevd")
    for what, a, b in (("minste verdi", old.min_value, new.min_value), ("største verdi", old.max_value, new.max_value)):
        if a != b:
            changes.append(f"{what}: {_number(a)} → {_number(b)}")
    if old.decimals != new.decimals:
        changes.append(f"desimaler: {_number(old.decimals)} → {_number(new.decimals)}")
    if old.unit != new.unit:
        changes.append(f"enhet: «{old.unit}» → «{new.unit}»")
    if old.relevance != new.relevance:
        changes.append(f"vises når: «{old.relevance or 'alltid'}» → «{new.relevance or 'alltid'}»")
    if set(old.tags) != set(new.tags):
        changes.append(f"merker: {', '.join(old.tags) or '–'} → {', '.join(new.tags) or '–'}")
    if old.choices != new.choices:
        changes.extend(_lines_changes("svaralternativ", old.choices, new.choices, {}))
    if old.is_grid and new.is_grid:
        changes.extend(_lines_changes("rad", old.rows, new.rows, new.row_continues))
        changes.extend(_lines_changes("kolonne", old.columns, new.columns, new.column_continues))
    return changes


def compare(old: Definition, new: Definition) -> Comparison:
    """`old` is the earlier version; continues links are read from `new`."""
    diffs: list[QuestionDiff] = []
    used_old: set[str] = set()
    for question in new.questions.values():
        if question.continues and question.continues in old.questions:
            previous = old.questions[question.continues]
            used_old.add(previous.code)
            diffs.append(QuestionDiff(CONTINUED, previous, question, question_changes(previous, question)))
        elif question.code in old.questions:
            previous = old.questions[question.code]
            used_old.add(previous.code)
            changes = question_changes(previous, question)
            diffs.append(QuestionDiff(CHANGED if changes else UNCHANGED, previous, question, changes))
        else:
            diffs.append(QuestionDiff(ADDED, None, question))
    for question in old.questions.values():
        if question.code not in used_old:
            diffs.append(QuestionDiff(REMOVED, question, None))

    old_rules = {r.code: r for r in old.rules}
    new_rules = {r.code: r for r in new.rules}
    rule_diffs: list[RuleDiff] = []
    for rule in new.rules:
        before = old_rules.get(rule.code)
        if before is None:
            rule_diffs.append(RuleDiff(ADDED, None, rule))
            continue
        changes = [
            f"{label}: «{getattr(before, attr)}» → «{getattr(rule, attr)}»"
            for attr, label in (
                ("expression", "uttrykk"),
                ("when", "gjelder når"),
                ("each_cell", "for hver celle i"),
                ("severity", "alvorlighet"),
                ("message", "melding"),
            )
            if getattr(before, attr) != getattr(rule, attr)
        ]
        rule_diffs.append(RuleDiff(CHANGED if changes else UNCHANGED, before, rule, changes))
    rule_diffs.extend(RuleDiff(REMOVED, rule, None) for rule in old.rules if rule.code not in new_rules)
    return Comparison(old=old, new=new, questions=diffs, rules=rule_diffs)
