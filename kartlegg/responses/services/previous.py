"""Last round's answers beside each field, and filling blanks from them.

The previous round is the latest earlier round of the same survey. Its answers are found for the same unit code or,
when the code changed in a municipal reform, for the codes it came from: a merge sums its parts, a split takes the
new unit's population share (and is flagged as estimated). Variables are followed through the questionnaire's
`continues` links, so a renamed variable still shows last year's value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kartlegg.accounts.models import Channel
from kartlegg.geography import logic as geo
from kartlegg.geography import services as geo_services
from kartlegg.geography.models import CodeChange, ReportingUnit
from kartlegg.surveys import engine

from ..models import Answer, Response, Round
from . import saving as core


@dataclass
class PreviousAnswers:
    """Last round's values keyed by this round's variable codes."""

    values: dict[str, Any] = field(default_factory=dict)
    round: Round | None = None
    # The previous unit codes the values come from, e.g. ["1507"] for 1508 Ålesund in 2024.
    source_codes: list[str] = field(default_factory=list)
    estimated: bool = False

    def __bool__(self) -> bool:
        return bool(self.values)


def previous_round(round_obj: Round) -> Round | None:
    return (
        Round.objects.filter(version__survey_id=round_obj.version.survey_id, opens_at__lt=round_obj.opens_at)
        .exclude(pk=round_obj.pk)
        .select_related("version")
        .order_by("-opens_at", "-id")
        .first()
    )


def _source_weights(unit: ReportingUnit, prev_year: int, prev_codes: set[str]) -> tuple[dict[str, float], bool]:
    """Which previous-year units (and with what weight) make up `unit`: the same code when nothing changed, the
    merged units (weight 1 each) after a merge, a population share of the old unit after a split."""
    if geo.is_bydel_code(unit.code) or unit.year <= prev_year:
        return ({unit.code: 1.0} if unit.code in prev_codes else {}), False
    rows = list(
        CodeChange.objects.filter(occurred__year__gt=prev_year, occurred__year__lte=unit.year).values_list(
            "old_code", "new_code", "occurred"
        )
    )
    # Walk the code changes backwards to collect every earlier code that may have become (part of) this unit.
    olds_by_new: dict[str, set[str]] = defaultdict(set)
    for old, new, _occurred in rows:
        olds_by_new[new].add(old)
    frontier, seen = {unit.code}, {unit.code}
    while frontier:
        frontier = {old for new in frontier for old in olds_by_new.get(new, ())} - seen
        seen |= frontier
    candidates = seen & prev_codes
    if candidates <= {unit.code}:
        return ({unit.code: 1.0} if unit.code in prev_codes else {}), False
    index = geo_services.change_index()
    weights: dict[str, float] = {}
    estimated = False
    for code in sorted(candidates):
        result = geo_services.harmonise_code(code, prev_year, unit.year, index)
        share = dict(result.parts).get(unit.code, 0.0)
        if share > 0:
            weights[code] = share
            estimated = estimated or (result.estimated and share < 1.0)
    return weights, estimated


def previous_values(response: Response) -> PreviousAnswers:
    """Last round's answers for this response's unit, keyed by this round's variable codes."""
    prev = previous_round(response.round)
    if prev is None:
        return PreviousAnswers()
    prev_responses = {code: pk for pk, code in Response.objects.filter(round=prev).values_list("pk", "unit__code")}
    weights, estimated = _source_weights(response.unit, prev.year, set(prev_responses))
    if not weights:
        return PreviousAnswers(round=prev)
    defn = response.round.version.definition()
    prev_defn = prev.version.definition()
    # Through `continues`, and the rows/columns a grid merged: 2024's ufaglært cell takes over 2020's ufaglært and
    # erfaringskonsulent cells, summed.
    reverse: dict[str, str] = {}
    for new, olds in engine.predecessor_sources(defn, prev_defn).items():
        for old in olds:
            reverse.setdefault(old, new)
    by_source: dict[str, dict[str, Any]] = {code: {} for code in weights}
    pk_to_code = {prev_responses[code]: code for code in weights}
    rows = Answer.objects.filter(response_id__in=pk_to_code, variable__in=reverse).values_list(
        "response_id", "variable", "value_text"
    )
    for response_id, variable, text in rows:
        # Only a value valid for this year's question is carried (engine.carry_value): a yes/no answer never lands
        # in a choice question unless the questionnaire declares which choice it becomes.
        code = reverse[variable]
        value = engine.carry_value(defn, code, prev_defn, variable, engine.load_value(prev_defn, variable, text))
        if value is None:
            continue
        found = by_source[pk_to_code[response_id]]
        if code in found and isinstance(value, Decimal) and isinstance(found[code], Decimal):
            found[code] += value  # a merged cell
        else:
            found[code] = value
    values = _combine(by_source, weights, defn)
    return PreviousAnswers(values=values, round=prev, source_codes=sorted(weights), estimated=estimated)


def _combine(by_source: dict[str, dict[str, Any]], weights: dict[str, float], defn: Any) -> dict[str, Any]:
    """One unit: its values as they are. Several (a merge) or a share (a split): numbers are summed by weight and
    rounded to the question's decimals; other answers are kept only when every source agrees."""
    if len(weights) == 1 and next(iter(weights.values())) == 1.0:
        return dict(next(iter(by_source.values())))
    combined: dict[str, Any] = {}
    codes = {code for values in by_source.values() for code in values}
    for code in codes:
        present = [(values[code], weights[src]) for src, values in by_source.items() if code in values]
        if all(isinstance(v, Decimal) for v, _w in present):
            total = sum((v * Decimal(str(w)) for v, w in present), Decimal(0))
            combined[code] = total.quantize(Decimal(1).scaleb(-_decimals(defn, code)))
        elif len({repr(v) for v, _w in present}) == 1:
            combined[code] = present[0][0]
    return combined


def _decimals(defn: Any, code: str) -> int:
    head = code.split(".", 1)[0]
    for section in defn.sections:
        for question in section.questions:
            if question.code == head:
                return int(getattr(question, "decimals", 0) or 0)
    return 0


def prefill_from_previous(response: Response, user: Any, expected_version: int | None = None) -> Any:
    """Fill every blank variable with last round's answer; answers already given are never overwritten, and a value
    that is not valid for this year's question is left out (previous_values).

    Returns a SaveResult whose `batch` undoes the prefill with services.undo_batch.
    """
    previous = previous_values(response)
    defn = response.round.version.definition()
    current, _comments = core.stored_values(response, defn)
    fill = {code: value for code, value in previous.values.items() if current.get(code) is None}
    # A merged or split unit's sum is rounded to the question's decimals, but may still fall outside its bounds.
    fill = {code: value for code, value in fill.items() if not core.typed_error(defn, code, value)}
    return core.store_parsed(
        response,
        fill,
        None,
        expected_version,
        user,
        Channel.FORM,
        defn=defn,
        batch=core.new_batch(),
        action="answer.prefilled",
    )
