"""Missing answers (docs/quality.md): a unit that did not answer, and a section left empty by a unit that did.

A unit "answered" once it has submitted (a response reopened for corrections still has). A unit with a draft that
was never submitted gets a milder flag than one with nothing at all. Only the questions shown under the skip logic
count, and 0 is an answer. A comment is not an answer: a grid keeps its comment when its cells are cleared, so a
comment cannot tell a blanked section from an explained one; it is quoted in the flag instead. Sections of free
text only are not checked by default: most units leave some of them blank.

Impact: for an årsverk section, what the unit reported last year (what would be carried forward), or, without
history, what the size group's median rate gives for its population.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop

from kartlegg.surveys import engine

from .base import (
    ERROR,
    INFO,
    WARNING,
    CheckContext,
    FlagCandidate,
    UnitData,
    base_population,
    figure,
    fmt,
    is_blank,
    register,
)

CHECK = "missing"


def _expected_fte(unit: UnitData, grids: tuple[str, ...], ctx: CheckContext) -> tuple[float, str]:
    """(årsverk, where the figure comes from) for the given grids: last year's, or the peers' median rate."""
    if not grids:
        return 0.0, ""
    previous = unit.previous
    if previous is not None and all(g in previous.grid_totals for g in grids):
        return sum(previous.grid_totals[g] for g in grids), "i fjor"
    estimate = 0.0
    for code in grids:
        grid = ctx.layout.grid(code)
        stat = ctx.peers.stat(code, unit.size_group) if ctx.peers is not None and grid else None
        if grid is None or stat is None:
            continue
        people, per, _label = base_population(unit, grid.target)
        estimate += stat.median_rate * people / per
    return estimate, "anslått ut fra sammenlignbare enheter" if estimate else ""


def _context(unit: UnitData) -> dict[str, Decimal | None]:
    population = unit.population
    return {
        "_population_total": Decimal(population.total),
        "_population_0_17": Decimal(population.age_0_17),
        "_population_18_plus": Decimal(population.age_18_plus),
    }


def _unit_flag(unit: UnitData, ctx: CheckContext) -> FlagCandidate:
    all_grids = tuple(g.code for g in ctx.layout.grids)
    expected, source = _expected_fte(unit, all_grids, ctx)
    started = unit.has_values
    figures = f" Enheten hadde {fmt(expected)} årsverk {source}." if source else ""
    if started:
        text = "Enheten har begynt å fylle ut skjemaet, men har ikke sendt inn." + figures
    else:
        text = "Enheten har ikke svart." + figures
        if source == "i fjor":
            text += " Disse tallene blir brukt (imputert) hvis enheten ikke svarer."
    return FlagCandidate(
        unit=unit.code,
        variable="",
        check=CHECK,
        rule="not_submitted" if started else "not_answered",
        severity=WARNING if started else ERROR,
        values={"status": unit.status, "arsverk_forventet": figure(expected)},
        explanation=text,
        impact=figure(expected) or 0.0,
        variables=(),
    )


@register(
    CHECK,
    gettext_noop("Manglende svar"),
    {"sections": "auto", "skip_sections": [], "not_submitted": True},
    "Enheter som ikke har svart, og deler av skjemaet som er helt tomme.",
)
def missing(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    config = ctx.config
    if not unit.submitted:
        if unit.has_values and not config["not_submitted"]:
            return []
        return [_unit_flag(unit, ctx)]
    wanted = config["sections"]
    skip = set(config["skip_sections"])
    definition = ctx.layout.definition
    shown = engine.relevant_codes(definition, unit.values, _context(unit))
    flags: list[FlagCandidate] = []
    for section in ctx.layout.sections:
        if section.code in skip or (wanted == "auto" and section.text_only):
            continue
        if isinstance(wanted, list) and section.code not in wanted:
            continue
        questions = [q for q in section.questions if q in shown]
        if not questions:
            continue
        codes: list[str] = []
        for code in questions:
            question = definition.questions[code]
            codes.extend(question.cell_codes() if question.is_grid else [code])
        if any(not is_blank(unit.values.get(c)) for c in codes):
            continue
        # A comment does not make an empty section an answer: it may be older than the blanking (a grid keeps its
        # comment when its cells are cleared). It is quoted, so an analyst can accept an explained gap at once.
        note = next((text.strip() for c in [*questions, *codes] if (text := unit.comments.get(c) or "").strip()), "")
        grids = tuple(g for g in section.grids if g in questions)
        expected, source = _expected_fte(unit, grids, ctx)
        text = f"Del {section.code} «{section.title}» er helt tom."
        if source:
            text += f" Enheten hadde {fmt(expected)} årsverk her {source}."
        if note:
            text += f" Kommentaren «{note[:200]}» står igjen, men ingen spørsmål er besvart."
        flags.append(
            FlagCandidate(
                unit=unit.code,
                variable=section.code,
                check=CHECK,
                rule="empty_section",
                severity=ERROR
                if grids
                else (WARNING if any(definition.questions[q].required for q in questions) else INFO),
                values={"seksjon": section.code, "arsverk_forventet": figure(expected)},
                explanation=text,
                impact=figure(expected) or 0.0,
                variables=tuple(codes),
            )
        )
    return flags
