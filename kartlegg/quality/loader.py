"""Read a round into the plain data the checks work on, in a handful of queries.

Last year's answers come from the previous round of the same survey: its newest locked data version when it has
one (the published basis), otherwise the stored answers of the units that submitted. They are keyed by this year's
variable codes (through `continues`) and carried onto this year's units with the harmonisation rules: a unit whose
code continues keeps its own figures; a merged unit gets the sum of its predecessors; a split unit gets its
population share (and is marked as estimated). When any predecessor did not answer last year, the unit has no
usable history (a partial sum would look like a fall), and the checks treat it as a first year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kartlegg.geography import logic as geo
from kartlegg.geography import services as geo_services
from kartlegg.geography.logic import PopulationBands
from kartlegg.responses.models import Answer, Response, Round
from kartlegg.responses.services.previous import previous_round
from kartlegg.surveys import engine

from .checks import Layout, Previous, UnitData, layout_for


@dataclass
class RoundData:
    round: Round
    layout: Layout
    units: list[UnitData]
    previous_round: Round | None = None
    config: dict[str, Any] | None = None


def _loader(definition: engine.Definition) -> Any:
    """engine.load_value with the question looked up once per code (a round has some 50 000 values); numbers, the
    bulk of them, are read straight into Decimal as load_value would."""
    cache: dict[str, Any] = {}

    def number(code: str, text: str) -> Any:
        try:
            return Decimal(text) if text != "" else None
        except InvalidOperation:
            return None

    def other(code: str, text: str) -> Any:
        return engine.load_value(definition, code, text)

    def unknown(code: str, text: str) -> Any:
        return None  # a variable this version does not know (left from an older import)

    def load(code: str, text: str | None) -> Any:
        if text is None:
            return None
        reader = cache.get(code)
        if reader is None:
            question = definition.question_for(code)
            if question is None:
                reader = unknown
            else:
                kind = question.cell_type if question.is_grid else question.type
                reader = number if kind in engine.NUMERIC_TYPES else other
            cache[code] = reader
        return reader(code, text)

    return load


def _current(round_obj: Round, definition: engine.Definition) -> list[UnitData]:
    load = _loader(definition)
    rows = Response.objects.filter(round=round_obj).values_list(
        "pk",
        "unit_id",
        "unit__code",
        "unit__name",
        "unit__county_code",
        "unit__size_group",
        "unit__population_total",
        "unit__population_0_17",
        "unit__population_18_plus",
        "status",
        "submitted_at",
    )
    units: dict[int, UnitData] = {}
    for pk, unit_id, code, name, county, size, total, young, adults, status, submitted_at in rows:
        units[pk] = UnitData(
            code=code,
            name=name,
            population=PopulationBands(total or 0, young or 0, adults or 0),
            size_group=size or "",
            county_code=county or "",
            status=status,
            submitted=submitted_at is not None,
            unit_id=unit_id,
        )
    answers = Answer.objects.filter(response__round=round_obj).values_list(
        "response_id", "variable", "value_text", "comment"
    )
    for response_id, variable, text, comment in answers:
        unit = units[response_id]
        if text is not None:
            value = load(variable, text)
            if value is not None:
                unit.values[variable] = value
        if comment:
            unit.comments[variable] = comment
    return sorted(units.values(), key=lambda u: u.code)


def _previous_texts(prev: Round) -> dict[str, dict[str, str]]:
    """unit code → {variable: stored text} of last year's answered units (locked data version when there is one)."""
    from .services.versions import current_data_version, snapshot_texts

    version = current_data_version(prev)
    if version is not None:
        return snapshot_texts(version)
    texts: dict[str, dict[str, str]] = defaultdict(dict)
    answered = dict(Response.objects.filter(round=prev, submitted_at__isnull=False).values_list("pk", "unit__code"))
    rows = Answer.objects.filter(response_id__in=answered, value_text__isnull=False).values_list(
        "response_id", "variable", "value_text"
    )
    for response_id, variable, text in rows:
        if text is not None:
            texts[answered[response_id]][variable] = text
    for code in answered.values():
        texts.setdefault(code, {})
    return dict(texts)


def source_weights(
    current_codes: Collection[str], previous_codes: Collection[str], prev_year: int, year: int
) -> tuple[dict[str, dict[str, float]], set[str]]:
    """For each of this year's codes, last year's codes it is made of, with weights, and the codes whose weights are
    population shares of a split (estimated)."""
    current = set(current_codes)
    weights: dict[str, dict[str, float]] = defaultdict(dict)
    estimated: set[str] = set()
    moved = [code for code in previous_codes if code not in current]
    for code in previous_codes:
        if code in current:
            weights[code][code] = 1.0
    if moved:
        index = geo_services.change_index()
        population = geo_services.population_by_code(year)
        for code in moved:
            try:
                result = geo.harmonise(code, prev_year, year, index, population)
            except geo.GeographyError:
                continue  # a code that reports no more (e.g. a bydel that was merged away) has no successor here
            for new_code, weight in result.parts:
                if new_code in current and weight > 0:
                    weights[new_code][code] = weights[new_code].get(code, 0.0) + weight
                    if result.estimated and weight < 1.0:
                        estimated.add(new_code)
    return dict(weights), estimated


