"""Time series across questionnaire versions and municipal reforms, as pure functions.

Versions: a variable is followed back through `continues` links. The links per version are
{code in this version: code in the previous version}, exactly what surveys.engine.predecessor_map(defn, previous)
returns (it includes unchanged codes, and drops codes the previous version does not have). A version where the
variable has no link, or where it is flagged as a break, starts a new series: the years before are not comparable.

Reforms: a year's unit values are carried onto one structure year with a mapping {old code: Harmonised}, the result
type of geography.logic.harmonise (its weights are population shares for a split). A merge sums the old units; a
split divides the old value by the weights and the parts are flagged as estimated. Region membership (county, HF…)
of a harmonised unit comes from the structure year's units, so the new counties get a series back in time, while the
old counties' series come from each year's own units as reported.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kartlegg.analytics.levels import Aggregate, UnitRecord, aggregate, with_fields
from kartlegg.analytics.measures import AnalyticsError, number
from kartlegg.geography.logic import Change, ChangeIndex, Harmonised, PopulationBands, harmonise


@dataclass(frozen=True)
class Lineage:
    """A variable through the versions: its code per year (from its first comparable year on) and the years where the
    definition changed. `breaks` are years whose figure cannot be compared with the year before."""

    code: str
    codes: dict[int, str]
    breaks: list[int] = field(default_factory=list)

    @property
    def start(self) -> int:
        return min(self.codes)

    def segments(self) -> list[list[int]]:
        """Runs of comparable years, split at each break."""
        runs: list[list[int]] = []
        for year in sorted(self.codes):
            if not runs or year in self.breaks:
                runs.append([])
            runs[-1].append(year)
        return runs

    def comparable(self, year: int, other: int) -> bool:
        return any(year in run and other in run for run in self.segments())


def _versions(continues_by_year: Mapping[int, Mapping[str, str]]) -> list[int]:
    years = sorted(continues_by_year)
    if not years:
        raise AnalyticsError("Ingen skjemaversjoner å følge variabelen gjennom.")
    return years


def follow_variable(
    code: str,
    year: int,
    continues_by_year: Mapping[int, Mapping[str, str]],
    breaks_by_year: Mapping[int, Collection[str]] | None = None,
) -> Lineage:
    """Follow `code` (a code in `year`'s version) back through the earlier versions.

    The walk goes back while each version links the code to one in the version before. A version with no link for
    the code ends the walk and, unless it is the first version, marks a break. An explicit break flag marks a break
    but the walk goes on, so the older years are still shown, on the far side of the break.
    """
    years = _versions(continues_by_year)
    if year not in continues_by_year:
        raise AnalyticsError(f"Ingen skjemaversjon for {year}; kjente år er {', '.join(map(str, years))}.")
    if not code:
        raise AnalyticsError("Variabelkoden mangler.")
    flagged = breaks_by_year or {}
    codes = {year: code}
    breaks: list[int] = []
    current = code
    earlier = [y for y in reversed(years) if y < year]
    for this_year, previous_year in zip([year, *earlier], earlier, strict=False):
        link = continues_by_year[this_year].get(current, "")
        if current in flagged.get(this_year, ()):
            breaks.append(this_year)
        if not link:
            if this_year not in breaks:
                breaks.append(this_year)
            break
        current = link
        codes[previous_year] = current
    return Lineage(code=code, codes=dict(sorted(codes.items())), breaks=sorted(breaks))


def tag_breaks(
    tag_cells_by_year: Mapping[int, Mapping[str, Collection[str]]],
    continues_by_year: Mapping[int, Mapping[str, str]],
    tag: str,
    breaks_by_year: Mapping[int, Collection[str]] | None = None,
) -> list[int]:
    """Years where a sum over the cells tagged `tag` changes definition: a tagged cell without a link to a cell
    tagged the same way the year before, a tagged cell of the year before that nothing continues, or a break flag."""
    years = sorted(tag_cells_by_year)
    flagged = breaks_by_year or {}
    result = []
    for previous_year, year in zip(years, years[1:], strict=False):
        now = set(tag_cells_by_year[year].get(tag, ()))
        before = set(tag_cells_by_year[previous_year].get(tag, ()))
        links = continues_by_year.get(year, {})
        linked = {links.get(cell, "") for cell in now}
        if "" in linked or linked != before or now & set(flagged.get(year, ())):
            result.append(year)
    return result


def continues_by_year(definitions: Mapping[int, Any]) -> dict[int, dict[str, str]]:
    """{year: predecessor map} from a questionnaire Definition per year (surveys.engine.predecessor_map)."""
    from kartlegg.surveys.engine import predecessor_map

    years = sorted(definitions)
    result: dict[int, dict[str, str]] = {}
    for index, year in enumerate(years):
        previous = definitions[years[index - 1]] if index else None
        result[year] = predecessor_map(definitions[year], previous) if previous is not None else {}
    return result


def build_mapping(
    codes: Iterable[str],
    from_year: int,
    to_year: int,
    changes: Iterable[Change] | ChangeIndex,
    population_by_code_of_to_year: Mapping[str, int] | None = None,
) -> dict[str, Harmonised]:
    """{code valid in from_year: Harmonised onto to_year} via geography.logic.harmonise (one change index)."""
    index = changes if isinstance(changes, ChangeIndex) else ChangeIndex(changes)
    return {
        code: harmonise(code, from_year, to_year, index, population_by_code_of_to_year) for code in sorted(set(codes))
    }


def check_mapping(mapping: Mapping[str, Harmonised], to_year: int | None = None) -> None:
    """Every old code must be divided completely (weights ≥ 0 summing to 1) onto the same structure year."""
    for code, result in mapping.items():
        if not isinstance(result, Harmonised):
            raise AnalyticsError(f"Harmoniseringen for {code} må være en Harmonised, ikke {type(result).__name__}.")
        if result.code != code:
            raise AnalyticsError(f"Harmoniseringen under {code} gjelder {result.code}.")
        if to_year is not None and result.to_year != to_year:
            raise AnalyticsError(f"Harmoniseringen for {code} går til {result.to_year}, ikke {to_year}.")
        if not result.parts:
            raise AnalyticsError(f"Harmoniseringen for {code} har ingen nye koder.")
        if any(weight < 0 or not math.isfinite(weight) for _, weight in result.parts):
            raise AnalyticsError(f"Harmoniseringen for {code} har en negativ eller ugyldig vekt: {result.parts}.")
        weight_sum = math.fsum(weight for _, weight in result.parts)
        if abs(weight_sum - 1) > 1e-6:
            raise AnalyticsError(f"Vektene for {code} summerer til {weight_sum:.4f}, ikke 1: {result.parts}.")


@dataclass
class HarmonisedYear:
    """One year's values on the structure year's codes. `sources` names the old codes behind each new code;
    `estimated` new codes got a share of a split; `incomplete` new codes lack a value for some old unit, so their
    value is missing (None) rather than a sum that looks whole."""

    values: dict[str, float | None]
    sources: dict[str, list[str]]
    estimated: set[str] = field(default_factory=set)
    incomplete: set[str] = field(default_factory=set)

    def flagged(self, old_codes: Collection[str]) -> set[str]:
        """New codes built from any of the old codes (e.g. the imputed units)."""
        old = set(old_codes)
        return {new for new, sources in self.sources.items() if old.intersection(sources)}


def harmonise_year(values: Mapping[str, Any], mapping: Mapping[str, Harmonised] | None) -> HarmonisedYear:
    """Carry one year's values onto the structure year. The mapping's keys are the units expected that year; a unit
    without a value (None or absent) makes the new units it feeds missing. Without a mapping the year is already in
    the structure year and the values pass through."""
    if mapping is None:
        clean = {code: None if v is None else number(v, f"verdien for {code}") for code, v in values.items()}
        return HarmonisedYear(values=clean, sources={code: [code] for code in clean})
    check_mapping(mapping)
    unknown = [code for code in values if code not in mapping]
    if unknown:
        raise AnalyticsError(f"Ingen harmonisering for {', '.join(sorted(unknown)[:5])} (i alt {len(unknown)}).")
    parts: dict[str, list[float]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    estimated: set[str] = set()
    incomplete: set[str] = set()
    for code, result in mapping.items():
        raw = values.get(code)
        value = None if raw is None else number(raw, f"verdien for {code}")
        for new_code, weight in result.parts:
            sources[new_code].append(code)
            if result.estimated:
                estimated.add(new_code)
            if value is None:
                incomplete.add(new_code)
            else:
                parts[new_code].append(value * weight)
    out = {new: (None if new in incomplete else math.fsum(parts[new])) for new in sorted(sources)}
    return HarmonisedYear(out, {k: sorted(v) for k, v in sources.items()}, estimated, incomplete)


def harmonise_series(
    values_by_year: Mapping[int, Mapping[str, Any]],
    mappings_by_year: Mapping[int, Mapping[str, Harmonised]],
    structure_year: int,
) -> dict[int, HarmonisedYear]:
    """Every year onto the structure year. The structure year itself needs no mapping; every other year does."""
    result: dict[int, HarmonisedYear] = {}
    for year in sorted(values_by_year):
        mapping = None if year == structure_year else mappings_by_year.get(year)
        if year != structure_year and mapping is None:
            raise AnalyticsError(f"Mangler harmoniseringsnøkkel fra {year} til {structure_year}.")
        if mapping is not None:
            check_mapping(mapping, structure_year)
        result[year] = harmonise_year(values_by_year[year], mapping)
    return result


def harmonise_population(
    units: Sequence[UnitRecord], mapping: Mapping[str, Harmonised] | None
) -> dict[str, PopulationBands]:
    """A year's population on the structure year's codes, divided by the same weights as the values (a split's parts
    are estimates, like their values). Rounded to whole people."""
    if mapping is None:
        return {unit.code: unit.population for unit in units}
    check_mapping(mapping)
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for unit in units:
        result = mapping.get(unit.code)
        if result is None:
            raise AnalyticsError(f"Ingen harmonisering for enheten {unit.code}.")
        for new_code, weight in result.parts:
            bands = sums[new_code]
            bands[0] += unit.population_total * weight
            bands[1] += unit.population_0_17 * weight
            bands[2] += unit.population_18_plus * weight
    return {code: PopulationBands(*(round(b) for b in bands)) for code, bands in sorted(sums.items())}


def restate_units(structure_units: Sequence[UnitRecord], population: Mapping[str, PopulationBands]) -> list[UnitRecord]:
    """The structure year's units (their regions) with another year's population: the units of a harmonised year.
    A structure unit with no population that year (it did not exist in any form) gets 0."""
    empty = PopulationBands(0, 0, 0)
    result = []
    for unit in structure_units:
        bands = population.get(unit.code, empty)
        result.append(
            with_fields(
                unit,
                population_total=bands.total,
                population_0_17=bands.age_0_17,
                population_18_plus=bands.age_18_plus,
            )
        )
    return result


def level_series(
    values_by_year: Mapping[int, Mapping[str, Any]], units_by_year: Mapping[int, Sequence[UnitRecord]], level: str
) -> dict[int, dict[str, Aggregate]]:
    """Aggregate each year with that year's units: as reported (each year's own units and counties) or, after
    harmonisation, with the restated structure units (the structure year's counties back in time)."""
    result = {}
    for year in sorted(values_by_year):
        if year not in units_by_year:
            raise AnalyticsError(f"Mangler enhetsliste for {year}.")
        result[year] = aggregate(values_by_year[year], units_by_year[year], level)
    return result
