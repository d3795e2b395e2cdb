"""Geography over time as pure functions on plain data (no ORM), so every rule can be tested on hand-made data.

- which units report in a year (Oslo reports through its bydeler),
- size groups by population,
- population in an age band,
- harmonising a code from one year's structure to another's, following SSB's code changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from kartlegg.lib.numbers import format_number

OSLO = "0301"
OSLO_COUNTY = "03"
# Oslo reports through bydeler 01–15. 16 Sentrum and 17 Marka have (almost) no inhabitants and do not report.
OSLO_REPORTING_BYDELER: tuple[str, ...] = tuple(f"{OSLO}{n:02d}" for n in range(1, 16))
OSLO_NON_REPORTING_BYDELER: tuple[str, ...] = ("030116", "030117")
UNKNOWN_MUNICIPALITY = "9999"
DEFAULT_SIZE_BOUNDS: tuple[int, ...] = (0, 5000, 10000, 20000, 50000)
ADULT_AGE = 18


class GeographyError(ValueError):
    """Bad input to a geography function. The message says what was wrong."""


def is_bydel_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def _check_code(code: str) -> None:
    if not isinstance(code, str) or not code.isdigit() or len(code) not in (4, 6):
        raise GeographyError(f"Ugyldig kommune- eller bydelsnummer: {code!r} (4 eller 6 sifre).")


def county_of(code: str) -> str:
    """County (fylke) of a municipality or bydel number: its first two digits (Oslo's bydeler give 03)."""
    _check_code(code)
    return code[:2]


def municipality_of(code: str) -> str:
    """Municipality of a unit: itself, or the first four digits of a bydel number."""
    _check_code(code)
    return code[:4]


def reporting_unit_codes(municipality_codes: Iterable[str]) -> list[str]:
    """The codes that report in a year, given its municipality codes: Oslo is replaced by bydeler 01–15.

    The pseudo-code 9999 (unknown) is dropped. The result is sorted and without duplicates.
    """
    codes: set[str] = set()
    for code in municipality_codes:
        if code == UNKNOWN_MUNICIPALITY:
            continue
        if not isinstance(code, str) or len(code) != 4 or not code.isdigit():
            raise GeographyError(f"Ugyldig kommunenummer: {code!r} (4 sifre).")
        if code == OSLO:
            codes.update(OSLO_REPORTING_BYDELER)
        else:
            codes.add(code)
    return sorted(codes)


def _check_bounds(bounds: Sequence[int]) -> list[int]:
    values = [int(b) for b in bounds]
    if not values:
        raise GeographyError("Kommunestørrelse: minst én grense trengs.")
    if any(b < 0 for b in values) or any(b >= c for b, c in zip(values, values[1:], strict=False)):
        raise GeographyError(f"Kommunestørrelse: grensene må være stigende og ikke negative: {values}.")
    return values


def size_group_labels(bounds: Sequence[int] = DEFAULT_SIZE_BOUNDS) -> list[str]:
    """Every label, smallest group first: `<5 000`, `5 000–9 999`, …, `≥50 000` (normal spaces)."""
    values = _check_bounds(bounds)
    labels = []
    for index, lower in enumerate(values):
        upper = values[index + 1] if index + 1 < len(values) else None
        labels.append(_label(lower, upper, first=index == 0))
    return labels


def _label(lower: int, upper: int | None, first: bool) -> str:
    if upper is None:
        return f"≥{format_number(lower, space=' ')}" if lower > 0 else "Alle"
    if first and lower == 0:
        return f"<{format_number(upper, space=' ')}"
    return f"{format_number(lower, space=' ')}–{format_number(upper - 1, space=' ')}"


def size_group_label(population: int, bounds: Sequence[int] = DEFAULT_SIZE_BOUNDS) -> str:
    """The size group a population falls in, e.g. 7 000 → `5 000–9 999`."""
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise GeographyError(f"Folketallet må være et heltall som ikke er negativt: {population!r}.")
    values = _check_bounds(bounds)
    if population < values[0]:
        raise GeographyError(f"Folketallet {population} er under den minste grensen {values[0]}.")
    index = max(i for i, lower in enumerate(values) if population >= lower)
    upper = values[index + 1] if index + 1 < len(values) else None
    return _label(values[index], upper, first=index == 0)


def population_in_band(by_age: Mapping[int, int], min_age: int | None = 0, max_age: int | None = None) -> int:
    """Sum of the population aged min_age..max_age (both inclusive; None means open). The top age (105) means 105+."""
    low = 0 if min_age is None else min_age
    if low < 0 or (max_age is not None and max_age < low):
        raise GeographyError(f"Ugyldig aldersintervall: {min_age}–{max_age}.")
    total = 0
    for age, population in by_age.items():
        if age < 0 or population < 0:
            raise GeographyError(f"Negativ alder eller folketall: {age}: {population}.")
        if age >= low and (max_age is None or age <= max_age):
            total += population
    return total


@dataclass(frozen=True)
class PopulationBands:
    total: int
    age_0_17: int
    age_18_plus: int


def population_bands(by_age: Mapping[int, int]) -> PopulationBands:
    """Total, 0–17 and 18+ (the bands per-capita figures use)."""
    children = adults = 0
    for age, population in by_age.items():
        if age < 0 or population < 0:
            raise GeographyError(f"Negativ alder eller folketall: {age}: {population}.")
        if age < ADULT_AGE:
            children += population
        else:
            adults += population
    return PopulationBands(total=children + adults, age_0_17=children, age_18_plus=adults)


@dataclass(frozen=True)
class Change:
    """One code change (SSB KLASS 131 /changes): old_code became (part of) new_code on `occurred` (a 1 January)."""

    old_code: str
    new_code: str
    occurred: date


@dataclass(frozen=True)
class Harmonised:
    """`code` in `from_year` corresponds to `parts` [(code in to_year, weight)]. Weights of a split are population
    shares and `estimated` is True; a merge or a renumbering has one part with weight 1."""

    code: str
    from_year: int
    to_year: int
    parts: list[tuple[str, float]] = field(default_factory=list)
    estimated: bool = False

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.parts]


