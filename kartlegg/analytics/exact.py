"""Correctly rounded sums of many segments at once: what math.fsum gives for each, with integer array arithmetic.

A float is an integer times a power of two. Within one column, every value is written as an integer multiple of
the column's smallest power (2^E), split into two 32-bit limbs, and the limbs are summed per segment as int64:
exactly. The exact total H·2^32 + L is then rounded once, by one IEEE addition of two exactly representable floats
(H·2^32 and L), and scaled back by 2^E, which is exact. That is the correctly rounded sum of the values, which is
what math.fsum returns, bit for bit. A column whose values span too many powers of two for the limbs (or whose
sums could overflow them) goes through math.fsum instead, so the result is always the same as math.fsum's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_FLOAT_INT_LIMIT = 2**53  # the integers a float holds exactly


def _fallback(matrix: Any, starts: Sequence[int], ends: Sequence[int], column: int) -> list[float]:
    figures = matrix[:, column].tolist()
    return [math.fsum(figures[a:b]) for a, b in zip(starts, ends, strict=True)]


def segment_sums(matrix: Any, starts: Any) -> Any:
    """math.fsum of matrix[a:b, j] for each segment [starts[i], starts[i+1]) (the last one to the end) and each
    column j, as a (segments × columns) float array. The matrix holds finite floats (0 for "nothing")."""
    rows, width = matrix.shape
    size = len(starts)
    if size == 0 or rows == 0:
        return np.zeros((size, width))
    mantissa, exponent = np.frexp(matrix)
    whole = (mantissa * 2.0**53).astype(np.int64)  # exact: |whole| < 2^53
    power = exponent.astype(np.int64) - 53
    nonzero = whole != 0
    huge = np.iinfo(np.int64).max
    lowest = np.where(nonzero, power, huge).min(axis=0)
    lowest[lowest == huge] = 0
    shift = np.where(nonzero, power - lowest, 0)
    # Each high limb is below 2^(21 + shift); a segment's sum of them must stay below 2^63.
    room = min(31, 62 - 21 - int(rows).bit_length())
    usable = shift.max(axis=0) <= room
    shift = np.where(usable, shift, 0)
    high = whole >> (32 - shift)
    low = (whole - (high << (32 - shift))) << shift
    high_sums = np.add.reduceat(high, starts, axis=0)
    low_sums = np.add.reduceat(low, starts, axis=0)
    usable &= (np.abs(high_sums) < _FLOAT_INT_LIMIT).all(axis=0)
    result = np.ldexp(high_sums.astype(float) * 2.0**32 + low_sums.astype(float), lowest)
    if not usable.all():
        bounds = list(starts) + [rows]
        begin, end = bounds[:-1], bounds[1:]
        for column in np.flatnonzero(~usable).tolist():
            result[:, column] = _fallback(matrix, begin, end, column)
    return result


def row_sums(matrix: Any) -> Any:
    """math.fsum of each row (exactly as segment_sums does it)."""
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0])
    return segment_sums(np.ascontiguousarray(matrix.T), np.array([0]))[0]