def _combine(parts: list[tuple[dict[str, Any], float]]) -> dict[str, Any]:
    """Numbers are summed by weight; other answers are kept only when every source agrees."""
    if len(parts) == 1 and parts[0][1] == 1.0:
        return dict(parts[0][0])
    combined: dict[str, Any] = {}
    codes = {code for values, _w in parts for code in values}
    for code in codes:
        present = [(values[code], w) for values, w in parts if code in values]
        if all(isinstance(v, Decimal) for v, _w in present):
            combined[code] = sum((v * Decimal(repr(w)) for v, w in present), Decimal(0))
        elif len({repr(v) for v, _w in present}) == 1:
            combined[code] = present[0][0]
    return combined


def _carried(
    stored: dict[str, str], sources_map: dict[str, tuple[str, ...]], load: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One unit's stored texts of last year as this year's values, and, for cells that merge several of last year's
    cells, the value of the one they continue alone (a unit copying last year's form may have left the merged
    column out)."""
    values: dict[str, Any] = {}
    primary: dict[str, Any] = {}
    for new_code, olds in sources_map.items():
        if len(olds) == 1:
            text = stored.get(olds[0])
            value = load(olds[0], text) if text is not None else None
            if value is not None:
                values[new_code] = value
            continue
        found = [(old, load(old, stored[old])) for old in olds if old in stored]
        numbers = [value for _old, value in found if isinstance(value, Decimal)]
        if not numbers:
            continue
        values[new_code] = sum(numbers, Decimal(0))
        first = next((value for old, value in found if old == olds[0] and isinstance(value, Decimal)), None)
        primary[new_code] = first if first is not None else Decimal(0)
    return values, primary


def _previous(
    round_obj: Round, prev: Round, definition: engine.Definition, layout: Layout, units: list[UnitData]
) -> None:
    prev_definition = prev.version.definition()
    load = _loader(prev_definition)
    texts = _previous_texts(prev)
    all_codes = list(Response.objects.filter(round=prev).values_list("unit__code", flat=True))
    weights, estimated = source_weights([u.code for u in units], all_codes, prev.year, round_obj.year)
    # A cell takes over its predecessor and the cells merged into it (2020's erfaringskonsulent in 2024's ufaglart).
    sources_map = engine.predecessor_sources(definition, prev_definition)
    grid_cells = {
        grid.code: [c for c in prev_definition.cells if c.startswith(grid.previous_code + ".")]
        for grid in layout.grids
        if grid.previous_code
    }
    mapped: dict[str, dict[str, Any]] = {}
    primaries: dict[str, dict[str, Any]] = {}
    totals: dict[str, dict[str, float]] = {}
    for code, stored in texts.items():
        mapped[code], primaries[code] = _carried(stored, sources_map, load)
        sums: dict[str, float] = {}
        for grid_code, cells in grid_cells.items():
            numbers = [load(c, stored[c]) for c in cells if c in stored]
            numbers = [n for n in numbers if isinstance(n, Decimal)]
            if numbers:
                sums[grid_code] = float(sum(numbers, Decimal(0)))
        totals[code] = sums
    for unit in units:
        sources = weights.get(unit.code)
        if not sources or any(code not in texts for code in sources):
            continue
        parts = [(mapped[code], w) for code, w in sorted(sources.items())]
        primary_parts = [(primaries[code], w) for code, w in sorted(sources.items())]
        grid_totals: dict[str, float] = {}
        for grid_code in grid_cells:
            present = [(totals[code].get(grid_code), w) for code, w in sources.items()]
            if any(total is not None for total, _w in present):
                grid_totals[grid_code] = sum((total or 0.0) * w for total, w in present)
        unit.previous = Previous(
            values=_combine(parts),
            primary=_combine(primary_parts),
            grid_totals=grid_totals,
            year=prev.year,
            sources=tuple(sorted(sources)),
            estimated=unit.code in estimated,
        )


def load_round(round_obj: Round) -> RoundData:
    """The round's units with their values, comments and last year's figures (see the module docstring). Every unit
    is loaded even when one is checked: the peer comparison needs them all."""
    definition = round_obj.version.definition()
    prev = previous_round(round_obj)
    layout = layout_for(definition, prev.version.definition() if prev is not None else None)
    units = _current(round_obj, definition)
    if prev is not None:
        _previous(round_obj, prev, definition, layout, units)
    return RoundData(round=round_obj, layout=layout, units=units, previous_round=prev)
