"""Internal inconsistency (docs/quality.md): a service answered "nei" while årsverk are reported for it, a part
larger than its whole (psychologists above all adults' årsverk), and a stated total that the grid's cells do not add
up to.

The pairs are configuration, not code: `@voksne.fact` names the FACT row of the adults' årsverk grid whatever the
grid is called in a version, and entries naming variables a version lacks are skipped. A comment does not silence
these flags (the form already asks for one before submitting); it is quoted so the analyst can accept at once.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from .base import (
    ERROR,
    WARNING,
    CheckContext,
    FlagCandidate,
    UnitData,
    commented,
    figure,
    fmt,
    register,
)

CHECK = "inconsistency"


def _quote(unit: UnitData, codes: list[str], grid: str = "") -> str:
    text = commented(unit, codes, grid)
    if not text:
        return ""
    short = text if len(text) <= 200 else text[:199] + "…"
    return f" Enhetens kommentar: «{short}»"


def _cells(ctx: CheckContext, spec: Any) -> list[str]:
    specs = spec if isinstance(spec, list) else [spec]
    codes: list[str] = []
    for item in specs:
        if isinstance(item, str):
            codes.extend(ctx.layout.expand(item))
    return codes


def _services(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    flags = []
    for entry in ctx.config["services"]:
        if not isinstance(entry, dict) or entry.get("question") not in ctx.layout.definition.questions:
            continue
        question = str(entry["question"])
        cells = _cells(ctx, entry.get("cells", []))
        answer = unit.values.get(question)
        reported, filled = unit.total(cells)
        if answer is not False or not filled or reported <= 0:
            continue
        label = ctx.layout.label(question)
        row = ctx.layout.label(cells[0].rsplit(".", 1)[0]) if cells else ""
        flags.append(
            FlagCandidate(
                unit=unit.code,
                variable=question,
                check=CHECK,
                rule="service_no_but_fte",
                severity=WARNING,
                values={"svar": "nei", "arsverk": figure(reported)},
                explanation=(
                    f"Enheten har svart nei på «{label}», men har ført {fmt(reported)} årsverk på {row or 'tjenesten'}."
                    + _quote(unit, [question, *cells])
                ),
                impact=figure(reported) or 0.0,
                variables=(question, *cells),
            )
        )
    return flags


def _parts(unit: UnitData, ctx: CheckContext) -> tuple[list[FlagCandidate], set[str]]:
    flags, fired = [], set()
    for entry in ctx.config["parts"]:
        if not isinstance(entry, dict):
            continue
        part = str(entry.get("part", ""))
        whole_cells = _cells(ctx, entry.get("whole", []))
        value = unit.numbers.get(part)
        if part not in ctx.layout.definition.questions or not whole_cells or value is None:
            continue
        whole, _filled = unit.total(whole_cells)
        if value <= whole + float(entry.get("tolerance", 0.005)):
            continue
        fired.add(part)
        flags.append(
            FlagCandidate(
                unit=unit.code,
                variable=part,
                check=CHECK,
                rule="part_above_total",
                severity=ERROR,
                values={"del": figure(value), "helhet": figure(whole)},
                explanation=(
                    f"«{ctx.layout.label(part)}» er {fmt(value)}, mer enn alle årsverkene det er en del av "
                    f"({fmt(whole)})." + _quote(unit, [part])
                ),
                impact=figure(value - whole) or 0.0,
                variables=(part, *whole_cells),
            )
        )
    return flags, fired


def _stated(unit: UnitData, ctx: CheckContext, skip: set[str]) -> list[FlagCandidate]:
    flags = []
    for entry in ctx.config["stated_totals"]:
        if not isinstance(entry, dict):
            continue
        stated_code = str(entry.get("stated", ""))
        cells = _cells(ctx, entry.get("cells", []))
        stated = unit.numbers.get(stated_code)
        if stated_code in skip or stated_code not in ctx.layout.definition.questions or not cells or stated is None:
            continue
        summed, _filled = unit.total(cells)
        difference = stated - summed
        if abs(difference) <= float(entry.get("tolerance", 0.05)):
            continue
        flags.append(
            FlagCandidate(
                unit=unit.code,
                variable=stated_code,
                check=CHECK,
                rule="stated_total_mismatch",
                severity=WARNING,
                values={"oppgitt": figure(stated), "sum_celler": figure(summed), "differanse": figure(difference)},
                explanation=(
                    f"«{ctx.layout.label(stated_code)}» er oppgitt til {fmt(stated)}, men cellene det skal stemme med, "
                    f"summerer seg til {fmt(summed)} (differanse {fmt(difference)})." + _quote(unit, [stated_code])
                ),
                impact=figure(abs(difference)) or 0.0,
                variables=(stated_code, *cells),
            )
        )
    return flags


@register(
    CHECK,
    gettext_noop("Intern inkonsistens"),
    {
        "services": [
            {"question": "E_fact", "cells": "@voksne.fact"},
            {"question": "E_rask", "cells": "@voksne.rask"},
        ],
        "parts": [
            {"part": "B_psykolog_totalt", "whole": ["@voksne"]},
            {"part": "F_nye_arsverk", "whole": ["@voksne", "@barn_og_unge"]},
        ],
        "stated_totals": [{"stated": "B_psykolog_totalt", "cells": "@voksne.*.psykolog", "tolerance": 0.05}],
    },
    "Tjeneste besvart med nei men årsverk ført, en del større enn helheten, og oppgitte summer som ikke stemmer.",
)
def inconsistency(unit: UnitData, ctx: CheckContext) -> list[FlagCandidate]:
    if not unit.has_values:
        return []
    parts, fired = _parts(unit, ctx)
    return _services(unit, ctx) + parts + _stated(unit, ctx, fired)