class ChangeIndex:
    """The code changes in a form that can be walked year by year, in both directions.

    A change group is all changes on one date. Within a group, an old code that is itself still valid after the date
    (it appears as a new code in the group, or is in `valid_codes` for that year) continues: its other rows are border
    adjustments and are ignored. Rows where old and new code are the same (name changes) only mark the code as
    continuing.
    """

    def __init__(self, changes: Iterable[Change], valid_codes: Mapping[int, Collection[str]] | None = None) -> None:
        self.valid_codes: dict[int, set[str]] = {y: set(codes) for y, codes in (valid_codes or {}).items()}
        groups: dict[date, list[Change]] = defaultdict(list)
        for change in changes:
            if not isinstance(change.occurred, date):
                raise GeographyError(f"Endringsdato mangler eller er ugyldig: {change!r}.")
            groups[change.occurred].append(change)
        # forward[year][old] = [new, ...]; backward[year][new] = [old, ...] (year = year the change took effect)
        self.forward: dict[int, dict[str, list[str]]] = {}
        self.backward: dict[int, dict[str, list[str]]] = {}
        for occurred, rows in sorted(groups.items()):
            year = occurred.year
            valid_after = set(valid_codes.get(year, ())) if valid_codes else set()
            new_codes = {row.new_code for row in rows}
            targets: dict[str, list[str]] = defaultdict(list)
            for row in rows:
                if row.new_code not in targets[row.old_code]:
                    targets[row.old_code].append(row.new_code)
            forward = self.forward.setdefault(year, {})
            for old, news in targets.items():
                continues = old in new_codes or old in valid_after
                forward[old] = [old] if continues else sorted(news)
            backward = self.backward.setdefault(year, {})
            valid_before = set(valid_codes.get(year - 1, ())) if valid_codes else set()
            for old, news in forward.items():
                for new in news:
                    backward.setdefault(new, [])
                    if old not in backward[new]:
                        backward[new].append(old)
            for new, olds in backward.items():
                # A unit that absorbed others existed before the date too, even without a row of its own.
                if new in valid_before and new not in olds:
                    olds.append(new)
            for new in backward:
                backward[new].sort()

    def years(self) -> list[int]:
        return sorted(self.forward)


