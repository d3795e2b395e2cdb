"""Per-unit figures kept between computations in the process that computes (the task worker), so that one unit's
change is recomputed from that unit's answers alone (issue 11: one unit's recompute at most 5 % of a full one).

After a computation that read every year's live data, the process keeps what it read: the geography (with the
frames and harmonisation plans built from it) and every year's values per code and unit, with each open round's
response states (unit → version, submitted). When a recompute of some units of a round comes next, the kept
values are brought up to date instead of being read again, and only if they can be:

- the reference data, the annual rounds and each year's data version (locked years) are unchanged;
- the open years other than the changed round's have the same response states (else another change is on its
  way, in its own recompute, and the values are read afresh);
- in the changed round, the units whose state moved and the units named are read again (one query), and the codes
  whose values differ from the kept ones are what changed: only the variables that read them are recomputed.

The kept figures are also dropped when another process has written aggregates since this one last did (a full
`compute_aggregates` after a bulk import, say): the stored figures may then rest on data this process has not
seen. Otherwise the caller reads everything, as before, and keeps that. Nothing here is shared between processes; a web
process that never computes keeps nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max

from kartlegg.analytics.models import LIVE
from kartlegg.analytics.services import store
from kartlegg.analytics.services.extract import Geography, YearValues, data_version_of, read_units
from kartlegg.geography.models import ReportingUnit
from kartlegg.responses.models import Response, Round

_lock = threading.Lock()


@dataclass
class Kept:
    reference: tuple[Any, ...]
    rounds: tuple[tuple[int, int, str], ...]  # (year, round id, data version label)
    geo: Geography
    data: dict[int, YearValues]
    states: dict[int, dict[str, tuple[int, bool]]]  # open years: unit → (response version, submitted)
    caches: dict[str, Any] = field(default_factory=dict)  # the Context's geography-only caches (frames, plans)
    stamp: int = 0  # store.stamp() after this process last wrote: another writer moves it


_kept: Kept | None = None


def reference_signature() -> tuple[Any, ...]:
    found = ReportingUnit.objects.aggregate(count=Count("pk"), newest=Max("pk"))
    return found["count"], found["newest"]


def _states(round_obj: Round) -> dict[str, tuple[int, bool]]:
    rows = Response.objects.filter(round=round_obj).values_list("unit__code", "version", "submitted_at")
    return {unit: (version, submitted is not None) for unit, version, submitted in rows}


def _signature(rounds: Mapping[int, Round], data: Mapping[int, YearValues]) -> tuple[tuple[int, int, str], ...]:
    return tuple((y, r.pk, data[y].data_version) for y, r in sorted(rounds.items()) if y in data)


def remember(rounds: Mapping[int, Round], geo: Geography, data: dict[int, YearValues], caches: dict[str, Any]) -> None:
    """Keep what a computation read (every code of every year, live)."""
    global _kept
    states = {y: _states(rounds[y]) for y, d in data.items() if d.data_version == LIVE}
    kept = Kept(reference_signature(), _signature(rounds, data), geo, data, states, caches, store.stamp())
    with _lock:
        _kept = kept


def wrote() -> None:
    """This process has written blocks from the kept figures: they are the stored state again."""
    with _lock:
        if _kept is not None:
            _kept.stamp = store.stamp()


def forget() -> None:
    global _kept
    with _lock:
        _kept = None


@dataclass
class Update:
    """The kept figures brought up to date for a change to some units of one year: the units that changed and the
    codes whose values differ from before."""

    geo: Geography
    data: dict[int, YearValues]
    caches: dict[str, Any]
    units: set[str]
    codes: set[str]


def update(rounds: Mapping[int, Round], year: int, units: Collection[str]) -> Update | None:
    """The kept figures with the round of `year` read again for `units` and for every unit whose response changed
    since; None when nothing is kept or it cannot be brought up to date (read everything then)."""
    with _lock:
        kept = _kept
    if kept is None or year not in kept.data or kept.data[year].data_version != LIVE:
        return None
    if store.stamp() != kept.stamp:
        return None  # another process computed since (a full computation, a slice on request): read afresh
    labels = {y: data_version_of(r)[0] for y, r in rounds.items() if y in kept.data}
    current = tuple((y, r.pk, labels[y]) for y, r in sorted(rounds.items()) if y in kept.data)
    if current != kept.rounds or reference_signature() != kept.reference:
        return None
    if any(y != year and _states(rounds[y]) != state for y, state in kept.states.items()):
        return None
    states = _states(rounds[year])
    before = kept.states.get(year, {})
    changed = set(units) | {u for u in states.keys() | before.keys() if states.get(u) != before.get(u)}
    fresh = read_units(rounds[year], changed)
    values = kept.data[year].values
    codes: set[str] = set()
    for code, column in values.items():
        for unit in changed:
            if column.get(unit) != fresh.get(code, {}).get(unit):
                codes.add(code)
    codes.update(code for code in fresh if code not in values)
    with _lock:
        for column in values.values():
            for unit in changed:
                column.pop(unit, None)
        for code, column in fresh.items():
            values.setdefault(code, {}).update(column)
        kept.states[year] = states
    return Update(kept.geo, kept.data, kept.caches, changed, codes)
