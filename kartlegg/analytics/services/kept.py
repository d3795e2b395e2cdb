"""Per-unit figures kept between computations in the process that computes (the task worker), so that one unit's
change is recomputed from that unit's answers alone (issue 11: one unit's recompute at most 5 % of a full one).

After a computation that read every year's live data, the process keeps what it read: the geography (with the
frames and harmonisation plans built from it) and every year's values per code and unit, with a marker of each
open round's responses (how many, how many submitted, the sum of their versions) and each response's state
(version, submitted). When a recompute of some units of a round comes next, the kept values are brought up to
date instead of being read again, and only if they can be:

- the reference data, the annual rounds and each year's data version (locked years) are unchanged;
- the open years other than the changed round's have the same markers (else another change is on its way, in its
  own recompute, and the values are read afresh);
- in the changed round, the units named and every unit whose response state moved are read again (one query),
  and the codes whose values differ from the kept ones are what changed: only the variables that read them are
  recomputed.

The kept figures are also dropped when another process has written aggregates since this one last did (a full
`compute_aggregates` after a bulk import, say): the stored figures may then rest on data this process has not
seen. Otherwise the caller reads everything, as before, and keeps that. Nothing here is shared between processes;
a web process that never computes keeps nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Sum

from kartlegg.analytics.models import LIVE
from kartlegg.analytics.services import store
from kartlegg.analytics.services.extract import Geography, YearValues, data_version_labels, read_units
from kartlegg.geography.models import ReportingUnit
from kartlegg.responses.models import Response, Round

_lock = threading.Lock()


@dataclass
class Kept:
    reference: tuple[Any, ...]
    rounds: tuple[tuple[int, int, str], ...]  # (year, round id, data version label)
    geo: Geography
    data: dict[int, YearValues]
    markers: dict[int, tuple[int, int, int]]  # open years: (responses, submitted, sum of their versions)
    states: dict[int, dict[str, tuple[int, bool]]]  # open years: unit → (response version, submitted)
    caches: dict[str, Any] = field(default_factory=dict)  # the Context's caches (frames, plans, headline inputs)
    stamp: int = 0  # store.stamp() after this process last wrote: another writer moves it


_kept: Kept | None = None


def reference_signature() -> tuple[Any, ...]:
    found = ReportingUnit.objects.aggregate(count=Count("pk"), newest=Max("pk"))
    return found["count"], found["newest"]


def _states(round_obj: Round) -> dict[str, tuple[int, bool]]:
    rows = Response.objects.filter(round=round_obj).values_list("unit__code", "version", "submitted_at")
    return {unit: (version, submitted is not None) for unit, version, submitted in rows}


def _markers(rounds: Mapping[int, Round], years: Collection[int]) -> dict[int, tuple[int, int, int]]:
    """Per open year: how many responses, how many submitted, and the sum of their versions (every save of a
    response adds 1 to its version), in one query."""
    by_round = {rounds[y].pk: y for y in years}
    rows = (
        Response.objects.filter(round_id__in=list(by_round))
        .values("round_id")
        .annotate(n=Count("pk"), submitted=Count("submitted_at"), versions=Sum("version"))
    )
    found = dict.fromkeys(years, (0, 0, 0))
    for row in rows:
        found[by_round[row["round_id"]]] = (row["n"], row["submitted"], row["versions"] or 0)
    return found


def _signature(rounds: Mapping[int, Round], labels: Mapping[int, str]) -> tuple[tuple[int, int, str], ...]:
    """(year, round, data version label) of the years `labels` gives."""
    return tuple((y, r.pk, labels[y]) for y, r in sorted(rounds.items()) if y in labels)


def remember(rounds: Mapping[int, Round], geo: Geography, data: dict[int, YearValues], caches: dict[str, Any]) -> None:
    """Keep what a computation read (every code of every year, live)."""
    global _kept
    live = [y for y, d in data.items() if d.data_version == LIVE]
    markers = _markers(rounds, live)
    states = {y: _states(rounds[y]) for y in live}
    labels = {y: d.data_version for y, d in data.items()}
    kept = Kept(reference_signature(), _signature(rounds, labels), geo, data, markers, states, caches, store.stamp())
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
    regridded: set[str]  # grids (code prefixes) some changed unit answered before and not after, or the reverse


def update(rounds: Mapping[int, Round], year: int, units: Collection[str]) -> Update | None:
    """The kept figures with the round of `year` read again for `units` and for every unit whose response changed
    since; None when nothing is kept or it cannot be brought up to date (read everything then)."""
    with _lock:
        kept = _kept
    if kept is None or year not in kept.data or kept.data[year].data_version != LIVE:
        return None
    if store.stamp() != kept.stamp:
        return None  # another process computed since (a full computation, a slice on request): read afresh
    labels = data_version_labels({y: r for y, r in rounds.items() if y in kept.data})
    if _signature(rounds, labels) != kept.rounds or reference_signature() != kept.reference:
        return None
    markers = _markers(rounds, list(kept.markers))
    if any(y != year and markers[y] != marker for y, marker in kept.markers.items()):
        return None
    if markers.get(year, (0, 0, 0))[0] < kept.markers.get(year, (0, 0, 0))[0]:
        return None  # a response was deleted
    # The units named, and every unit of the round whose response was saved (or submitted, or reopened) since.
    states = _states(rounds[year])
    previous = kept.states.get(year, {})
    changed = set(units) | {u for u in states.keys() | previous.keys() if states.get(u) != previous.get(u)}
    fresh = read_units(rounds[year], changed)
    values = kept.data[year].values
    codes: set[str] = set()
    for code, column in values.items():
        for unit in changed:
            if column.get(unit) != fresh.get(code, {}).get(unit):
                codes.add(code)
    codes.update(code for code in fresh if code not in values)
    regridded: set[str] = set()
    for unit in changed:
        before = {c.split(".")[0] for c, column in values.items() if "." in c and unit in column}
        after = {c.split(".")[0] for c, column in fresh.items() if "." in c and unit in column}
        regridded |= before ^ after
    with _lock:
        for column in values.values():
            for unit in changed:
                column.pop(unit, None)
        for code, column in fresh.items():
            values.setdefault(code, {}).update(column)
        kept.markers[year] = markers[year]
        kept.states[year] = states
        # What was made from the year's old values.
        if year in kept.caches.get("headline", {}):
            kept.caches.setdefault("headline_stale", {}).setdefault(year, set()).update(changed)
        answered = kept.caches.get("answered", {})
        for key in [k for k in answered if k[0] == year]:
            del answered[key]
    return Update(kept.geo, kept.data, kept.caches, changed, codes, regridded)
