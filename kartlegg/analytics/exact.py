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
from typing import Any, NamedTuple

import numpy as np

_FLOAT_INT_LIMIT = 2**53  # the integers a float holds exactly


def _fallback(matrix: Any, starts: Sequence[int], ends: Sequence[int], column: int) -> list[float]:
    figures = matrix[:, column].tolist()
    return [math.fsum(figures[a:b]) for a, b in zip(starts, ends, strict=True)]


class Limbs(NamedTuple):
    """A matrix's values as two integer limbs per value (value = (high·2^32 + low)·2^lowest, per column), and which
    columns fit (usable)."""

    high: Any
    low: Any
    lowest: Any
    usable: Any


def limbs(matrix: Any, longest: int | None = None) -> Limbs:
    """`longest`: the most values a segment may sum (default: the matrix's rows)."""
    rows = matrix.shape[0]
    mantissa, exponent = np.frexp(matrix)
    whole = (mantissa * 2.0**53).astype(np.int64)  # exact: |whole| < 2^53
    power = exponent.astype(np.int64) - 53
    nonzero = whole != 0
    huge = np.iinfo(np.int64).max
    lowest = np.where(nonzero, power, huge).min(axis=0) if rows else np.zeros(matrix.shape[1], np.int64)
    lowest[lowest == huge] = 0
    shift = np.where(nonzero, power - lowest, 0)
    # Each high limb is below 2^(21 + shift); a segment's sum of them (at most `rows` of them) stays below 2^63.
    room = min(31, 62 - 21 - int(max(rows, longest or 0)).bit_length())
    usable = shift.max(axis=0, initial=0) <= room
    shift = np.where(usable, shift, 0)
    high = whole >> (32 - shift)
    low = (whole - (high << (32 - shift))) << shift
    return Limbs(high, low, lowest, usable)


def segment_sums(matrix: Any, starts: Any, order: Any = None, split: Limbs | None = None) -> Any:
    """math.fsum of matrix[a:b, j] for each segment [starts[i], starts[i+1]) (the last one to the end) and each
    column j, as a (segments × columns) float array. The matrix holds finite floats (0 for "nothing"). With
    `order`, the segments are of matrix[order] (rows may repeat: a unit in every level), and `split` may give the
    matrix's limbs made before (limbs(matrix)), so that they are made once per unit rather than per row."""
    rows_of = matrix if order is None else matrix[order]
    size, width = len(starts), matrix.shape[1]
    if size == 0 or rows_of.shape[0] == 0:
        return np.zeros((size, width))
    split = split or limbs(matrix, rows_of.shape[0])
    high = split.high if order is None else split.high[order]
    low = split.low if order is None else split.low[order]
    high_sums = np.add.reduceat(high, starts, axis=0)
    low_sums = np.add.reduceat(low, starts, axis=0)
    usable = split.usable & (np.abs(high_sums) < _FLOAT_INT_LIMIT).all(axis=0)
    result = np.ldexp(high_sums.astype(float) * 2.0**32 + low_sums.astype(float), split.lowest)
    if not usable.all():
        bounds = list(starts) + [rows_of.shape[0]]
        begin, end = bounds[:-1], bounds[1:]
        for column in np.flatnonzero(~usable).tolist():
            result[:, column] = _fallback(rows_of, begin, end, column)
    return result


def row_sums(matrix: Any) -> Any:
    """math.fsum of each row (exactly as segment_sums does it)."""
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0])
    return segment_sums(np.ascontiguousarray(matrix.T), np.array([0]))[0]
