"""Plain-number helpers and robust statistics (median and MAD), shared by the QA checks and the statistics.

They live at the bottom of the layers so that `quality` (below `analytics`) can use them too.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class AnalyticsError(ValueError):
    """Bad input to a statistics function. The message says what was wrong."""


def number(value: Any, what: str = "verdien") -> float:
    """A finite float from an int, float or Decimal. Booleans, text, NaN and infinity are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise AnalyticsError(f"{what.capitalize()} må være et tall, ikke {value!r}.")
    result = float(value)
    if not math.isfinite(result):
        raise AnalyticsError(f"{what.capitalize()} må være et endelig tall, ikke {value!r}.")
    return result


_PLAIN_TYPES = {int, float}


def numbers(values: Iterable[Any], what: str = "verdiene") -> list[float]:
    """The non-missing values as numbers (None is skipped: missing is not zero).

    The common case, plain ints and floats that sum to a finite number, is checked at C speed (a type set and one
    fsum, which fails or goes infinite if any value is infinite or NaN); anything else goes value by value, which
    converts Decimals and names the bad value.
    """
    clean = [v for v in values if v is not None]
    if set(map(type, clean)) <= _PLAIN_TYPES:
        try:
            if math.isfinite(math.fsum(clean)):
                return clean
        except (OverflowError, ValueError):
            pass
    return [number(v, what) for v in clean]


# MAD × 1.4826 estimates the standard deviation when the data are normal, so a robust z of 3 reads like a z of 3.
MAD_NORMAL_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class Robust:
    n: int
    median: float | None
    mad: float | None  # median absolute deviation from the median, unscaled

    @property
    def scaled_mad(self) -> float | None:
        return None if self.mad is None else self.mad * MAD_NORMAL_SCALE

    def z(self, value: Any) -> float | None:
        """Robust z-score (value − median) / (1.4826 × MAD); None when the spread is 0 or unknown."""
        if value is None or self.median is None or not self.mad:
            return None
        return (number(value) - self.median) / (self.mad * MAD_NORMAL_SCALE)


def robust(values: Iterable[Any]) -> Robust:
    """Median and MAD, which a few wild values (a percentage typed as årsverk) cannot drag along."""
    clean = numbers(values)
    if not clean:
        return Robust(0, None, None)
    centre = statistics.median(clean)
    return Robust(len(clean), centre, statistics.median(abs(v - centre) for v in clean))
