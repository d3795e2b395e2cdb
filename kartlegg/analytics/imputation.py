"""Non-response: a unit that did not report keeps its last reported figure ("carry forward"), flagged as imputed.

The rule is a parameter, so the report can show the effect of imputing against not imputing ("none"). Every result
says how many units were imputed each year and which year's figures were used, e.g. "66 kommuner rapporterte ikke
i 2020; tallene fra 2019 er brukt".

A unit with no earlier figure to carry forward (the first year of the series, or of the unit) gets the nearest later
figure it reported carried back instead, flagged the same way. Carrying back follows the unit's code through
renumberings, never into a merged unit (its figure is not this unit's alone) nor out of a split.

Across a municipal reform the last known figures are carried onto the new codes with the same mapping as
harmonisation (geography.logic.Harmonised, here from the previous survey year to this one): a merged unit that did
not report gets the sum of its old parts' last figures (when every part has one), a split unit its share.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from kartlegg.analytics.measures import AnalyticsError, number
from kartlegg.analytics.series import check_mapping
from kartlegg.geography.logic import Harmonised
from kartlegg.lib.numbers import format_number

CARRY_FORWARD, NO_IMPUTATION = "carry_forward", "none"
RULES = (CARRY_FORWARD, NO_IMPUTATION)


@dataclass
class Imputed:
    """Values per year and unit after the rule; `sources[year][unit]` is the year whose figure an imputed unit got;
    `missing[year]` the units still without a figure."""

    rule: str
    values: dict[int, dict[str, float | None]]
    sources: dict[int, dict[str, int]] = field(default_factory=dict)
    missing: dict[int, list[str]] = field(default_factory=dict)
    non_response: dict[int, list[str]] = field(default_factory=dict)

    def imputed_units(self, year: int) -> list[str]:
        return sorted(self.sources.get(year, {}))

    def count(self, year: int) -> int:
        return len(self.sources.get(year, {}))

    @property
    def counts(self) -> dict[int, int]:
        """Imputed units per year (every year, 0 included)."""
        return {year: self.count(year) for year in sorted(self.non_response)}

    def source_years(self, year: int) -> list[int]:
        return sorted(set(self.sources.get(year, {}).values()))

    def note(self, year: int, noun: tuple[str, str] = ("enhet", "enheter")) -> str:
        """The sentence the methods chapter prints for a year ("" when every unit reported)."""
        absent = len(self.non_response.get(year, []))
        if absent == 0:
            return ""
        word = noun[0] if absent == 1 else noun[1]
        text = f"{format_number(absent, space=' ')} {word} rapporterte ikke i {year}"
        if self.rule == NO_IMPUTATION:
            return f"{text}; tallene er ikke imputert."
        used = [str(y) for y in self.source_years(year)]
        if used:
            years = used[0] if len(used) == 1 else f"{', '.join(used[:-1])} og {used[-1]}"
            text += f"; tallene fra {years} er brukt"
        still = len(self.missing.get(year, []))
        if still:
            text += f"; {format_number(still, space=' ')} mangler fortsatt tall"
        return text + "."


def _carry_over(
    known: dict[str, tuple[Any, int]], mapping: Mapping[str, Harmonised], combine: Callable[[list[Any]], Any]
) -> dict[str, tuple[Any, int]]:
    """Last known figures moved onto the new codes. A new code gets a figure only when every old code behind it has
    one (its source year is the oldest of theirs); codes the mapping does not mention keep theirs."""
    parts: dict[str, list[float]] = defaultdict(list)
    years: dict[str, list[int]] = defaultdict(list)
    incomplete: set[str] = set()
    for old, result in mapping.items():
        for new, weight in result.parts:
            if old in known:
                value, source = known[old]
                parts[new].append(value * weight)
                years[new].append(source)
            else:
                incomplete.add(new)
    moved = {code: item for code, item in known.items() if code not in mapping}
    for new in parts:
        if new not in incomplete:
            moved[new] = (combine(parts[new]), min(years[new]))
    return moved


def _carry_back(
    reported: Mapping[int, Mapping[str, float]],
    expected: Mapping[int, Collection[str]],
    mappings: Mapping[int, Mapping[str, Harmonised]],
) -> dict[int, dict[str, tuple[float, int]]]:
    """{year: {unit: (value, year)}}: each unit's nearest later reported figure, in that year's codes."""
    years = sorted(expected)
    expected_sets = {
        year: codes if isinstance(codes, (set, frozenset)) else set(codes) for year, codes in expected.items()
    }
    result: dict[int, dict[str, tuple[float, int]]] = {}
    later: dict[str, tuple[float, int]] = {}
    for index in range(len(years) - 1, -1, -1):
        year = years[index]
        if index + 1 < len(years) and years[index + 1] in mappings:
            mapping = mappings[years[index + 1]]
            sources: dict[str, int] = defaultdict(int)
            for harmonised in mapping.values():
                for new, _ in harmonised.parts:
                    sources[new] += 1
            moved: dict[str, tuple[float, int]] = {}
            for code in expected[year]:
                if code not in mapping:
                    if code in later:
                        moved[code] = later[code]
                    continue
                parts = mapping[code].parts
                # Only a renumbering carries back: one successor, built from this unit alone.
                if len(parts) == 1 and sources[parts[0][0]] == 1 and parts[0][0] in later:
                    moved[code] = later[parts[0][0]]
            later = moved
        else:
            later = {code: item for code, item in later.items() if code in expected_sets[year]}
        for code, value in reported.get(year, {}).items():
            later[code] = (value, year)
        result[year] = dict(later)
    return result


def impute(
    values_by_year: Mapping[int, Mapping[str, Any]],
    expected_by_year: Mapping[int, Collection[str]],
    rule: str = CARRY_FORWARD,
    forward_mappings: Mapping[int, Mapping[str, Harmonised]] | None = None,
    max_gap: int | None = None,
    checked: bool = False,
    combine: Callable[[list[Any]], Any] = math.fsum,
) -> Imputed:
    """Apply the non-response rule to one variable.

    values_by_year: {year: {unit: value or None}}; expected_by_year: {year: the units that should have reported};
    forward_mappings: {year: {code in the previous survey year: Harmonised onto this year}} for years after a
    reform; max_gap: carry a figure at most this many years (None: no limit); checked: the forward mappings were
    checked already (services.extract.Geography checks each once; a computation imputes ~200 variables with them);
    combine: how the parts of a merged unit add up (math.fsum; gridseries.py passes its own for rows of figures).
    """
    if rule not in RULES:
        raise AnalyticsError(f"Ukjent imputeringsregel {rule!r}; gyldige er {', '.join(RULES)}.")
    if max_gap is not None and (isinstance(max_gap, bool) or not isinstance(max_gap, int) or max_gap < 1):
        raise AnalyticsError(f"Største avstand må være et positivt heltall, ikke {max_gap!r}.")
    extra = sorted(set(values_by_year) - set(expected_by_year))
    if extra:
        raise AnalyticsError(f"Verdier for år uten enhetsliste: {', '.join(map(str, extra))}.")
    mappings = forward_mappings or {}
    if not checked:
        for mapping in mappings.values():
            check_mapping(mapping)
    known: dict[str, tuple[float, int]] = {}
    result = Imputed(rule=rule, values={})
    reported: dict[int, dict[str, float]] = {}
    for year in sorted(expected_by_year):
        expected = set(expected_by_year[year])
        given = values_by_year.get(year, {})
        unknown = [code for code in given if code not in expected]
        if unknown:
            shown = ", ".join(sorted(unknown)[:5])
            raise AnalyticsError(f"Verdier for enheter som ikke skulle rapportere i {year}: {shown}.")
        if year in mappings:
            known = _carry_over(known, mappings[year], combine)
        codes = sorted(expected)
        values: dict[str, float | None] = dict.fromkeys(codes)  # in code order, as the notes list them
        got = {code: raw for code, raw in given.items() if raw is not None}
        # Floats from the database go straight through; anything else is checked and converted. With `combine`
        # given, the figures are rows of several variables at once (numpy arrays, gridseries.py), already checked.
        plain = combine is math.fsum
        for code in sorted(c for c, raw in got.items() if plain and (type(raw) is not float or not math.isfinite(raw))):
            got[code] = number(got[code], f"verdien for {code} i {year}")
        if got:
            values.update(got)
            known.update({code: (value, year) for code, value in got.items()})
            reported[year] = got
        sources: dict[str, int] = {}
        missing: list[str] = []
        absent = [code for code in codes if code not in got]
        for code in absent:
            last = known.get(code)
            if rule == CARRY_FORWARD and last is not None and (max_gap is None or year - last[1] <= max_gap):
                values[code] = last[0]
                sources[code] = last[1]
            else:
                missing.append(code)
        result.values[year] = values
        result.sources[year] = sources
        result.missing[year] = missing
        result.non_response[year] = absent
    if rule == CARRY_FORWARD and any(result.missing.values()):
        later = _carry_back(reported, expected_by_year, mappings)
        for year, missing in result.missing.items():
            still = []
            for code in missing:
                found = later[year].get(code)
                if found is not None and found[1] > year and (max_gap is None or found[1] - year <= max_gap):
                    result.values[year][code] = found[0]
                    result.sources[year][code] = found[1]
                else:
                    still.append(code)
            result.missing[year] = still
    return result


def merge(results: list[Imputed]) -> Imputed:
    """Several variables' imputation as one unit count: a unit counts once a year if any of its figures was
    imputed (its source year is the oldest used), or if it reported none of them."""
    if not results:
        raise AnalyticsError("Ingen imputeringer å slå sammen.")
    rules = {r.rule for r in results}
    if len(rules) != 1:
        raise AnalyticsError(f"Kan ikke slå sammen imputeringer med ulike regler: {', '.join(sorted(rules))}.")
    merged = Imputed(rule=results[0].rule, values={})
    years = sorted({y for r in results for y in r.non_response})
    for year in years:
        sources: dict[str, int] = {}
        for r in results:
            for code, source in r.sources.get(year, {}).items():
                sources[code] = min(source, sources.get(code, source))
        merged.sources[year] = dict(sorted(sources.items()))
        merged.missing[year] = sorted({c for r in results for c in r.missing.get(year, [])})
        # Non-response for the unit as a whole: it reported none of the variables.
        absent = [set(r.non_response.get(year, [])) for r in results]
        merged.non_response[year] = sorted(set.intersection(*absent)) if absent else []
    return merged
