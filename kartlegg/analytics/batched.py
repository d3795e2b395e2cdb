"""The innermost loop of every computation, for many variables at once: the figures per unit of a batch of
variable-years that share a frame and levels become one units × jobs matrix, and every group of every level is
computed for all of them with a few array operations (counts, population, rates, statuses, and medians from one
sort). Pure (no ORM); compute.py collects the jobs.

As levels.aggregate and headline_series do it: a group's sum is over its units with a figure (correctly rounded,
as math.fsum gives it: exact.segment_sums), its rate over their population only (no rate
without inhabitants, as measures.per_capita), its median over their figures. Status: imputed if any of them is
imputed, else estimated if any is, missing if none has a figure (never 0). tests/test_analytics_golden.py checks
that the figures are exactly those of the earlier one-variable-at-a-time code.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from kartlegg.analytics.exact import segment_sums
from kartlegg.analytics.grouping import Columns, Frame, Layout
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, MISSING, RATES, STATUS_SYMBOLS

_MISSING, _ESTIMATED, _IMPUTED = STATUS_SYMBOLS[MISSING], STATUS_SYMBOLS[ESTIMATED], STATUS_SYMBOLS[IMPUTED]


class Job(NamedTuple):
    """One variable in one year and structure: its figure per unit code (None: no figure), each imputed unit's
    imputed amount (all of its figure, or for a merged unit the part that came from its imputed old units), the
    estimated units (split municipalities), the rate's target (None: no rate), and `only` ({level: group names}:
    just those groups, for an incremental recompute)."""

    values: Mapping[str, float | None]
    imputed: Mapping[str, float]
    estimated: Collection[str]
    target: str | None
    only: Mapping[str, Collection[str]] | None = None


def _segment_sums(array: Any, starts: Any) -> Any:
    """Each group's sum (per column) of an integer or boolean array in group order (exact: integers)."""
    if not len(starts):
        return np.zeros((0, *array.shape[1:]), dtype=np.int64)
    return np.add.reduceat(array.astype(np.int64), starts, axis=0)


def _matrix(codes: Sequence[str], found: Sequence[Mapping[str, Any]]) -> Any:
    """codes × jobs, NaN where a job has no value for a code."""
    matrix = np.empty((len(codes), len(found)))
    for j, values in enumerate(found):
        matrix[:, j] = np.array(list(map(values.get, codes)), dtype=float)  # None becomes NaN
    return matrix


def _medians(layout: Layout, units: Any, counts: Any) -> Any:
    """Each group's median per job: the figures sorted within each group, the middle one or the mean of the middle
    two. One sort of the units per job gives each figure its rank (missing ones last); a group's figures are then
    in order of (group, rank): one sort of those integer keys for every level at once."""
    size = len(units)
    keyed = np.where(np.isnan(units), np.inf, units)
    by_value = np.argsort(keyed, axis=0)
    rank = np.empty_like(by_value)
    np.put_along_axis(rank, by_value, np.arange(size)[:, None], axis=0)
    # Sorting the keys themselves (not their order) is faster; a key gives back its rank, and so its figure.
    groups = int(layout.group.max()) + 1 if len(layout.group) else 0
    dtype = np.int32 if groups * size < 2**31 else np.int64
    key = layout.group.astype(dtype)[:, None] * size + rank[layout.order].astype(dtype)
    key.sort(axis=0)
    ranked = np.take_along_axis(np.take_along_axis(keyed, by_value, axis=0), key % size, axis=0)
    if not len(ranked):
        return np.zeros(counts.shape)
    last = len(ranked) - 1
    first = layout.starts[:, None]
    half = counts // 2
    high = np.take_along_axis(ranked, np.minimum(first + half, last), axis=0)
    low = np.take_along_axis(ranked, np.clip(first + half - 1, 0, last), axis=0)
    return np.where(counts % 2 == 1, high, (low + high) / 2)