def harmonise(
    code: str,
    from_year: int,
    to_year: int,
    changes: Iterable[Change] | ChangeIndex,
    population_by_code_of_to_year: Mapping[str, int] | None = None,
    valid_codes: Mapping[int, Collection[str]] | None = None,
) -> Harmonised:
    """Map `code` as it was in `from_year` onto the structure of `to_year`.

    Forward (from_year < to_year): follows chains of changes (2017 → 2018 → 2020 → 2024). A merged code maps wholly
    to the new code; a split is divided by the new units' population in to_year (estimated). Backward (from_year >
    to_year): a merged unit is divided among its old parts by their population in to_year (estimated); a split maps
    back wholly to the old code. Without population for a split, the parts get equal shares.
    """
    _check_code(code)
    for year in (from_year, to_year):
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
            raise GeographyError(f"Ugyldig år: {year!r}.")
    index = changes if isinstance(changes, ChangeIndex) else ChangeIndex(changes, valid_codes)
    known = index.valid_codes.get(from_year)
    if known and not is_bydel_code(code) and code not in known:
        raise GeographyError(f"Kommunenummer {code} fantes ikke i {from_year}.")
    population = population_by_code_of_to_year or {}
    estimated = [False]
    if from_year <= to_year:
        weights = _walk(code, from_year, to_year, index, population, estimated, forward=True)
    else:
        weights = _walk(code, from_year, to_year, index, population, estimated, forward=False)
    parts = sorted(((c, w) for c, w in weights.items() if w > 0), key=lambda p: p[0])
    return Harmonised(code=code, from_year=from_year, to_year=to_year, parts=parts, estimated=estimated[0])


def _walk(
    code: str,
    year: int,
    to_year: int,
    index: ChangeIndex,
    population: Mapping[str, int],
    estimated: list[bool],
    forward: bool,
) -> dict[str, float]:
    """Weights of `code` (valid in `year`) over the codes of `to_year`."""
    if forward:
        steps = [y for y in index.years() if year < y <= to_year]
        table = index.forward
    else:
        steps = [y for y in reversed(index.years()) if to_year < y <= year]
        table = index.backward
    for step in steps:
        targets = table[step].get(code)
        if not targets or targets == [code]:
            continue
        # After a forward step the code is valid in `step`; after a backward step it is valid the year before.
        next_year = step if forward else step - 1
        if len(targets) == 1:
            return _walk(targets[0], next_year, to_year, index, population, estimated, forward)
        estimated[0] = True
        resolved = [_walk(t, next_year, to_year, index, population, estimated, forward) for t in targets]
        # A part's size is the to_year population of the units it became (the brief's "new units' population
        # shares"); if a part later merged with others, the merged unit's whole population stands for it.
        sizes = [sum(population.get(c, 0) for c in r) for r in resolved]
        total = sum(sizes)
        shares = [s / total for s in sizes] if total > 0 else [1 / len(targets)] * len(targets)
        result: dict[str, float] = defaultdict(float)
        for share, part in zip(shares, resolved, strict=True):
            for c, w in part.items():
                result[c] += share * w
        return dict(result)
    return {code: 1.0}


def harmonise_values(
    values_by_code: Mapping[str, float | int | None],
    from_year: int,
    to_year: int,
    changes: Iterable[Change] | ChangeIndex,
    population_by_code_of_to_year: Mapping[str, int] | None = None,
    valid_codes: Mapping[int, Collection[str]] | None = None,
) -> tuple[dict[str, float], set[str]]:
    """Carry a whole year's values onto to_year's structure: merges sum, splits are shared by population.

    Returns (value per to_year code, the to_year codes whose value is estimated). None values are skipped (missing is
    not zero), so a merged unit is the sum of the parts that reported.
    """
    index = changes if isinstance(changes, ChangeIndex) else ChangeIndex(changes, valid_codes)
    totals: dict[str, float] = defaultdict(float)
    estimated: set[str] = set()
    for code, value in values_by_code.items():
        if value is None:
            continue
        result = harmonise(code, from_year, to_year, index, population_by_code_of_to_year)
        for new_code, weight in result.parts:
            totals[new_code] += float(value) * weight
            if result.estimated:
                estimated.add(new_code)
    return dict(totals), estimated


def main_successor(
    code: str,
    from_year: int,
    to_year: int,
    changes: Iterable[Change] | ChangeIndex,
    population_by_code_of_to_year: Mapping[str, int] | None = None,
) -> str:
    """The to_year code that holds the largest share of `code` (used to place an old unit in a region)."""
    result = harmonise(code, from_year, to_year, changes, population_by_code_of_to_year)
    return max(result.parts, key=lambda part: (part[1], part[0]))[0]
