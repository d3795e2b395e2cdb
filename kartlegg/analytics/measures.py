"""Measures on plain numbers: sums, per-capita rates, change from last year, shares with N and suppression,
medians and quartiles, and a robust centre and spread (median/MAD) that the QA checks reuse.

Numbers are floats, not Decimal. Årsverk are entered with two decimals and a national sum adds about 400 (or, for
the bigger mappings, 40 000) of them; float addition through `math.fsum` is exact to far below the one or two
decimals that are published, and it is ten to fifty times faster than Decimal on the 18 million values the bigger
mappings bring. Rounding happens once, at presentation (`cube.round_half_up`). Decimal input (from the database)
is accepted and converted.

Missing is never zero: a missing input stays None, and a result that cannot be computed is None (or a `Value` with
status "missing"), never 0.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop  # marks labels for translation; no settings needed

from kartlegg.geography.logic import PopulationBands

# Robust, robust and MAD_NORMAL_SCALE live in lib (quality uses them too) and are re-exported here.
from kartlegg.lib.stats import MAD_NORMAL_SCALE, AnalyticsError, Robust, number, numbers, robust  # noqa: F401

# Cell status. A published cell shows SSB's standard symbols (ssb.no/diverse/standardtegn-i-tabeller): ".." the
# figure is missing, ":" not shown for confidentiality. "e" (estimated, e.g. a split municipality) and "i"
# (imputed: last year's figure carried forward) are this survey's own flags on a cell that does have a value.
OK, MISSING, SUPPRESSED, ESTIMATED, IMPUTED = "ok", "missing", "suppressed", "estimated", "imputed"
STATUSES = (OK, MISSING, SUPPRESSED, ESTIMATED, IMPUTED)
EMPTY_STATUSES = (MISSING, SUPPRESSED)
STATUS_SYMBOLS = {MISSING: "..", SUPPRESSED: ":", ESTIMATED: "e", IMPUTED: "i"}
STATUS_TEXTS = {
    MISSING: "tallgrunnlag mangler",
    SUPPRESSED: "vises ikke av konfidensialitetshensyn (færre enn 5 enheter)",
    ESTIMATED: "estimert (fordelt etter folketall ved kommunedeling)",
    IMPUTED: "imputert (siste rapporterte tall er brukt)",
}
MIN_UNITS_FOR_SHARE = 5


@dataclass(frozen=True, slots=True)
class Value:
    """One figure with its status. Missing and suppressed figures have no value; N is the number of units behind it."""

    value: float | None
    status: str = OK
    n: int | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise AnalyticsError(f"Ukjent status {self.status!r}; gyldige er {', '.join(STATUSES)}.")
        if self.status in EMPTY_STATUSES and self.value is not None:
            raise AnalyticsError(f"En verdi med status {self.status!r} kan ikke ha et tall ({self.value}).")
        if self.status not in EMPTY_STATUSES and self.value is None:
            raise AnalyticsError(f"Verdien mangler; bruk status {MISSING!r} for manglende tall.")

    @classmethod
    def of(cls, value: float | None, status: str = OK, n: int | None = None) -> Value:
        """A value, or a missing one when value is None (whatever status was asked for)."""
        if value is None:
            return cls(None, SUPPRESSED if status == SUPPRESSED else MISSING, n)
        return cls(value, status, n)

    @property
    def symbol(self) -> str:
        return STATUS_SYMBOLS.get(self.status, "")

    @property
    def is_empty(self) -> bool:
        return self.value is None


def total(values: Iterable[Any]) -> float | None:
    """Sum of the reported values; None when none are reported (an empty sum is missing, not 0)."""
    clean = numbers(values)
    return math.fsum(clean) if clean else None


def population_count(value: Any, what: str = "folketallet") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnalyticsError(f"{what.capitalize()} må være et heltall, ikke {value!r}.")
    if value < 0:
        raise AnalyticsError(f"{what.capitalize()} kan ikke være negativt ({value}).")
    return value


@dataclass(frozen=True)
class RateSpec:
    """Which population band a target group is counted against, and per how many inhabitants."""

    band: str  # an attribute of PopulationBands
    per: int
    label: str


# The brief's rule: adults per 10 000 aged 18+, children and youth per 10 000 aged 0–17, the total per 1 000.
RATES: dict[str, RateSpec] = {
    "voksne": RateSpec("age_18_plus", 10_000, gettext_noop("per 10 000 innbyggere 18 år og over")),
    "barn_og_unge": RateSpec("age_0_17", 10_000, gettext_noop("per 10 000 innbyggere 0–17 år")),
    "totalt": RateSpec("total", 1_000, gettext_noop("per 1 000 innbyggere")),
}


def per_capita(value: Any, population: Any, per: int = 1_000) -> float | None:
    """value per `per` inhabitants. None when the value is missing or nobody lives there (no rate, not 0)."""
    if isinstance(per, bool) or not isinstance(per, int) or per <= 0:
        raise AnalyticsError(f"«per» må være et positivt heltall, ikke {per!r}.")
    people = population_count(population)
    if value is None or people == 0:
        return None
    return number(value) / people * per


def rate(value: Any, population: PopulationBands, target: str) -> float | None:
    """Per-capita figure for a target group with its matching age band (see RATES)."""
    spec = RATES.get(target)
    if spec is None:
        raise AnalyticsError(f"Ukjent målgruppe {target!r}; gyldige er {', '.join(RATES)}.")
    return per_capita(value, getattr(population, spec.band), spec.per)


@dataclass(frozen=True, slots=True)
class YearChange:
    absolute: float | None
    percent: float | None


def change(current: Any, previous: Any) -> YearChange:
    """Change from the previous year, absolute and in per cent. The per cent is None when the base is 0 or missing
    (a change from nothing has no percentage); both are None when this year is missing."""
    now = None if current is None else number(current, "årets verdi")
    before = None if previous is None else number(previous, "fjorårets verdi")
    if now is None or before is None:
        return YearChange(None, None)
    absolute = now - before
    return YearChange(absolute, None if before == 0 else absolute / before * 100)


@dataclass(frozen=True, slots=True)
class Share:
    """Share of the units that answered (N) that gave the answer, in per cent.

    Below `min_n` units the share and the count are suppressed (status "suppressed", never 0), but N is still shown.
    """

    n: int
    count: int | None
    percent: float | None
    status: str

    @property
    def value(self) -> Value:
        return Value.of(self.percent, self.status, self.n)


def share_from_counts(count: int, n: int, min_n: int = MIN_UNITS_FOR_SHARE) -> Share:
    for label, item in (("antallet", count), ("N", n), ("minste N", min_n)):
        population_count(item, label)
    if count > n:
        raise AnalyticsError(f"Antallet ({count}) kan ikke være større enn N ({n}).")
    if min_n < 1:
        raise AnalyticsError("Minste N må være minst 1.")
    if n == 0:
        return Share(0, None, None, MISSING)
    if n < min_n:
        return Share(n, None, None, SUPPRESSED)
    return Share(n, count, count / n * 100, OK)


def share(answers: Iterable[Any], match: Any = True, min_n: int = MIN_UNITS_FOR_SHARE) -> Share:
    """Share of units whose answer matches. None answers are not answered and do not count in N.

    `match` is a value (a list answer, from a multichoice, matches when it contains the value) or a predicate.
    """
    test: Callable[[Any], bool]
    if callable(match):
        test = match
    else:

        def test(answer: Any) -> bool:
            if isinstance(answer, list | tuple | set | frozenset):
                return match in answer
            return bool(answer == match)

    n = count = 0
    for answer in answers:
        if answer is None:
            continue
        n += 1
        if test(answer):
            count += 1
    return share_from_counts(count, n, min_n)


@dataclass(frozen=True, slots=True)
class Quartiles:
    n: int
    q1: float | None
    median: float | None
    q3: float | None


def median(values: Iterable[Any]) -> float | None:
    clean = numbers(values)
    return statistics.median(clean) if clean else None


def quartiles(values: Iterable[Any]) -> Quartiles:
    """First quartile, median and third quartile.

    statistics.quantiles with method="inclusive" (as Excel's KVARTIL.INK and R's type 7): the smallest and largest
    values are the 0 and 100 percentiles, which suits a complete count of municipalities rather than a sample.
    One value is its own quartiles; no values give None.
    """
    clean = numbers(values)
    if not clean:
        return Quartiles(0, None, None, None)
    if len(clean) == 1:
        return Quartiles(1, clean[0], clean[0], clean[0])
    q1, q2, q3 = statistics.quantiles(clean, n=4, method="inclusive")
    return Quartiles(len(clean), q1, q2, q3)


def mad(values: Iterable[Any], scale: float = 1.0) -> float | None:
    result = robust(values).mad
    return None if result is None else result * scale