class Inputs(NamedTuple):
    """What aggregate_matrix groups, as codes × jobs matrices in the frame's code order: the figures (NaN: none),
    which are imputed and their imputed amounts, which are estimated; per job the rate's target."""

    values: Any
    flagged: Any
    amounts: Any
    estimated: Any
    targets: list[str | None]


def aggregate_many(frame: Frame, levels: Sequence[str], jobs: Sequence[Job]) -> list[Columns]:
    """Every group of every level, for each job (aggregate_matrix); the jobs of one call share `only` (an
    incremental recompute: then only those groups are grouped)."""
    only = jobs[0].only if jobs else None
    if any(job.only != only for job in jobs):
        raise ValueError("The jobs of one aggregate_many call must share `only`.")
    codes, position = frame.codes, frame.position
    width = len(jobs)
    flagged = np.zeros((len(codes), width), bool)
    amounts = np.zeros((len(codes), width))
    estimated = np.zeros((len(codes), width), bool)
    for j, job in enumerate(jobs):
        for code, amount in job.imputed.items():
            p = position.get(code)
            if p is not None:
                flagged[p, j] = True
                amounts[p, j] = 0.0 if amount is None else amount
        if job.estimated:
            estimated[[position[c] for c in job.estimated if c in position], j] = True
    inputs = Inputs(_matrix(codes, [job.values for job in jobs]), flagged, amounts, estimated, [j.target for j in jobs])
    layout = None if only is None else frame.layout(levels).subset(only)
    return aggregate_matrix(frame, levels, inputs, layout)


def aggregate_matrix(
    frame: Frame, levels: Sequence[str], inputs: Inputs, layout: Layout | None = None
) -> list[Columns]:
    """Every group of every level, for each column of the inputs: sum, rate, median, status, n, n_units, n_imputed
    and the imputed part of the sum (grouping.Columns, in the layout's group order)."""
    layout = layout or frame.layout(levels)
    order, starts = layout.order, layout.starts
    size, width = len(layout.names), len(inputs.targets)
    units = np.where(np.isnan(inputs.values), 0.0, inputs.values)
    have = ~np.isnan(inputs.values)[order]
    counts = _segment_sums(have, starts)
    empty = counts == 0
    medians = np.where(empty, np.nan, _medians(layout, inputs.values, counts))
    totals = segment_sums(units, starts, order)
    totals[empty] = np.nan
    rates = np.full((size, width), np.nan)
    for target in {t for t in inputs.targets if t and t in RATES}:
        spec = RATES[target]
        chosen = [j for j, t in enumerate(inputs.targets) if t == target]
        people = _segment_sums(np.where(have[:, chosen], layout.bands[target][:, None], 0), starts)
        with np.errstate(divide="ignore", invalid="ignore"):
            found = totals[:, chosen] / people * spec.per
        rates[:, chosen] = np.where(empty[:, chosen] | (people == 0), np.nan, found)
    n_imp = _segment_sums(inputs.flagged[order] & have, starts)
    status = np.where(empty, _MISSING, "").astype(object)
    status[(_segment_sums(inputs.estimated[order] & have, starts) > 0) & ~empty] = _ESTIMATED
    status[n_imp > 0] = _IMPUTED
    # The imputed amounts of the group's units, 0 for the others: the same correctly rounded sum.
    parts = np.full((size, width), np.nan)
    imputed = np.flatnonzero(n_imp.any(axis=0))
    if len(imputed):
        found = segment_sums(np.ascontiguousarray(inputs.amounts[:, imputed]), starts, order)
        parts[:, imputed] = np.where(n_imp[:, imputed] > 0, found, np.nan)
    return [
        Columns(
            layout.levels,
            layout.names,
            totals[:, j],
            rates[:, j],
            medians[:, j],
            status[:, j].tolist(),
            counts[:, j],
            layout.sizes,
            n_imp[:, j],
            parts[:, j],
        )  # fmt: skip
        for j in range(width)
    ]
